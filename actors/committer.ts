/**
 * Group commit: events and snapshot changes of many actors accumulate while one statement is
 * in flight, then go to the store together. One batch is in flight at a time, so an actor's
 * writes reach the store in order; a write whose seq no longer matches is refused (fencing).
 */
import type { Db } from '../db/client.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from './timer-queue.ts';
import type { EffectCall, Resident, Transition } from './host.ts';
import { commitBatch, type ActorRowWrite, type EventRowWrite } from './store.ts';
import { stateKeyOf } from './state-key.ts';
import { ActorExistsError, StaleWriterError, StoreRejectedError } from './errors.ts';

/** Default most events per commit statement (bounds statement size and commit latency). */
export const DEFAULT_MAX_BATCH_EVENTS = 4000;
/** Default delay before an unlogged (volatile) snapshot change is written. */
export const DEFAULT_VOLATILE_FLUSH_MS = 2000;
/** Back-off between retries of a batch the store could not take (connection lost…). */
export const COMMIT_RETRY_MIN_MS = 100;
export const COMMIT_RETRY_MAX_MS = 5000;

/** SQLSTATE classes that say "try again", not "this data is wrong". */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '40', '53', '57', '58'];

/** Receives one observation per committed batch. */
export interface CommitMetrics {
  batch(events: number, actors: number, ms: number): void;
}

/** One actor's part of a batch. */
export interface PendingWrite {
  r: Resident;
  events: EventRowWrite[];
  effects: EffectCall[];
  transitions: Transition[];
  row?: ActorRowWrite;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface CommitterOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics?: CommitMetrics;
  maxBatchEvents?: number;
  volatileFlushMs?: number;
  onCommitted(w: PendingWrite): void;
  onRejected(w: PendingWrite, err: Error): void;
}

/** Batches actor writes into single statements. */
export class Committer {
  private batch = new Map<string, PendingWrite>();
  private inFlight: PendingWrite[] = [];
  private dirty = new Set<Resident>();
  private running: Promise<void> | null = null;
  private volatileTimer: unknown = undefined;
  private volatileDue = false;
  private readonly maxEvents: number;
  private readonly volatileMs: number;

  constructor(private o: CommitterOptions) {
    this.maxEvents = o.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS;
    this.volatileMs = o.volatileFlushMs ?? DEFAULT_VOLATILE_FLUSH_MS;
  }

  /** Add an event row for an actor to the next batch. */
  append(r: Resident, event: EventRowWrite): PendingWrite {
    const w = this.pendingFor(r);
    w.events.push(event);
    this.kick();
    return w;
  }

  /** Note an unlogged snapshot change; it is written within the volatile flush delay. */
  touch(r: Resident): void {
    if (this.batch.get(r.id)?.r === r) return; // its row goes out with the pending write anyway
    this.dirty.add(r);
    if (this.volatileTimer === undefined) {
      this.volatileTimer = this.o.clock.setTimeout(() => {
        this.volatileTimer = undefined;
        this.volatileDue = true;
        this.kick();
      }, this.volatileMs);
    }
  }

  /** Whether an actor has anything not yet written. */
  isPending(r: Resident): boolean {
    return this.batch.get(r.id)?.r === r || this.dirty.has(r);
  }

  /** Resolve when a write is durable; reject if it was refused. */
  waitFor(w: PendingWrite): Promise<void> {
    return w.done;
  }

  /** Wait until everything pending now (volatile changes included) is written; later work is not waited for. */
  async barrier(): Promise<void> {
    const waits = [...this.inFlight, ...this.batch.values()].map((w) => w.done);
    for (const r of [...this.dirty]) waits.push(this.pendingFor(r).done);
    this.kick();
    await Promise.allSettled(waits);
  }

  /** Write everything pending, volatile changes included, until nothing is left (shutdown). */
  async drain(): Promise<void> {
    this.volatileDue = true;
    while (this.batch.size > 0 || this.dirty.size > 0 || this.running) {
      this.volatileDue = true;
      this.kick();
      await this.running;
    }
  }

  private pendingFor(r: Resident): PendingWrite {
    let w = this.batch.get(r.id);
    if (w && w.r === r) return w;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {}); // a refusal is reported to whoever waits; nobody waiting is fine
    w = { r, events: [], effects: [], transitions: [], done, resolve, reject };
    this.batch.set(r.id, w);
    this.dirty.delete(r);
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
        await this.write(writes);
        this.inFlight = [];
      }
    } finally {
      this.running = null;
      if (this.batch.size > 0) this.kick();
    }
  }

  private take(): PendingWrite[] {
    const out: PendingWrite[] = [];
    let n = 0;
    for (const [id, w] of this.batch) {
      if (n >= this.maxEvents) break;
      this.batch.delete(id);
      out.push(w);
      n += w.events.length;
    }
    if (this.volatileDue) {
      this.volatileDue = false;
      for (const r of this.dirty) {
        const w = this.pendingFor(r);
        this.batch.delete(r.id);
        out.push(w);
      }
      this.dirty.clear();
      if (this.volatileTimer !== undefined) this.o.clock.clearTimeout(this.volatileTimer);
      this.volatileTimer = undefined;
    }
    const now = this.o.clock.now();
    for (const w of out) w.row = rowOf(w.r, now);
    return out;
  }

  private async write(writes: PendingWrite[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      try {
        const rows = writes.map((w) => w.row!);
        const events = writes.flatMap((w) => w.events);
        const ok = await commitBatch(this.o.db, rows, events);
        this.o.metrics?.batch(events.length, rows.length, performance.now() - t0);
        for (const w of writes) {
          if (ok.has(w.r.id)) this.succeed(w);
          else this.refuse(w, w.row!.base_seq === null ? new ActorExistsError(w.r.id) : new StaleWriterError(w.r.id, w.row!.base_seq));
        }
        return;
      } catch (err) {
        if (isTransient(err)) {
          const wait = Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_MIN_MS * 2 ** attempt);
          this.o.log.warn({ err: String(err), attempt, wait }, 'commit failed; retrying');
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        // A data error: find the write the store refuses by halving, keep all the others.
        if (writes.length === 1) {
          this.refuse(writes[0]!, new StoreRejectedError(writes[0]!.r.id, err));
          return;
        }
        const mid = writes.length >> 1;
        await this.write(writes.slice(0, mid));
        await this.write(writes.slice(mid));
        return;
      }
    }
  }

  private succeed(w: PendingWrite): void {
    w.r.dbSeq = w.row!.seq;
    w.resolve();
    this.o.onCommitted(w);
  }

  private refuse(w: PendingWrite, err: Error): void {
    w.reject(err);
    this.o.onRejected(w, err);
    // Later writes of the same (now stale) copy can never apply either.
    const later = this.batch.get(w.r.id);
    if (later && later.r === w.r) {
      this.batch.delete(w.r.id);
      later.reject(err);
    }
    this.dirty.delete(w.r);
  }
}

function rowOf(r: Resident, now: number): ActorRowWrite {
  const timers = [...r.timers.values()];
  let next: number | null = null;
  for (const t of timers) if (next === null || t.due < next) next = t.due;
  const s = r.snapshot;
  return {
    id: r.id, type: r.def.type, machine_id: r.def.machine.id, machine_version: r.def.version,
    base_seq: r.dbSeq, seq: r.seq, status: s.status, state_key: stateKeyOf(s.value), value: s.value,
    context: s.context, history_value: Object.keys(s.historyValue ?? {}).length ? s.historyValue : null,
    timers, next_timer_at: next, device_id: r.deviceId, parent_id: r.parentId, at: now,
  };
}

/** Driver error codes of a lost or refused connection (postgres.js, Bun sockets). */
const CONNECTION_ERROR_CODES = [
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
];

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2));
  return CONNECTION_ERROR_CODES.includes(code);
}
