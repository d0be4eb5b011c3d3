/**
 * Batched deletion of segments' bytes: the removal effects of many segments (retention and quotas remove them by the
 * hundred) share one store request: every key asked for while one request is in flight goes out in the next one, at
 * most REMOVE_BATCH_MAX a request (S3 DeleteObjects; unlinks on a disk). A key the store could not delete rejects its
 * caller, whose segment stays `removing` and tries again on its durable timer (segment.machine.ts, REMOVE_RETRY).
 */
import { type ObjectRef, REMOVE_BATCH_MAX, type SegmentStorage } from '../../media/cs/index.ts';
import type { Logger } from '../../lib/log.ts';

/** What the batches count (Prometheus counters: `h627_cs_remove_requests_total`, `h627_cs_objects_removed_total`). */
export interface RemovalCounters {
  requests: { inc(n?: number): void };
  objects: { inc(n?: number): void };
}

type Waiter = { resolve: () => void; reject: (e: Error) => void };
/** An object asked for and who waits for its removal. */
type Entry = { ref: ObjectRef; waiters: Waiter[] };

/** One name for a key and its version (keys never hold a NUL: media/cs/storage.ts `checkKey`). */
const refId = (key: string, version: string | undefined) => (version === undefined ? key : `${key}\0${version}`);

/** Removals of stored objects, batched. */
export class StoreRemovals {
  private batch = new Map<string, Entry>();
  private running: Promise<void> | null = null;
  constructor(
    private storage: Pick<SegmentStorage, 'removeMany'>,
    private log: Logger,
    private counters?: RemovalCounters,
  ) {}

  /** Remove the object under `key` (that version of it, when given); resolves once the store has removed it (or never had it). */
  remove(key: string, version?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = refId(key, version);
      const entry = this.batch.get(id);
      if (entry) entry.waiters.push({ resolve, reject });
      else this.batch.set(id, { ref: version === undefined ? { key } : { key, version }, waiters: [{ resolve, reject }] });
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
        const ids = [...this.batch.keys()].slice(0, REMOVE_BATCH_MAX);
        const entries = ids.map((id) => this.batch.get(id)!);
        for (const id of ids) this.batch.delete(id);
        await this.send(entries);
      }
    } finally {
      this.running = null;
      if (this.batch.size > 0) this.kick();
    }
  }

  private async send(entries: Entry[]): Promise<void> {
    this.counters?.requests.inc();
    try {
      const failed = await this.storage.removeMany(entries.map((e) => e.ref));
      const failures = new Map(failed.map((f) => [refId(f.key, f.version), f.error]));
      if (failures.size > 0)
        this.log.warn({ keys: entries.length, failed: failures.size, first: failures.values().next().value }, 'store removal failed for some keys');
      this.counters?.objects.inc(entries.length - failures.size);
      for (const { ref, waiters } of entries) {
        const error = failures.get(refId(ref.key, ref.version));
        for (const w of waiters) error === undefined ? w.resolve() : w.reject(new Error(`store could not remove ${ref.key}: ${error}`));
      }
    } catch (err) {
      this.log.warn({ err: String(err), keys: entries.length }, 'store removal failed');
      const e = err instanceof Error ? err : new Error(String(err));
      for (const { waiters } of entries) for (const w of waiters) w.reject(e);
    }
  }
}
