/**
 * Batched deletion of segments' bytes: the removal effects of many segments (retention and quotas remove them by the
 * hundred) share one store request: every key asked for while one request is in flight goes out in the next one, at
 * most REMOVE_BATCH_MAX a request (S3 DeleteObjects; unlinks on a disk). A key the store could not delete rejects its
 * caller, whose segment stays `removing` and tries again on its durable timer (segment.machine.ts, REMOVE_RETRY).
 */
import { REMOVE_BATCH_MAX, type SegmentStorage } from '../../media/cs/index.ts';
import type { Logger } from '../../lib/log.ts';

/** What the batches count (Prometheus counters: `h627_cs_remove_requests_total`, `h627_cs_objects_removed_total`). */
export interface RemovalCounters {
  requests: { inc(n?: number): void };
  objects: { inc(n?: number): void };
}

type Waiter = { resolve: () => void; reject: (e: Error) => void };

/** Removals of stored objects, batched. */
export class StoreRemovals {
  private batch = new Map<string, Waiter[]>();
  private running: Promise<void> | null = null;
  constructor(
    private storage: Pick<SegmentStorage, 'removeMany'>,
    private log: Logger,
    private counters?: RemovalCounters,
  ) {}

  /** Remove the object under `key`; resolves once the store has removed it (or never had it). */
  remove(key: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.batch.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.batch.set(key, [{ resolve, reject }]);
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.batch.size > 0) {
        const keys = [...this.batch.keys()].slice(0, REMOVE_BATCH_MAX);
        const entries = new Map(keys.map((k) => [k, this.batch.get(k)!]));
        for (const k of keys) this.batch.delete(k);
        await this.send(entries);
      }
    } finally {
      this.running = null;
      if (this.batch.size > 0) this.kick();
    }
  }

  private async send(entries: Map<string, Waiter[]>): Promise<void> {
    this.counters?.requests.inc();
    try {
      const failures = new Map((await this.storage.removeMany([...entries.keys()])).map((f) => [f.key, f.error]));
      if (failures.size > 0)
        this.log.warn({ keys: entries.size, failed: failures.size, first: failures.values().next().value }, 'store removal failed for some keys');
      this.counters?.objects.inc(entries.size - failures.size);
      for (const [key, waiters] of entries) {
        const error = failures.get(key);
        for (const w of waiters) error === undefined ? w.resolve() : w.reject(new Error(`store could not remove ${key}: ${error}`));
      }
    } catch (err) {
      this.log.warn({ err: String(err), keys: entries.size }, 'store removal failed');
      const e = err instanceof Error ? err : new Error(String(err));
      for (const waiters of entries.values()) for (const w of waiters) w.reject(e);
    }
  }
}
