/**
 * The committer's tunables, each with why it has its value, and the options it takes.
 */
import { availableParallelism } from 'node:os';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { Clock } from './timer-queue.ts';
import type { Written } from './types.ts';
import type { PendingWrite } from './pending-write.ts';
import type { OwnerLease } from './ownership.ts';

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
/**
 * Least time between two volatile-flush statements of a lane while less than a chunk is waiting: a trickle (12,000
 * PUs keeping alive re-arm a few hundred timers a second) is written as one statement a second per lane rather than
 * ten smaller ones, each a transaction and a WAL flush of its own in the database (the cluster bench measured the
 * database's CPU per keepalive doubling with a second node: twice the lanes, each writing its trickle ten times a
 * second). A backlog of a chunk or more is written at VOLATILE_FLUSH_SPACING_MS, so the capacity stays the same.
 */
export const VOLATILE_FLUSH_TRICKLE_SPACING_MS = 1000;
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

/** Receives one observation per committed batch. */
export interface CommitMetrics {
  batch(events: number, actors: number, ms: number): void;
}

/**
 * Commit lanes on PostgreSQL: an actor always uses the same lane (its device's: committer.ts), so its writes stay
 * ordered, while lanes commit in parallel on their own connections. One per CPU core, within these bounds:
 * more lanes than cores only make the backends contend for the cores, with smaller batches (on 2
 * cores `bun run bench actors` measured p99 dispatch-to-durable at 20,000 events/s of 15–25 ms with
 * 2 lanes against 28–60 ms with 4 or 8, at the same or better throughput).
 */
export const MIN_COMMIT_LANES_POSTGRES = 2;
export const MAX_COMMIT_LANES_POSTGRES = 8;
export const DEFAULT_COMMIT_LANES_POSTGRES = Math.min(MAX_COMMIT_LANES_POSTGRES, Math.max(MIN_COMMIT_LANES_POSTGRES, availableParallelism()));

/** Options of the committer. */
/** How often writes held back by a lapsed lease look again whether it holds (platform's choice: a fraction of a heartbeat). */
export const LEASE_WAIT_POLL_MS = 250;

export interface CommitterOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics?: CommitMetrics;
  maxBatchEvents?: number;
  volatileFlushMs?: number;
  /** A write is durable: `written` says what it stored of the actor's row, for the host to apply to its resident. */
  onCommitted(w: PendingWrite, written: Written): void;
  onRejected(w: PendingWrite, err: Error): void;
  /** Parallel lanes (1 on PGlite, whose one connection serialises everything anyway). */
  lanes?: number;
  /** In a cluster: the node that writes, and whether its lease holds (docs/cluster.md). */
  owner?: OwnerLease;
}
