/**
 * The durable actor host. Actors are XState machines advanced with XState's pure `transition`;
 * every accepted event is appended to the event log with the state it produced, the latest
 * snapshot and the pending delayed events are kept in the actor row, and writes are group
 * committed. Effects (the machine's own actions) run only after the commit that decided them.
 * This class is the public face; the work is in dispatch.ts, rehydration.ts, timers.ts,
 * effects.ts and the committer (see README.md).
 */
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { silentLog } from '../../lib/log.ts';
import { MachineRegistry } from './registry.ts';
import { actorExists, loadActorRow, loadTimerIndex } from './store.ts';
import { systemClock, TimerQueue, type Clock } from './timer-queue.ts';
import { Committer } from './committer.ts';
import { ActorElsewhereError, ActorExistsError, ActorNotFoundError, AlreadyDeliveredError, HostStoppedError } from './errors.ts';
import type { HostCore } from './core.ts';
import { apply } from './dispatch.ts';
import { afterCommit } from './effects.ts';
import { beginActor } from './begin.ts';
import { Outbox } from './outbox.ts';
import { ResidentLoader } from './rehydration.ts';
import { adoptDue, takeOver, TakeOvers } from './adoption.ts';
import { writerOf } from './ownership.ts';
import { touch } from './resident.ts';
import { onTimerDue, stamped } from './timers.ts';
import type { ActorEvent, ActorView, DispatchResult, EffectHost, Resident, Transition } from './types.ts';
import { resultOf, viewOf, viewOfRow } from './views.ts';
import { sourcedView, type VolatileSource } from './volatile.ts';
import type { HostOptions } from './host-options.ts';

export * from './errors.ts';
export type { ActorEvent, ActorView, DispatchResult, EffectCall, EffectHandlers, EffectHost, Resident, Transition } from './types.ts';
export { CHECKPOINT_EVERY } from './dispatch.ts';
export { LOAD_BATCH_MAX } from './rehydration.ts';
export { DELIVERY_RETRY_MS } from './outbox.ts';
export { ACTOR_SEND, ActorSendParams, actorSendAction, tell } from './tell.ts';
export type { Delivery } from './core.ts';
export { TIMER_LOAD_RETRY_MS } from './timers.ts';
export { viewOfRow } from './views.ts';
export type { OwnerLease } from './ownership.ts';
export type { VolatileSource } from './volatile.ts';
export type { HostOptions } from './host-options.ts';

/** Longest the host applies deferred events ({@link ActorHost.sendSoon}) before the event loop serves others. */
export const DEFERRED_SLICE_MS = 5;

/** Creates, rehydrates and advances durable actors. */
export class ActorHost implements EffectHost {
  readonly registry: MachineRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  private residents = new Map<string, Resident>();
  private listeners = new Set<(t: Transition) => void>();
  /** The listeners that also want unlogged (volatile) changes: a console watching one actor, not the services. */
  private unloggedListeners = new Set<(t: Transition) => void>();
  private queue: TimerQueue;
  private committer: Committer;
  private loader: ResidentLoader;
  private takeOvers: TakeOvers;
  private outbox: Outbox;
  /** What the host's modules share (see core.ts). */
  private core: HostCore;
  private stopping = false;
  /** Events of {@link sendSoon} not applied yet, in the order sent. */
  private deferred: Array<[string, ActorEvent]> = [];

  constructor(private opts: HostOptions) {
    this.registry = new MachineRegistry(opts.machines);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
    this.queue = new TimerQueue(this.clock, (e) => {
      if (!this.stopping) onTimerDue(this.core, e, (r, event, fired) => apply(this.core, r, event, fired));
    });
    this.committer = new Committer({
      db: opts.db,
      clock: this.clock,
      log: this.log,
      metrics: opts.metrics,
      maxBatchEvents: opts.maxBatchEvents,
      volatileFlushMs: opts.volatileFlushMs,
      lanes: opts.commitLanes,
      owner: opts.owner,
      onCommitted: (w, written) => afterCommit(this.core, w, written),
      onRejected: (w, err) => this.fence(w.r, err),
    });
    this.core = {
      db: opts.db,
      registry: this.registry,
      clock: this.clock,
      log: this.log,
      residents: this.residents,
      queue: this.queue,
      committer: this.committer,
      listeners: this.listeners,
      unloggedListeners: this.unloggedListeners,
      effects: opts.effects,
      sources: [],
      owner: opts.owner,
      deviceRoot: opts.deviceRoot,
      onTaken: opts.onTaken,
      enabled: new Set(opts.enabled ?? []),
      api: this,
      withResident: (id, job) => this.loader.withResident(id, job),
      deliver: (d) => this.outbox.deliver(d),
      spawn: (type, id, input, meta) => this.committer.waitFor(this.begin(type, id, input, meta).w),
      isStopping: () => this.stopping,
    };
    this.loader = new ResidentLoader(this.core);
    this.takeOvers = new TakeOvers(this.core);
    this.outbox = new Outbox(this.core, opts.beforeDeliver);
  }

  /** The database this host writes to. */
  get db(): Db {
    return this.opts.db;
  }

  /**
   * Arm the timers of every persisted actor (actors themselves load lazily, on first use), and
   * deliver the messages between actors that a crash left undelivered.
   */
  async start(): Promise<{ timers: number; messages: number }> {
    const index = await loadTimerIndex(this.opts.db, this.opts.owner && writerOf(this.opts.owner));
    for (const t of index) this.queue.push({ due: t.due, actorId: t.id, timerId: null, gen: 0 });
    const messages = await this.outbox.redeliver();
    return { timers: index.length, messages };
  }

  /** Whether this host is a node of a cluster (it writes under a lease: docs/cluster.md). */
  get clustered(): boolean {
    return this.opts.owner !== undefined;
  }

  /** Take over every actor of these devices: they logged in to this node (docs/cluster.md). */
  takeOver(deviceId: string): Promise<void> {
    return this.takeOvers.add(deviceId);
  }

  /**
   * Another node took these actors over: drop the copies held here (those with no write pending: a pending one is
   * refused by the store and dropped then), as a refused write would, `onFenced` included.
   */
  release(actorIds: string[]): number {
    let n = 0;
    for (const id of actorIds) {
      const r = this.residents.get(id);
      if (!r || this.committer.isPending(r)) continue;
      this.residents.delete(id);
      this.opts.onFenced?.(id, new ActorElsewhereError(id, 'another node'));
      n++;
    }
    return n;
  }

  /** Take over one actor, whoever owns it (a node's own actor, at its join). */
  async takeOverActor(id: string): Promise<void> {
    await takeOver(this.core, [id], 'actor');
  }

  /**
   * Adopt dead nodes' actors whose timers fall due within `horizonMs`, and deliver the messages
   * waiting for actors this node now owns (those older than `outboxAgeMs`: newer ones are in flight).
   */
  async adopt(horizonMs: number, outboxAgeMs: number): Promise<{ actors: number; messages: number }> {
    const actors = await adoptDue(this.core, horizonMs);
    const messages = this.opts.owner?.writable() ? await this.outbox.redeliver(outboxAgeMs) : 0;
    return { actors, messages };
  }

  /**
   * Forget every resident (this node was declared dead: what it held belongs to others now). Writes
   * still pending are refused by the store; queued timers load their actor again, which claims it
   * under the new epoch if nobody else did, or skips it.
   */
  reset(): void {
    this.residents.clear();
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

  /** Fold a service's volatile values into actors' transitions and views, and let it postpone their timers (volatile.ts). */
  addVolatileSource(source: VolatileSource): void {
    this.core.sources.push(source);
  }

  /** Number of actors held in memory. */
  get residentCount(): number {
    return this.residents.size;
  }

  /** Whether actor `id` is held in memory here (in a cluster: this node advances it; a take-over drops the copy). */
  holds(id: string): boolean {
    return this.residents.has(id);
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
    if (this.residents.has(id) || this.loader.isLoading(id) || (!meta.fresh && (await actorExists(this.opts.db, id)))) {
      throw new ActorExistsError(id);
    }
    const { r, w } = this.begin(type, id, input, meta);
    await this.committer.waitFor(w);
    return resultOf(r, true, true);
  }

  /** Make the actor resident and queue its first row (synchronously: a second call for the id throws ActorExistsError). */
  private begin(type: string, id: string, input: Record<string, unknown>, meta: { deviceId?: string; parentId?: string }) {
    if (this.stopping) throw new HostStoppedError();
    if (this.residents.has(id) || this.loader.isLoading(id)) throw new ActorExistsError(id);
    return beginActor(this.core, this.registry.latest(type), id, input, meta);
  }

  /**
   * Deliver an event to an actor (rehydrating it if needed). Resolves after the commit when
   * the event was logged, at once otherwise. Events to one actor apply in call order.
   */
  dispatch(id: string, event: ActorEvent): Promise<DispatchResult> {
    if (this.stopping) return Promise.reject(new HostStoppedError());
    return new Promise((resolve, reject) => {
      this.loader.withResident(id, (r) => {
        if (r instanceof Error) return reject(r);
        try {
          const res = apply(this.core, r, event);
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
    this.loader.withResident(id, (r) => (r instanceof Error ? this.undelivered(id, event, r) : this.sendTo(r, event)));
  }

  private sendTo(r: Resident, event: ActorEvent): void {
    try {
      apply(this.core, r, event, undefined, false);
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
    // In a cluster a fire-and-forget event for an actor another node serves (a Vs request's note, a socket's close
    // after its device moved) is that node's business: expected in thousands when devices move, not a warning.
    if (err instanceof ActorElsewhereError)
      this.log.debug({ actor: id, event: event.type, owner: err.owner }, 'event for an actor another node owns: not delivered');
    else this.log.warn({ actor: id, event: event.type, err: String(err) }, 'event not delivered');
  }

  /** The current view of an actor (from memory when resident), or undefined. */
  async get(id: string): Promise<ActorView | undefined> {
    const r = this.residents.get(id);
    if (r) return sourcedView(this.core.sources, viewOf(r));
    const row = await loadActorRow(this.opts.db, id);
    return row ? sourcedView(this.core.sources, viewOfRow(row)) : undefined;
  }

  /**
   * The view of an actor about to be used: like {@link get}, but it loads the actor into memory
   * through the batched loader (one query for every actor asked for in the same tick), so that the
   * event that usually follows (a login's `vd.connected`, an upload's `segment.uploaded`) needs no
   * second load. Undefined when the actor does not exist.
   */
  load(id: string): Promise<ActorView | undefined> {
    const r = this.residents.get(id);
    if (r) return Promise.resolve(sourcedView(this.core.sources, viewOf(r)));
    return new Promise((resolve, reject) => {
      this.loader.withResident(id, (x) => {
        if (x instanceof ActorNotFoundError) resolve(undefined);
        else if (x instanceof Error) reject(x);
        else resolve(sourcedView(this.core.sources, viewOf(x)));
      });
    });
  }

  /** The in-memory view of a resident actor, if it is resident. */
  peek(id: string): ActorView | undefined {
    const r = this.residents.get(id);
    return r ? sourcedView(this.core.sources, viewOf(r)) : undefined;
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
        touch(this.core, r); // write its last-seen time first; it goes on a later round
        continue;
      }
      this.residents.delete(r.id);
      n++;
    }
    return n;
  }

  /** A write for this actor was refused (stale writer, or data the store rejects): drop it from memory. */
  private fence(r: Resident, err: Error): void {
    if (this.residents.get(r.id) === r) this.residents.delete(r.id);
    this.opts.onFenced?.(r.id, err);
    // A duplicate message is expected after a crash (at-least-once delivery): not an error.
    if (err instanceof AlreadyDeliveredError)
      this.log.info({ actor: r.id, err: err.message }, 'duplicate message dropped; actor reloads from the store on next use');
    else this.log.error({ actor: r.id, err: err.message }, 'actor write refused; actor reloads from the store on next use');
  }
}
