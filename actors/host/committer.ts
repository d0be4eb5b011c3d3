/**
 * Group commit: events and snapshot changes of many actors accumulate while one statement is
 * in flight, then go to the store together. One batch is in flight at a time, so an actor's
 * writes reach the store in order; a write whose seq no longer matches is refused (fencing).
 */
import type { Resident } from './types.ts';
import type { EventRowWrite } from './store.ts';
import { DEFAULT_COMMIT_LANES_POSTGRES, type CommitterOptions } from './commit-config.ts';
import { doneOf, type PendingWrite } from './pending-write.ts';
import { Lane } from './lane.ts';
import type { DispatchResult } from './types.ts';

export * from './commit-config.ts';
export { doneOf, type PendingWrite, TIMER_INDEX_GRAIN_MS, timerIndexTime } from './pending-write.ts';

/** Group commit over one or more lanes; an actor's writes always go through the same lane. */
export class Committer {
  private lanes: Lane[];

  constructor(o: CommitterOptions) {
    const n = Math.max(1, o.lanes ?? (o.db.kind === 'postgres' ? DEFAULT_COMMIT_LANES_POSTGRES : 1));
    this.lanes = Array.from({ length: n }, () => new Lane(o));
  }

  /**
   * An actor's lane, by its device (else by its own id): never changes while the actor lives, so its writes stay in
   * order, and a device's actors share one, so that what one request changes of them (a Vr create and the previous
   * segment's confirmation, say) goes into one statement, not one per lane (docs/benchmarks.md, "vr": at a low rate
   * each commit is a request's own, and costs the platform and PostgreSQL hundreds of µs).
   */
  private laneOf(r: Resident): Lane {
    if (this.lanes.length === 1) return this.lanes[0]!;
    const key = r.deviceId ?? r.id;
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
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
