/**
 * One actor's part of a group-commit batch, and the actor row it must carry: what the committer
 * queues, writes and settles. It reads the resident; it never changes it.
 */
import type { ActorRowWrite } from './store.ts';
import type { Delivery, DispatchResult, EffectCall, Resident, Transition, Written } from './types.ts';
import { settled } from './volatile.ts';
import { CONTEXT_REFRESH_EVENTS, VOLATILE_CONTEXT_REFRESH_MS } from './commit-config.ts';

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
  /** Messages to other actors (outbox rows as JSON), written in the same statement as the events; made on first use. */
  outbox?: string[];
  /** The same messages, delivered after the commit. */
  deliveries?: Delivery[];
  /** The delivery key of a message this write's events apply, if one does (its outbox row is deleted by the commit). */
  deliveryKey?: string;
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

/** Record a write's outcome and answer whoever awaits {@link doneOf}. */
export function settle(w: PendingWrite, err: Error | null): void {
  w.outcome = err;
  if (err) w.reject?.(err);
  else w.resolve?.();
}

/** Whether the stored row has the actor's state, status and timers (its context and seq may lag). */
export function storedRowCurrent(r: Resident): boolean {
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
export function rowOf(w: PendingWrite, now: number): ActorRowWrite | null {
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

/** What a committed write stored of its actor's row (the host applies it to the resident). */
export function writtenOf(w: PendingWrite): Written {
  const row = w.row;
  if (!row) return NOTHING_WRITTEN;
  return {
    row: { seq: row.seq, state: { stateKey: row.state_key, status: row.status, timersGen: w.timersGen ?? 0 } },
    context: row.context === null ? null : { seq: row.seq, at: row.at },
  };
}

/** The result of a write that appended events only. */
const NOTHING_WRITTEN: Written = Object.freeze({ row: null, context: null });
