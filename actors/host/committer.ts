/**
 * Group commit: events and snapshot changes of many actors accumulate while one statement is
 * in flight, then go to the store together. One batch is in flight at a time, so an actor's
 * writes reach the store in order; a write whose seq no longer matches is refused (fencing).
 */
import { availableParallelism } from 'node:os';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { Clock } from './timer-queue.ts';
import type { DispatchResult, EffectCall, Resident, Transition } from './host.ts';
import { commitBatch, type ActorRowWrite, type EventRowWrite } from './store.ts';
import { settled } from './volatile.ts';
import { ActorExistsError, StaleWriterError, StoreRejectedError } from './errors.ts';
import { DatabaseUnavailableError, dbErrorSummary, isTransientDatabaseError } from '../../db/errors.ts';
import { writtenBefore } from './commit-recovery.ts';

/** Default most events per commit statement (bounds statement size and commit latency). */
export const DEFAULT_MAX_BATCH_EVENTS = 4000;
/** Default delay before an unlogged (volatile) snapshot change is written. */
export const DEFAULT_VOLATILE_FLUSH_MS = 2000;
/** Most unlogged (volatile) snapshot changes written per statement of a volatile flush. */
export const VOLATILE_FLUSH_CHUNK_ROWS = 500;
/**
 * Least time between two volatile-flush statements of a lane. Each unlogged change is written
 * once it is DEFAULT_VOLATILE_FLUSH_MS old, in statements at most this often, so a steady stream of
 * changes (18,000 PUs re-arming their heartbeat timers every 20–30 s: about 700 rows a second) is
 * written as a steady trickle of small statements, not as a burst of every change of the last
 * 2 s at once (1,400 rows in three back-to-back statements of 25–78 ms each, measured, during
 * which the database took a core from the keepalives). Capacity: VOLATILE_FLUSH_CHUNK_ROWS per
 * this period per lane, 5,000 rows/s.
 */
export const VOLATILE_FLUSH_SPACING_MS = 100;
/** Back-off between retries of a batch the store could not take (connection lost…). */
export const COMMIT_RETRY_MIN_MS = 100;
/**
 * Longest back-off: a batch the database cannot take is retried at least this often for as long
 * as the outage lasts (its writes stay pending, in order), so a database that returns is written
 * to within this (platform's choice: one failed connection attempt a second per lane is cheap).
 */
export const COMMIT_RETRY_MAX_MS = 1000;
/** A failed commit is logged on its first attempt and then on every this many (one line a second per lane is noise). */
export const COMMIT_RETRY_LOG_EVERY = 10;
/**
 * Longest a dispatch or create waits for its commit (platform's choice). Past it the caller gets
 * a {@link DatabaseUnavailableError} (an API request answers 503) while the write stays pending
 * and is retried in the background: the event is applied in memory and reaches the store when the
 * database takes it. Healthy commits take milliseconds (tens under the heaviest bench), so only an
 * outage or a hung database meets this bound.
 */
export const COMMIT_WAIT_MAX_MS = 5000;
/** How often waits past their bound are looked for once a statement has been out COMMIT_WAIT_MAX_MS. */
export const COMMIT_WAIT_CHECK_MS = 250;

/**
 * The actor row is rewritten when its state, status or timers change, on volatile flushes, and
 * at least every this many events; in between only the events are appended, and readers bring
 * the row's context and seq up to date from the logged diffs (at most this many rows).
 */
export const CONTEXT_REFRESH_EVENTS = 16;
/** Longest a volatile change (a last-seen time) goes without reaching the stored context. */
export const VOLATILE_CONTEXT_REFRESH_MS = 60_000;

/**
 * How often the actors whose only unwritten change is volatile (a last-seen time, with the row's
 * state and timers already stored) are looked at: those whose stored context is older than
 * VOLATILE_CONTEXT_REFRESH_MS are written then. So a last-seen time reaches the store within
 * VOLATILE_CONTEXT_REFRESH_MS + this, and a device that only keeps alive costs no row write in between.
 */
export const VOLATILE_SWEEP_MS = 10_000;

/** SQLSTATE of a unique violation: in the event log, a seq another writer took. */
const UNIQUE_VIOLATION = '23505';

/** Receives one observation per committed batch. */
export interface CommitMetrics {
  batch(events: number, actors: number, ms: number): void;
}

/** One actor's part of a batch. */
export interface PendingWrite {
  r: Resident;
  /**
   * The event rows, each serialised as JSON when appended, while its objects are fresh in the
   * cache: `bench actors` measured 7.4–7.6 µs of Bun CPU per event this way against 8.4–8.5 µs
   * with the whole batch serialised at commit time (two runs each, alternated).
   */
  events: string[];
  effects: EffectCall[];
  transitions: Transition[];
  /**
   * Dispatches waiting for this write, resolved with their results after the commit, or rejected
   * once COMMIT_WAIT_MAX_MS have passed since the write began (the write itself goes on).
   */
  waiters: Array<{ resolve: (r: DispatchResult) => void; reject: (e: Error) => void; result: DispatchResult }>;
  /** When this write began (the clock's ms): its waiters' bound counts from here. */
  since: number;
  /** Seq and time of its last event row, which tell whether an earlier attempt stored it after all. */
  last?: { seq: number; at: number };
  /** The actor's timers generation when the row was built. */
  timersGen?: number;
  /** The actor row to write with this batch, or null when appending the events is enough. */
  row?: ActorRowWrite | null;
  /** Write the full context with the row (a flush or shutdown persists volatile changes too). */
  fullContext?: boolean;
  /** How the write ended, once it has: null when durable, else why it was refused. */
  outcome?: Error | null;
  /** Made on demand by {@link doneOf}: most writes are awaited through their waiters only. */
  done?: Promise<void>;
  resolve?: () => void;
  reject?: (e: Error) => void;
}

/** A promise of a write's outcome: resolved when durable, rejected if refused (never bounded: see {@link Committer.waitFor}). */
export function doneOf(w: PendingWrite): Promise<void> {
  if (!w.done) {
    if (w.outcome === undefined) {
      w.done = new Promise<void>((res, rej) => {
        w.resolve = res;
        w.reject = rej;
      });
    } else {
      w.done = w.outcome === null ? Promise.resolve() : Promise.reject(w.outcome);
    }
    w.done.catch(() => {}); // a refusal is reported to whoever waits; nobody waiting is fine
  }
  return w.done;
}

function settle(w: PendingWrite, err: Error | null): void {
  w.outcome = err;
  if (err) w.reject?.(err);
  else w.resolve?.();
}

/**
 * Commit lanes on PostgreSQL: an actor always uses the same lane, so its writes stay ordered,
 * while lanes commit in parallel on their own connections. One per CPU core, within these bounds:
 * more lanes than cores only make the backends contend for the cores, with smaller batches (on 2
 * cores `bun run bench actors` measured p99 dispatch-to-durable at 20,000 events/s of 15–25 ms with
 * 2 lanes against 28–60 ms with 4 or 8, at the same or better throughput).
 */
export const MIN_COMMIT_LANES_POSTGRES = 2;
export const MAX_COMMIT_LANES_POSTGRES = 8;
export const DEFAULT_COMMIT_LANES_POSTGRES = Math.min(MAX_COMMIT_LANES_POSTGRES, Math.max(MIN_COMMIT_LANES_POSTGRES, availableParallelism()));

interface CommitterOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics?: CommitMetrics;
  maxBatchEvents?: number;
  volatileFlushMs?: number;
  onCommitted(w: PendingWrite): void;
  onRejected(w: PendingWrite, err: Error): void;
  /** Parallel lanes (1 on PGlite, whose one connection serialises everything anyway). */
  lanes?: number;
}

/** One commit lane: batches the writes of its share of the actors into single statements. */
class Lane {
  private batch = new Map<string, PendingWrite>();
  private inFlight: PendingWrite[] = [];
  /** Actors with an unlogged change to write, and since when (oldest first: a Map keeps insertion order). */
  private dirty = new Map<Resident, number>();
  /** Actors whose only unwritten change is volatile context: written by the sweep, not each flush. */
  private lagging = new Set<Resident>();
  private sweepTimer: unknown = undefined;
  private running: Promise<void> | null = null;
  private volatileTimer: unknown = undefined;
  private volatileDue = false;
  /** When this lane last took a volatile-flush chunk. */
  private lastVolatileAt = -Infinity;
  /** The timer that answers waits past COMMIT_WAIT_MAX_MS while a statement is out. */
  private waitGuard: unknown = undefined;
  /** Since when the database has refused this lane's statements, or null while it takes them. */
  private failingSince: number | null = null;
  /** Barriers waiting, each answered with an error once the database has been unavailable COMMIT_WAIT_MAX_MS. */
  private barriers = new Set<{ since: number; reject: (e: Error) => void }>();
  private readonly maxEvents: number;
  private readonly volatileMs: number;

  constructor(private o: CommitterOptions) {
    this.maxEvents = o.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS;
    this.volatileMs = o.volatileFlushMs ?? DEFAULT_VOLATILE_FLUSH_MS;
  }

  /** Whether nothing is queued, dirty or in flight. */
  get idle(): boolean {
    return this.batch.size === 0 && this.dirty.size === 0 && this.lagging.size === 0 && !this.running;
  }

  /** Add an event row for an actor to the next batch. */
  append(r: Resident, event: EventRowWrite): PendingWrite {
    const w = this.pendingFor(r);
    w.events.push(JSON.stringify(event));
    w.last = { seq: event.seq, at: event.at };
    this.kick();
    return w;
  }

  /**
   * Note an unlogged snapshot change. When it changed what the row holds besides the context (its
   * timers, say) it is written within the volatile flush delay; when only volatile context keys
   * changed, the sweep writes it once its stored context is VOLATILE_CONTEXT_REFRESH_MS old.
   */
  touch(r: Resident): void {
    r.volatileDirty = true;
    if (this.batch.get(r.id)?.r === r || this.dirty.has(r)) return; // its row goes out with that write anyway
    if (storedRowCurrent(r)) {
      this.lagging.add(r);
      if (this.sweepTimer === undefined) this.sweepTimer = this.o.clock.setTimeout(() => this.sweep(), VOLATILE_SWEEP_MS);
      return;
    }
    this.lagging.delete(r);
    this.markDirty(r);
  }

  /** Write the lagging actors whose stored context is old enough; look again later at the others. */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.o.clock.now();
    for (const r of this.lagging) {
      if (now - r.ctxWrittenAt < VOLATILE_CONTEXT_REFRESH_MS) continue;
      this.lagging.delete(r);
      this.markDirty(r);
    }
    if (this.lagging.size > 0) this.sweepTimer = this.o.clock.setTimeout(() => this.sweep(), VOLATILE_SWEEP_MS);
  }

  private stopSweep(): void {
    this.lagging.clear();
    if (this.sweepTimer !== undefined) this.o.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private markDirty(r: Resident): void {
    if (!this.dirty.has(r)) this.dirty.set(r, this.o.clock.now());
    this.scheduleVolatile();
  }

  /** Arm the volatile flush for when the oldest unlogged change is due, and no sooner than the spacing allows. */
  private scheduleVolatile(): void {
    if (this.volatileTimer !== undefined || this.volatileDue) return;
    const oldest = this.dirty.values().next();
    if (oldest.done) return;
    const now = this.o.clock.now();
    const at = Math.max(oldest.value + this.volatileMs, this.lastVolatileAt + VOLATILE_FLUSH_SPACING_MS);
    this.volatileTimer = this.o.clock.setTimeout(
      () => {
        this.volatileTimer = undefined;
        this.volatileDue = true;
        this.kick();
      },
      Math.max(0, at - now),
    );
  }

  /** Whether an actor has anything not yet written. */
  isPending(r: Resident): boolean {
    return this.batch.get(r.id)?.r === r || this.dirty.has(r) || this.lagging.has(r);
  }

  /**
   * Wait until everything pending now (volatile changes included) is written; later work is not
   * waited for. Rejects with {@link DatabaseUnavailableError} once the database has refused this
   * lane's statements for COMMIT_WAIT_MAX_MS (the writes stay pending).
   */
  async barrier(): Promise<void> {
    const waits = [...this.inFlight, ...this.batch.values()].map(doneOf);
    for (const r of [...this.dirty.keys(), ...this.lagging]) waits.push(doneOf(this.volatileWrite(r)));
    this.stopSweep();
    this.kick();
    await new Promise<void>((resolve, reject) => {
      const b = { since: this.o.clock.now(), reject };
      this.barriers.add(b);
      void Promise.allSettled(waits).then(() => {
        this.barriers.delete(b);
        resolve();
      });
    });
  }

  /** Write everything pending, volatile changes included, until nothing is left (shutdown). */
  async drain(): Promise<void> {
    while (!this.idle) {
      for (const r of [...this.dirty.keys(), ...this.lagging]) this.volatileWrite(r);
      this.stopSweep();
      this.volatileDue = true;
      this.kick();
      await this.running;
    }
  }

  /** A pending write carrying an actor's volatile changes, full context included. */
  private volatileWrite(r: Resident): PendingWrite {
    const w = this.pendingFor(r);
    w.fullContext = true;
    return w;
  }

  private pendingFor(r: Resident): PendingWrite {
    let w = this.batch.get(r.id);
    if (w && w.r === r) return w;
    w = { r, events: [], effects: [], transitions: [], waiters: [], since: this.o.clock.now() };
    this.batch.set(r.id, w);
    this.dirty.delete(r);
    this.lagging.delete(r);
    return w;
  }

  private kick(): void {
    if (this.running) return;
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const writes = this.take();
        if (writes.length === 0) break;
        this.inFlight = writes;
        // The oldest pending write is among these (later ones began after they were taken).
        let oldest = Infinity;
        for (const w of writes) if (w.since < oldest) oldest = w.since;
        this.waitGuard = this.o.clock.setTimeout(() => this.checkWaits(), Math.max(0, oldest + COMMIT_WAIT_MAX_MS - this.o.clock.now()));
        try {
          await this.write(writes);
        } finally {
          this.o.clock.clearTimeout(this.waitGuard);
          this.waitGuard = undefined;
        }
        this.inFlight = [];
        // Back to the event loop before the next batch: PGlite answers within microtasks, and
        // dispatches chained on commits (a client sending its next event when the last one is
        // durable) would otherwise keep this loop going forever with timers and sockets starved.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = null;
      if (this.batch.size > 0) this.kick();
    }
  }

  private take(): PendingWrite[] {
    let out: PendingWrite[];
    let n = 0;
    if (this.batch.size <= this.maxEvents) {
      // The usual case: take the whole batch (a fresh map is cheaper than deleting every entry).
      out = [...this.batch.values()];
      this.batch = new Map();
    } else {
      out = [];
      for (const [id, w] of this.batch) {
        if (n >= this.maxEvents) break;
        this.batch.delete(id);
        out.push(w);
        n += w.events.length;
      }
    }
    const now = this.o.clock.now();
    if (this.volatileDue) {
      // The changes old enough, oldest first, in chunks: each statement's rows are built and
      // serialised on the main thread, so one flush of every dirty actor at once (18,000 re-armed
      // heartbeats) would stall the event loop for 100 ms and more; the next chunk waits for the
      // spacing (or for its oldest change to be due), and the loop serves others meanwhile.
      let budget = VOLATILE_FLUSH_CHUNK_ROWS;
      for (const [r, since] of this.dirty) {
        if (budget-- <= 0 || since + this.volatileMs > now) break;
        this.dirty.delete(r);
        const w = this.pendingFor(r);
        this.batch.delete(r.id);
        out.push(w);
      }
      this.volatileDue = false;
      this.lastVolatileAt = now;
      this.scheduleVolatile();
    }
    for (const w of out) w.row = rowOf(w, now);
    return out;
  }

  /**
   * Answer the waits that are past their bound: dispatch waiters of writes begun COMMIT_WAIT_MAX_MS
   * ago, and barriers once the database has refused statements that long. Their writes go on.
   */
  private checkWaits(): void {
    const now = this.o.clock.now();
    const cutoff = now - COMMIT_WAIT_MAX_MS;
    const err = new DatabaseUnavailableError(`the database did not take the write within ${COMMIT_WAIT_MAX_MS} ms; it is retried`);
    for (const w of [...this.inFlight, ...this.batch.values()]) {
      if (w.since > cutoff || w.waiters.length === 0) continue;
      const waiters = w.waiters;
      w.waiters = [];
      for (const x of waiters) x.reject(err);
    }
    if (this.failingSince !== null) {
      for (const b of this.barriers) {
        if (Math.max(b.since, this.failingSince) > cutoff) continue;
        this.barriers.delete(b);
        b.reject(err);
      }
    }
    this.waitGuard = this.o.clock.setTimeout(() => this.checkWaits(), COMMIT_WAIT_CHECK_MS);
  }

  /**
   * Commit `writes` in one statement, retrying while the database is unavailable (for as long as it
   * takes: the writes stay pending, in order); a data error is isolated by halving the batch.
   * `ambiguous`: an earlier attempt failed in a way that may have committed it (the connection was
   * lost after the statement was sent), so a refusal is checked against the store before it fences.
   */
  private async write(writes: PendingWrite[], ambiguous = false): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      try {
        const rows: ActorRowWrite[] = [];
        const eventOnly: string[] = [];
        const events: string[] = [];
        for (const w of writes) {
          if (w.row) rows.push(w.row);
          else eventOnly.push(w.r.id);
          for (const e of w.events) events.push(e);
        }
        const refused = await commitBatch(this.o.db, rows, events, eventOnly);
        this.o.metrics?.batch(events.length, rows.length, performance.now() - t0);
        this.recovered(attempt);
        for (const w of writes) {
          if (!refused.has(w.r.id)) this.succeed(w);
          else if (ambiguous && (await this.storedBefore(w))) this.succeed(w);
          else this.refuse(w, w.row?.base_seq === null ? new ActorExistsError(w.r.id) : new StaleWriterError(w.r.id, w.r.dbSeq));
        }
        return;
      } catch (err) {
        if (isTransientDatabaseError(err)) {
          ambiguous = true;
          this.failingSince ??= this.o.clock.now();
          const wait = Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_MIN_MS * 2 ** attempt);
          if (attempt % COMMIT_RETRY_LOG_EVERY === 0)
            this.o.log.warn({ err: dbErrorSummary(err), attempt, wait, writes: writes.length }, 'commit failed; retrying');
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        this.recovered(attempt);
        // A data error: find the write the store refuses by halving, keep all the others.
        if (writes.length === 1) {
          const w = writes[0]!;
          // A duplicate (actor_id, seq) in the log: another writer appended this seq first, or
          // this very write did, in an attempt whose answer was lost with its connection.
          const stale = (err as { code?: string }).code === UNIQUE_VIOLATION || (err as { cause?: { code?: string } }).cause?.code === UNIQUE_VIOLATION;
          if (stale && ambiguous && (await this.storedBefore(w))) this.succeed(w);
          else this.refuse(w, stale ? new StaleWriterError(w.r.id, w.r.dbSeq) : new StoreRejectedError(w.r.id, err));
          return;
        }
        const mid = writes.length >> 1;
        await this.write(writes.slice(0, mid), ambiguous);
        await this.write(writes.slice(mid), ambiguous);
        return;
      }
    }
  }

  /** The database took a statement again after refusing some: say so once. */
  private recovered(attempts: number): void {
    if (this.failingSince === null) return;
    this.o.log.info({ attempts, outageMs: this.o.clock.now() - this.failingSince }, 'commits resumed');
    this.failingSince = null;
  }

  /** Whether an earlier attempt stored this write after all (its answer lost with the connection). */
  private async storedBefore(w: PendingWrite): Promise<boolean> {
    for (;;) {
      try {
        return await writtenBefore(this.o.db, w.r.id, w.last, w.row ?? null);
      } catch (err) {
        if (!isTransientDatabaseError(err)) throw err;
        await new Promise((r) => setTimeout(r, COMMIT_RETRY_MAX_MS)); // gone again: ask when it is back
      }
    }
  }

  private succeed(w: PendingWrite): void {
    const row = w.row;
    if (row) {
      w.r.dbSeq = row.seq;
      w.r.row = { stateKey: row.state_key, status: row.status, timersGen: w.timersGen ?? 0 };
      if (row.context !== null) {
        w.r.ctxSeq = row.seq;
        w.r.ctxWrittenAt = row.at;
        w.r.volatileDirty = false;
      }
    }
    settle(w, null);
    for (const x of w.waiters) x.resolve(x.result);
    this.o.onCommitted(w);
  }

  private refuse(w: PendingWrite, err: Error): void {
    settle(w, err);
    for (const x of w.waiters) x.reject(err);
    this.o.onRejected(w, err);
    // Later writes of the same (now stale) copy can never apply either.
    const later = this.batch.get(w.r.id);
    if (later && later.r === w.r) {
      this.batch.delete(w.r.id);
      settle(later, err);
      for (const x of later.waiters) x.reject(err);
    }
    this.dirty.delete(w.r);
    this.lagging.delete(w.r);
  }
}

/** Whether the stored row has the actor's state, status and timers (its context and seq may lag). */
function storedRowCurrent(r: Resident): boolean {
  const row = r.row;
  return r.dbSeq !== null && row !== undefined && row.stateKey === r.stateKey && row.status === r.snapshot.status && row.timersGen === r.timersGen;
}

/**
 * Grain of `actors.next_timer_at`. The column only tells a restarted host which actors to load and
 * when (the exact due times are in `timers`, armed once the actor is loaded), so it is stored
 * rounded down to this grain: an actor may load up to this much early after a restart, and a
 * timer re-armed within the same grain (a device's heartbeat check, every 20–30 s) leaves every
 * indexed column as it was, so PostgreSQL updates the row in place (a HOT update) instead of
 * adding an entry to each of the table's five indexes.
 */
export const TIMER_INDEX_GRAIN_MS = 5 * 60_000;

/** The value stored in `actors.next_timer_at` for an earliest due time (epoch ms). */
export function timerIndexTime(due: number): number {
  return Math.floor(due / TIMER_INDEX_GRAIN_MS) * TIMER_INDEX_GRAIN_MS;
}

/** The actor row this write must carry, or null when the row is still good (only context and seq lag). */
function rowOf(w: PendingWrite, now: number): ActorRowWrite | null {
  const r = w.r;
  const s = r.snapshot; // its volatile values only matter to the context, folded in below when written
  w.timersGen = r.timersGen;
  const stale = r.seq - r.ctxSeq >= CONTEXT_REFRESH_EVENTS;
  const rowNeeded = w.events.length === 0 || stale || !storedRowCurrent(r);
  if (!rowNeeded) return null;
  const timers = [...r.timers.values()];
  let next: number | null = null;
  for (const t of timers) if (next === null || t.due < next) next = t.due;
  // A volatile flush (no events) mostly re-arms timers: it carries the full context (for the
  // last-seen time) at most once per VOLATILE_CONTEXT_REFRESH_MS.
  const volatileRefresh = r.volatileDirty && (w.fullContext || now - r.ctxWrittenAt >= VOLATILE_CONTEXT_REFRESH_MS);
  const fullContext = r.dbSeq === null || volatileRefresh || s.status !== 'active' || stale;
  return {
    id: r.id,
    type: r.def.type,
    machine_id: r.def.machine.id,
    machine_version: r.def.version,
    base_seq: r.dbSeq,
    seq: r.seq,
    status: s.status,
    state_key: r.stateKey,
    value: s.value,
    context: fullContext ? settled(r).context : null,
    history_value: Object.keys(s.historyValue ?? {}).length ? s.historyValue : null,
    timers,
    next_timer_at: next === null ? null : timerIndexTime(next),
    device_id: r.deviceId,
    parent_id: r.parentId,
    at: now,
  };
}

/** Group commit over one or more lanes; an actor's writes always go through the same lane. */
export class Committer {
  private lanes: Lane[];

  constructor(o: CommitterOptions) {
    const n = Math.max(1, o.lanes ?? (o.db.kind === 'postgres' ? DEFAULT_COMMIT_LANES_POSTGRES : 1));
    this.lanes = Array.from({ length: n }, () => new Lane(o));
  }

  private laneOf(r: Resident): Lane {
    if (this.lanes.length === 1) return this.lanes[0]!;
    let h = 0;
    for (let i = 0; i < r.id.length; i++) h = (h * 31 + r.id.charCodeAt(i)) | 0;
    return this.lanes[(h >>> 0) % this.lanes.length]!;
  }

  /** Add an event row for an actor to the next batch of its lane. */
  append(r: Resident, event: EventRowWrite): PendingWrite {
    return this.laneOf(r).append(r, event);
  }

  /** Note an unlogged snapshot change (written within the volatile flush delay). */
  touch(r: Resident): void {
    this.laneOf(r).touch(r);
  }

  /** Whether an actor has anything not yet written. */
  isPending(r: Resident): boolean {
    return this.laneOf(r).isPending(r);
  }

  /**
   * Resolve when a write is durable; reject if it was refused, or with a
   * {@link DatabaseUnavailableError} once it has waited COMMIT_WAIT_MAX_MS (the write goes on).
   */
  waitFor(w: PendingWrite): Promise<void> {
    if (w.outcome !== undefined) return doneOf(w);
    return new Promise<void>((resolve, reject) => {
      w.waiters.push({ resolve: () => resolve(), reject, result: undefined as unknown as DispatchResult });
    });
  }

  /** Wait until everything pending now is written (rejects once the database has been unavailable COMMIT_WAIT_MAX_MS). */
  async barrier(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.barrier()));
  }

  /** Write everything until nothing is left (shutdown). */
  async drain(): Promise<void> {
    while (this.lanes.some((l) => !l.idle)) await Promise.all(this.lanes.map((l) => l.drain()));
  }
}
