/**
 * One commit lane: batches the writes of its share of the actors into single statements, one in
 * flight at a time, so an actor's writes reach the store in order. A data error is isolated by
 * halving the batch; an unavailable database is retried for as long as it takes.
 */
import type { Resident } from './types.ts';
import { splitByIncarnation, writerOf } from './ownership.ts';
import { commitBatch, type ActorRowWrite, type EventRowWrite } from './store.ts';
import { ActorExistsError, AlreadyDeliveredError, StaleWriterError, StoreRejectedError } from './errors.ts';
import { DatabaseUnavailableError, dbErrorSummary, isTransientDatabaseError } from '../../db/errors.ts';
import { isDeliveryKeyViolation, isUniqueViolation, writtenBefore } from './commit-recovery.ts';
import {
  COMMIT_RETRY_LOG_EVERY,
  COMMIT_RETRY_MAX_MS,
  COMMIT_RETRY_MIN_MS,
  COMMIT_WAIT_CHECK_MS,
  COMMIT_WAIT_MAX_MS,
  type CommitterOptions,
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_VOLATILE_FLUSH_MS,
  LEASE_WAIT_POLL_MS,
  VOLATILE_CONTEXT_REFRESH_MS,
  VOLATILE_FLUSH_CHUNK_ROWS,
  VOLATILE_FLUSH_SPACING_MS,
  VOLATILE_FLUSH_TRICKLE_SPACING_MS,
  VOLATILE_SWEEP_MS,
} from './commit-config.ts';
import { doneOf, type PendingWrite, rowOf, settle, storedRowCurrent, writtenOf } from './pending-write.ts';

export class Lane {
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
  /** When the writes in flight were taken (their statement, or its retries, out since). */
  private inFlightSince = 0;
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

  /** Arm the volatile flush for when the oldest unlogged change is due, no sooner than the spacing allows (a trickle waits longer). */
  private scheduleVolatile(): void {
    if (this.volatileTimer !== undefined || this.volatileDue) return;
    const oldest = this.dirty.values().next();
    if (oldest.done) return;
    const now = this.o.clock.now();
    const spacing = this.dirty.size >= VOLATILE_FLUSH_CHUNK_ROWS ? VOLATILE_FLUSH_SPACING_MS : VOLATILE_FLUSH_TRICKLE_SPACING_MS;
    const at = Math.max(oldest.value + this.volatileMs, this.lastVolatileAt + spacing);
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
        this.inFlightSince = this.o.clock.now();
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
   * ago, and barriers once the database has refused statements that long, or left one unanswered
   * that long (a hung database: a connection that neither connects nor fails). Their writes go on.
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
    const stuckSince = this.failingSince ?? (this.inFlight.length > 0 ? this.inFlightSince : null);
    if (stuckSince !== null) {
      for (const b of this.barriers) {
        if (Math.max(b.since, stuckSince) > cutoff) continue;
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
      const owner = this.o.owner;
      if (owner && !owner.writable()) {
        // Past this node's own lease deadline (docs/cluster.md): nothing is sent until the lease holds again; the
        // writes wait as during a database outage, and a caller's wait is bounded the same way.
        this.failingSince ??= this.o.clock.now();
        attempt--;
        await new Promise((r) => setTimeout(r, LEASE_WAIT_POLL_MS));
        continue;
      }
      // Writes of an earlier incarnation's residents are never sent under this epoch's name (ownership.ts).
      const [current, stale] = owner ? splitByIncarnation(writes, owner) : [writes, []];
      for (const w of stale) this.refuse(w, new StaleWriterError(w.r.id, w.r.dbSeq));
      if ((writes = current).length === 0) return;
      const t0 = performance.now();
      try {
        const rows: ActorRowWrite[] = [];
        const eventOnly: string[] = [];
        const events: string[] = [];
        const outbox: string[] = [];
        for (const w of writes) {
          if (w.row) rows.push(w.row);
          else eventOnly.push(w.r.id);
          for (const e of w.events) events.push(e);
          if (w.outbox) for (const m of w.outbox) outbox.push(m);
        }
        const refused = await commitBatch(this.o.db, rows, events, eventOnly, outbox, owner && writerOf(owner));
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
          const stale = isUniqueViolation(err);
          if (stale && ambiguous && (await this.storedBefore(w))) this.succeed(w);
          else if (stale && isDeliveryKeyViolation(err)) this.refuse(w, new AlreadyDeliveredError(w.r.id, w.deliveryKey));
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
    settle(w, null);
    for (const x of w.waiters) x.resolve(x.result);
    this.o.onCommitted(w, writtenOf(w));
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
