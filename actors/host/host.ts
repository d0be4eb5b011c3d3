/**
 * The durable actor host. Actors are XState machines advanced with XState's pure `transition`;
 * every accepted event is appended to the event log with the state it produced, the latest
 * snapshot and the pending delayed events are kept in the actor row, and writes are group
 * committed. Effects (the machine's own actions) run only after the commit that decided them.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { pureInitial, pureTransition, type ReturnedAction } from './transition.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { silentLog } from '../../lib/log.ts';
import { changesOnly, diffContext, type ContextChanges } from './diff.ts';
import { sameButContext, settled, withVolatile } from './volatile.ts';
import { MachineRegistry, type MachineDef } from './registry.ts';
import { actorExists, loadActorRow, loadActorRows, loadTimerIndex, type ActorRow, type PersistedTimer } from './store.ts';
import { systemClock, TimerQueue, type Clock, type QueueEntry } from './timer-queue.ts';
import { Committer, type CommitMetrics, type PendingWrite } from './committer.ts';
import { stateKeyOf } from './state-key.ts';
import { ActorEventError, ActorExistsError, ActorNotFoundError, HostStoppedError } from './errors.ts';
import { isDatabaseUnavailable } from '../../db/errors.ts';

export * from './errors.ts';

/** Most actors rehydrated by one query. */
export const LOAD_BATCH_MAX = 1000;

/** A full context is stored on every N-th history row, so reading history never folds far. */
export const CHECKPOINT_EVERY = 32;
/** When a due timer's actor cannot be loaded because the database is unavailable, it is tried again after this (platform's choice). */
export const TIMER_LOAD_RETRY_MS = 1000;
/** Longest the host applies deferred events ({@link ActorHost.sendSoon}) before the event loop serves others. */
export const DEFERRED_SLICE_MS = 5;

/** An event as actors receive it: a type and JSON fields. */
export type ActorEvent = { type: string } & Record<string, unknown>;

/** What an effect handler is given (one of the machine's own actions, after its commit). */
export interface EffectCall {
  actorId: string;
  type: string;
  params: Record<string, unknown>;
  /** Unique per effect: `<actor>:<seq>:<index>`; use it to make the effect idempotent. */
  key: string;
  context: Record<string, unknown>;
  host: ActorHost;
}

/** Effect implementations by action name. */
export type EffectHandlers = Record<string, (call: EffectCall) => void | Promise<void>>;

/** A state change as subscribers see it. */
export interface Transition {
  actorId: string;
  type: string;
  /** Log sequence number; for an unlogged (volatile) change, the last logged one. */
  seq: number;
  logged: boolean;
  at: number;
  event: ActorEvent;
  value: unknown;
  stateKey: string;
  status: string;
  context: Record<string, unknown>;
  changes: ContextChanges;
}

/** The result of a dispatch. */
export interface DispatchResult {
  /** False when the machine ignored the event (no transition in the current state). */
  accepted: boolean;
  logged: boolean;
  seq: number;
  value: unknown;
  stateKey: string;
  status: string;
  context: Record<string, unknown>;
}

/** A readable view of an actor. */
export interface ActorView {
  id: string;
  type: string;
  machineId: string;
  version: number;
  seq: number;
  status: string;
  value: unknown;
  stateKey: string;
  context: Record<string, unknown>;
  timers: Array<{ id: string; due: number; event: ActorEvent }>;
  deviceId: string | null;
  parentId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Options of {@link ActorHost}. */
export interface HostOptions {
  db: Db;
  machines: readonly MachineDef[];
  effects?: EffectHandlers;
  clock?: Clock;
  log?: Logger;
  metrics?: CommitMetrics;
  /** Most events in one commit statement. */
  maxBatchEvents?: number;
  /** How long an unlogged (volatile) snapshot change may wait before it is written. */
  volatileFlushMs?: number;
  /** Parallel commit lanes (default: one per core on PostgreSQL, DEFAULT_COMMIT_LANES_POSTGRES; 1 on PGlite). */
  commitLanes?: number;
}

/** An actor held in memory. */
export interface Resident {
  id: string;
  def: MachineDef;
  /** The machine snapshot, except the volatile values in {@link Resident.volatile}: read it through {@link settled}. */
  snapshot: AnyMachineSnapshot;
  /**
   * Volatile context values (a last-seen time) newer than `snapshot`'s, or null. A keepalive that
   * changes only those sets them here instead of replacing the snapshot: an actor's snapshot then
   * stays the same old object between real changes, and 18,000 devices' keepalives leave no
   * garbage in the old generation (every snapshot replaced after surviving a young collection is
   * garbage that only a full collection frees, and those stalled the event loop for 100–200 ms).
   */
  volatile: Record<string, unknown> | null;
  /** Last assigned log sequence number (may not be committed yet). */
  seq: number;
  /** The seq the database row has; null until the row exists. */
  dbSeq: number | null;
  /** The seq as of which the stored row holds the full context, and when that was written. */
  ctxSeq: number;
  ctxWrittenAt: number;
  /** A volatile change is not in the stored context yet. */
  volatileDirty?: boolean;
  /** stateKeyOf(snapshot.value), kept current. */
  stateKey: string;
  /** Bumped whenever the pending timers change (so the committer knows the row must be rewritten). */
  timersGen: number;
  /** What the stored row says (state key, status, timers generation), once known. */
  row?: { stateKey: string; status: string; timersGen: number };
  loggedContext: Record<string, unknown>;
  timers: Map<string, PersistedTimer>;
  gen: number;
  deviceId: string | null;
  parentId: string | null;
  createdAt: number;
  updatedAt: number;
}

type Job = (r: Resident | Error) => void;

/** The volatile keys of a machine that declares none. */
const NO_KEYS: readonly string[] = [];
/** What {@link ActorHost.send} gets back from a quiet event (it reads nothing of it). */
const QUIET_RESULT = Object.freeze({
  accepted: true,
  logged: false,
  seq: 0,
  value: null,
  stateKey: '',
  status: 'active',
  context: {},
}) as unknown as DispatchResult;

/** Creates, rehydrates and advances durable actors. */
export class ActorHost {
  readonly registry: MachineRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  private residents = new Map<string, Resident>();
  private loading = new Map<string, Job[]>();
  private loadQueue: string[] = [];
  private listeners = new Set<(t: Transition) => void>();
  /** The listeners that also want unlogged (volatile) changes: a console watching one actor, not the services. */
  private unloggedListeners = new Set<(t: Transition) => void>();
  private queue: TimerQueue;
  private committer: Committer;
  private stopping = false;
  /** Events of {@link sendSoon} not applied yet, in the order sent. */
  private deferred: Array<[string, ActorEvent]> = [];

  constructor(private opts: HostOptions) {
    this.registry = new MachineRegistry(opts.machines);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
    this.queue = new TimerQueue(this.clock, (e) => this.onTimerDue(e));
    this.committer = new Committer({
      db: opts.db,
      clock: this.clock,
      log: this.log,
      metrics: opts.metrics,
      maxBatchEvents: opts.maxBatchEvents,
      volatileFlushMs: opts.volatileFlushMs,
      lanes: opts.commitLanes,
      onCommitted: (w) => this.afterCommit(w),
      onRejected: (w, err) => this.fence(w.r, err),
    });
  }

  /** The database this host writes to. */
  get db(): Db {
    return this.opts.db;
  }

  /** Arm the timers of every persisted actor (actors themselves load lazily, on first use). */
  async start(): Promise<{ timers: number }> {
    const index = await loadTimerIndex(this.opts.db);
    for (const t of index) this.queue.push({ due: t.due, actorId: t.id, timerId: null, gen: 0 });
    return { timers: index.length };
  }

  /** Stop timers, write everything pending, refuse new work. */
  async stop(): Promise<void> {
    this.applyDeferred(Infinity); // what was sent before the stop is applied and written
    this.stopping = true;
    this.queue.stop();
    await this.committer.drain();
  }

  /** Write everything pending now (including volatile changes) and wait for it. */
  flush(): Promise<void> {
    return this.committer.barrier();
  }

  /** Number of actors held in memory. */
  get residentCount(): number {
    return this.residents.size;
  }

  /** Listen to every committed transition (and to unlogged volatile changes). */
  subscribe(listener: (t: Transition) => void, opts: { unlogged?: boolean } = {}): () => void {
    this.listeners.add(listener);
    if (opts.unlogged !== false) this.unloggedListeners.add(listener);
    return () => {
      this.unloggedListeners.delete(listener);
      return this.listeners.delete(listener);
    };
  }

  /** Create an actor of `type` with `input`; resolves once its first row is durable. */
  async create(
    type: string,
    id: string,
    input: Record<string, unknown>,
    meta: {
      deviceId?: string;
      parentId?: string;
      /** The id is new by construction (random): skip the existence query; the commit still refuses a duplicate. */
      fresh?: boolean;
    } = {},
  ): Promise<DispatchResult> {
    if (this.stopping) throw new HostStoppedError();
    if (this.residents.has(id) || this.loading.has(id) || (!meta.fresh && (await actorExists(this.opts.db, id)))) {
      throw new ActorExistsError(id);
    }
    if (this.residents.has(id) || this.loading.has(id)) throw new ActorExistsError(id);
    const def = this.registry.latest(type);
    let snapshot: AnyMachineSnapshot;
    let actions: ReturnedAction[];
    try {
      [snapshot, actions] = pureInitial(def.machine, input);
    } catch (err) {
      throw new ActorEventError(id, 'xstate.init', err);
    }
    const now = this.clock.now();
    const r: Resident = {
      id,
      def,
      snapshot,
      volatile: null,
      stateKey: stateKeyOf(snapshot.value),
      timersGen: 0,
      seq: 0,
      dbSeq: null,
      ctxSeq: 0,
      ctxWrittenAt: now,
      loggedContext: snapshot.context,
      timers: new Map(),
      gen: 0,
      deviceId: meta.deviceId ?? null,
      parentId: meta.parentId ?? null,
      createdAt: now,
      updatedAt: now,
    };
    this.residents.set(id, r);
    const event: ActorEvent = { type: 'xstate.init', input };
    const effects = this.takeActions(r, actions, now);
    const changes = diffContext({}, snapshot.context);
    const w = this.committer.append(r, {
      actor_id: id,
      seq: 0,
      at: now,
      machine_version: def.version,
      event,
      value: snapshot.value,
      changes,
      context: snapshot.context,
    });
    this.queueEffects(w, r, effects, 0);
    w.transitions.push(this.transitionOf(r, event, true, now, changes));
    await this.committer.waitFor(w);
    return this.resultOf(r, true, true);
  }

  /**
   * Deliver an event to an actor (rehydrating it if needed). Resolves after the commit when
   * the event was logged, at once otherwise. Events to one actor apply in call order.
   */
  dispatch(id: string, event: ActorEvent): Promise<DispatchResult> {
    if (this.stopping) return Promise.reject(new HostStoppedError());
    return new Promise((resolve, reject) => {
      this.withResident(id, (r) => {
        if (r instanceof Error) return reject(r);
        try {
          const res = this.apply(r, event);
          if (res.wait) res.wait.waiters.push({ resolve, reject, result: res.result });
          else resolve(res.result);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /**
   * Like {@link dispatch} but fire-and-forget: failures are logged (a refused write is logged by
   * the committer). No promise per event: a keepalive is sent 18,000 times a second.
   */
  send(id: string, event: ActorEvent): void {
    if (this.stopping) return;
    const resident = this.residents.get(id);
    // The usual case, a resident actor, without the closure withResident takes.
    if (resident) return this.sendTo(resident, event);
    this.withResident(id, (r) => (r instanceof Error ? this.undelivered(id, event, r) : this.sendTo(r, event)));
  }

  private sendTo(r: Resident, event: ActorEvent): void {
    try {
      this.apply(r, event, undefined, false);
    } catch (err) {
      this.undelivered(r.id, event, err);
    }
  }

  /**
   * Like {@link send}, but applied soon, in slices of at most DEFERRED_SLICE_MS between which the
   * event loop serves sockets and timers. For bursts of events whose order against the actor's
   * other events does not matter because the machine checks whom they concern (a closed socket's
   * event names its connection, and a newer login's events may come first): 17,000 devices
   * dropping at once would otherwise hold the event loop in their close handlers for 0.4 s.
   * The event's time is when it was sent.
   */
  sendSoon(id: string, event: ActorEvent): void {
    if (this.stopping) return;
    this.deferred.push([id, stamped(event, this.clock.now())]);
    if (this.deferred.length === 1) setImmediate(() => this.applyDeferred(DEFERRED_SLICE_MS));
  }

  private applyDeferred(sliceMs: number): void {
    const end = performance.now() + sliceMs;
    let i = 0;
    while (i < this.deferred.length) {
      const [id, event] = this.deferred[i++]!;
      this.send(id, event);
      if (performance.now() >= end) break;
    }
    this.deferred.splice(0, i);
    if (this.deferred.length > 0) setImmediate(() => this.applyDeferred(DEFERRED_SLICE_MS));
  }

  private undelivered(id: string, event: ActorEvent, err: unknown): void {
    this.log.warn({ actor: id, event: event.type, err: String(err) }, 'event not delivered');
  }

  /** The current view of an actor (from memory when resident), or undefined. */
  async get(id: string): Promise<ActorView | undefined> {
    const r = this.residents.get(id);
    if (r) return this.viewOf(r);
    const row = await loadActorRow(this.opts.db, id);
    return row ? viewOfRow(row) : undefined;
  }

  /**
   * The view of an actor about to be used: like {@link get}, but it loads the actor into memory
   * through the batched loader (one query for every actor asked for in the same tick), so that the
   * event that usually follows (a login's `vd.connected`, an upload's `segment.uploaded`) needs no
   * second load. Undefined when the actor does not exist.
   */
  load(id: string): Promise<ActorView | undefined> {
    const r = this.residents.get(id);
    if (r) return Promise.resolve(this.viewOf(r));
    return new Promise((resolve, reject) => {
      this.withResident(id, (x) => {
        if (x instanceof ActorNotFoundError) resolve(undefined);
        else if (x instanceof Error) reject(x);
        else resolve(this.viewOf(x));
      });
    });
  }

  /** The in-memory view of a resident actor, if it is resident. */
  peek(id: string): ActorView | undefined {
    const r = this.residents.get(id);
    return r ? this.viewOf(r) : undefined;
  }

  /** Whether an actor exists (in memory or in the store). */
  async exists(id: string): Promise<boolean> {
    return this.residents.has(id) || (await actorExists(this.opts.db, id));
  }

  /** Drop idle actors from memory (their timers stay armed and reload them when due). */
  evictIdle(olderThanMs: number): number {
    const cutoff = this.clock.now() - olderThanMs;
    let n = 0;
    for (const r of this.residents.values()) {
      if (r.updatedAt >= cutoff || this.committer.isPending(r)) continue;
      if (r.volatileDirty) {
        this.committer.touch(r); // write its last-seen time first; it goes on a later round
        continue;
      }
      this.residents.delete(r.id);
      n++;
    }
    return n;
  }

  private withResident(id: string, job: Job): void {
    const r = this.residents.get(id);
    if (r) return job(r);
    const waiting = this.loading.get(id);
    if (waiting) {
      waiting.push(job);
      return;
    }
    this.loading.set(id, [job]);
    this.loadQueue.push(id);
    // After this turn of the event loop: every actor asked for meanwhile (the logins of a storm,
    // each its own request) comes with one query.
    if (this.loadQueue.length === 1) setImmediate(() => this.loadQueued());
  }

  /** Rehydrate every actor asked for in this turn with one query (a reconnect storm loads thousands). */
  private loadQueued(): void {
    const ids = this.loadQueue.splice(0, LOAD_BATCH_MAX);
    if (this.loadQueue.length > 0) queueMicrotask(() => this.loadQueued()); // the rest at once: the turn is over
    const settle = (id: string, res: Resident | Error) => {
      const jobs = this.loading.get(id) ?? [];
      this.loading.delete(id);
      if (!(res instanceof Error)) this.residents.set(id, res);
      for (const j of jobs) j(res);
    };
    loadActorRows(this.opts.db, ids).then(
      (rows) => {
        const byId = new Map(rows.map((row) => [row.id, row] as const));
        for (const id of ids) {
          const row = byId.get(id);
          settle(id, row ? this.rehydrate(row) : new ActorNotFoundError(id));
        }
      },
      (err) => {
        for (const id of ids) settle(id, err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private rehydrate(row: ActorRow): Resident | Error {
    const id = row.id;
    let def: MachineDef;
    try {
      def = this.registry.get(id, row.type, row.machine_version);
    } catch (err) {
      this.log.error({ actor: id, err: String(err) }, 'actor cannot be rehydrated');
      return err as Error;
    }
    const snapshot = def.machine.resolveState({
      value: row.value as never,
      context: row.context,
      ...(row.history_value ? { historyValue: row.history_value as never } : {}),
      status: row.status as never,
    }) as AnyMachineSnapshot;
    const timers = new Map(row.timers.map((t) => [t.id, t] as const));
    const r: Resident = {
      id,
      def,
      snapshot,
      volatile: null,
      stateKey: row.state_key,
      timersGen: 0,
      row: { stateKey: row.state_key, status: row.status, timersGen: 0 },
      seq: row.seq,
      dbSeq: row.row_seq,
      ctxSeq: row.row_seq,
      ctxWrittenAt: row.updated_at,
      loggedContext: row.context,
      timers,
      gen: Math.max(0, ...row.timers.map((t) => t.gen)),
      deviceId: row.device_id,
      parentId: row.parent_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
    // loggedContext may include volatile changes written after the last row; the next row's
    // diff against it still rebuilds exactly the context recorded at that row.
    for (const t of r.timers.values()) this.queue.push({ due: t.due, actorId: id, timerId: t.id, gen: t.gen });
    return r;
  }

  /**
   * Advance an actor by one event. `firedTimer`: the id of the timer whose event this is (already
   * removed from the actor's timers); a transition that only re-arms it is still volatile.
   * `wantResult` false (fire-and-forget sends) skips building the caller's view of an unlogged change.
   */
  private apply(r: Resident, input: ActorEvent, firedTimer?: string, wantResult = true): { result: DispatchResult; wait?: PendingWrite } {
    // Every event carries its time; machines read `event.at`, never a clock.
    const event = stamped(input, this.clock.now());
    const base = r.snapshot;
    const overlay = r.volatile;
    const quiet = firedTimer === undefined ? r.def.quiet?.(base, event) : null;
    if (quiet) return this.applyQuiet(r, event, quiet, wantResult);
    // The machine sees the volatile values too (the heartbeat check reads the last-seen time).
    const prev = overlay ? withVolatile(base, overlay) : base;
    let next: AnyMachineSnapshot;
    let actions: ReturnedAction[];
    try {
      [next, actions] = pureTransition(r.def.machine, prev, event);
    } catch (err) {
      this.log.error({ actor: r.id, event: event.type, err: String(err) }, 'machine failed on event');
      throw new ActorEventError(r.id, event.type, err);
    }
    // XState hands back the same snapshot both for an event no transition takes and for a
    // transition that only has actions (a timer re-armed, an effect): only the first is ignored.
    if (next === prev && actions.length === 0) return { result: this.resultOf(r, false, false, prev) };
    if (next.status === 'error') {
      this.log.error({ actor: r.id, event: event.type, err: String(next.error) }, 'machine failed on event');
      throw new ActorEventError(r.id, event.type, next.error);
    }
    const now = this.clock.now();
    const timersTouched = actions.some((a) => a.type === 'xstate.raise' || a.type === 'xstate.cancel');
    const idsBefore = timersTouched ? [...r.timers.keys()] : [];
    if (timersTouched && firedTimer !== undefined) idsBefore.push(firedTimer);
    const timerIdsBefore = idsBefore.sort().join('\n');
    const prevKey = r.stateKey;
    r.snapshot = next;
    r.volatile = null;
    r.stateKey = stateKeyOf(next.value);
    r.updatedAt = now;
    const effects = this.takeActions(r, actions, now);
    // Volatile: same state, no effect, the same timers (re-armed at most), only volatile keys changed.
    let isVolatile =
      effects.length === 0 &&
      next.status === prev.status &&
      r.stateKey === prevKey &&
      (!timersTouched || timerIdsBefore === [...r.timers.keys()].sort().join('\n'));
    if (isVolatile) isVolatile = changesOnly(prev.context, next.context, r.def.volatile ?? NO_KEYS);
    if (isVolatile) {
      if (sameButContext(base, next)) {
        // Keep the old snapshot; the new volatile values go beside it (see Resident.volatile).
        const vol = overlay ?? {};
        for (const k of r.def.volatile ?? NO_KEYS) vol[k] = next.context[k];
        r.snapshot = base;
        r.volatile = vol;
      }
      this.committer.touch(r);
      if (this.unloggedListeners.size > 0) {
        const t = this.transitionOf(r, event, false, now, diffContext(prev.context, next.context), next);
        for (const l of this.unloggedListeners) safeCall(l, t, this.log);
      }
      return { result: this.resultOf(r, true, false, next) };
    }
    r.seq += 1;
    const checkpoint = r.seq % CHECKPOINT_EVERY === 0;
    // The diff from the last logged context (volatile values changed since then included).
    const changes = diffContext(r.loggedContext, next.context);
    r.loggedContext = next.context;
    const w = this.committer.append(r, {
      actor_id: r.id,
      seq: r.seq,
      at: now,
      machine_version: r.def.version,
      event,
      value: next.value,
      changes,
      context: checkpoint ? next.context : null,
    });
    this.queueEffects(w, r, effects, r.seq);
    if (this.listeners.size > 0) w.transitions.push(this.transitionOf(r, event, true, now, changes));
    return { result: this.resultOf(r, true, true), wait: w };
  }

  /**
   * An event the machine's `quiet` shortcut answered: only volatile values change, as the volatile
   * branch of {@link apply} would have recorded them, without running XState.
   */
  private applyQuiet(r: Resident, event: ActorEvent, values: Record<string, unknown>, wantResult: boolean): { result: DispatchResult } {
    const now = this.clock.now();
    const vol = r.volatile ?? {};
    const set: Record<string, unknown> = {};
    for (const k of r.def.volatile ?? NO_KEYS) {
      if (!(k in values)) continue;
      vol[k] = values[k];
      set[k] = values[k];
    }
    r.volatile = vol;
    r.updatedAt = now;
    this.committer.touch(r);
    if (!wantResult && this.unloggedListeners.size === 0) return { result: QUIET_RESULT };
    const s = withVolatile(r.snapshot, vol);
    if (this.unloggedListeners.size > 0) {
      const t = this.transitionOf(r, event, false, now, { set, unset: [] }, s);
      for (const l of this.unloggedListeners) safeCall(l, t, this.log);
    }
    return { result: this.resultOf(r, true, false, s) };
  }

  /** Map XState's returned actions: delayed raises become timers, cancels remove them, the rest are effects. */
  private takeActions(r: Resident, actions: ReturnedAction[], now: number) {
    const effects: Array<{ type: string; params: Record<string, unknown> }> = [];
    for (const a of actions) {
      const p = a.params ?? {};
      if (a.type === 'xstate.raise') {
        if (typeof p.delay !== 'number') continue; // immediate raises were applied inside the macrostep
        const ev = p.event as ActorEvent;
        const id = typeof p.id === 'string' ? p.id : ev.type;
        const t: PersistedTimer = { id, due: now + p.delay, gen: ++r.gen, event: ev };
        r.timers.set(id, t);
        r.timersGen++;
        this.queue.push({ due: t.due, actorId: r.id, timerId: id, gen: t.gen });
      } else if (a.type === 'xstate.cancel') {
        if (r.timers.delete(String(p.sendId))) r.timersGen++;
      } else if (a.type.startsWith('xstate.')) {
        if (a.type !== 'xstate.log') this.log.warn({ actor: r.id, action: a.type }, 'built-in action not supported by the durable host; ignored');
      } else {
        effects.push({ type: a.type, params: p });
      }
    }
    return effects;
  }

  private queueEffects(w: PendingWrite, r: Resident, effects: Array<{ type: string; params: Record<string, unknown> }>, seq: number) {
    effects.forEach((e, i) => {
      w.effects.push({ actorId: r.id, type: e.type, params: e.params, key: `${r.id}:${seq}:${i}`, context: r.snapshot.context, host: this });
    });
  }

  private afterCommit(w: PendingWrite): void {
    for (const t of w.transitions) for (const l of this.listeners) safeCall(l, t, this.log);
    // A finished actor never changes again, and a dormant one not for long: keep them only in the
    // store (a dormant one's timers stay armed, and rehydrate it when due).
    const leaves = w.r.snapshot.status === 'done' || (w.r.def.dormant?.includes(w.r.stateKey) ?? false);
    if (leaves && this.residents.get(w.r.id) === w.r && !this.committer.isPending(w.r)) this.residents.delete(w.r.id);
    for (const e of w.effects) this.runEffect(e);
  }

  private runEffect(e: EffectCall): void {
    const handler = this.opts.effects?.[e.type];
    if (!handler) {
      this.log.error({ actor: e.actorId, effect: e.type }, 'no handler for effect');
      return;
    }
    try {
      const p = handler(e);
      if (p && typeof (p as Promise<void>).catch === 'function') {
        (p as Promise<void>).catch((err) => this.log.error({ actor: e.actorId, effect: e.type, err: String(err) }, 'effect failed'));
      }
    } catch (err) {
      this.log.error({ actor: e.actorId, effect: e.type, err: String(err) }, 'effect failed');
    }
  }

  /** A write for this actor was refused (stale writer, or data the store rejects): drop it from memory. */
  private fence(r: Resident, err: Error): void {
    if (this.residents.get(r.id) === r) this.residents.delete(r.id);
    this.log.error({ actor: r.id, err: err.message }, 'actor write refused; actor reloads from the store on next use');
  }

  private onTimerDue(e: QueueEntry): void {
    if (this.stopping) return;
    this.withResident(e.actorId, (r) => {
      if (r instanceof Error) {
        // The actor could not be loaded because the database is away: try again, not never.
        if (isDatabaseUnavailable(r)) return this.queue.push({ ...e, due: this.clock.now() + TIMER_LOAD_RETRY_MS });
        this.log.error({ actor: e.actorId, err: r.message }, 'timer could not be delivered');
        return;
      }
      if (e.timerId === null) return; // arming on load already scheduled the actor's own timers
      const t = r.timers.get(e.timerId);
      if (!t || t.gen !== e.gen) return; // cancelled or re-armed since
      r.timers.delete(e.timerId);
      r.timersGen++;
      try {
        // A timer's event happens at its due time, whenever the process gets to it.
        const res = this.apply(r, stamped(t.event, t.due), e.timerId);
        if (!res.result.accepted) this.committer.touch(r); // persist the timer's removal
      } catch {
        this.committer.touch(r);
      }
    });
  }

  private transitionOf(r: Resident, event: ActorEvent, logged: boolean, at: number, changes: ContextChanges, s = settled(r)): Transition {
    return {
      actorId: r.id,
      type: r.def.type,
      seq: r.seq,
      logged,
      at,
      event,
      value: s.value,
      stateKey: r.stateKey,
      status: s.status,
      context: s.context,
      changes,
    };
  }

  private resultOf(r: Resident, accepted: boolean, logged: boolean, s = settled(r)): DispatchResult {
    return {
      accepted,
      logged,
      seq: r.seq,
      value: s.value,
      stateKey: r.stateKey,
      status: s.status,
      context: s.context,
    };
  }

  private viewOf(r: Resident): ActorView {
    const s = settled(r);
    return {
      id: r.id,
      type: r.def.type,
      machineId: r.def.machine.id,
      version: r.def.version,
      seq: r.seq,
      status: s.status,
      value: s.value,
      stateKey: r.stateKey,
      context: s.context,
      timers: [...r.timers.values()].map((t) => ({ id: t.id, due: t.due, event: t.event })),
      deviceId: r.deviceId,
      parentId: r.parentId,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }
}

/** The view of an actor read from its row. */
export function viewOfRow(row: ActorRow): ActorView {
  return {
    id: row.id,
    type: row.type,
    machineId: row.machine_id,
    version: row.machine_version,
    seq: row.seq,
    status: row.status,
    value: row.value,
    stateKey: row.state_key,
    context: row.context,
    timers: row.timers.map((t) => ({ id: t.id, due: t.due, event: t.event })),
    deviceId: row.device_id,
    parentId: row.parent_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Every event carries when it happened: `at`, unless it already says. */
function stamped(event: ActorEvent, at: number): ActorEvent {
  return event.at === undefined ? { ...event, at } : event;
}

function safeCall(l: (t: Transition) => void, t: Transition, log: Logger): void {
  try {
    l(t);
  } catch (err) {
    log.error({ err: String(err) }, 'transition listener failed');
  }
}
