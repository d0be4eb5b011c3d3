/**
 * The playback index (`recording_segments`): one row per confirmed segment, so that "the segments
 * of this channel between these times" is one indexed query. A row is written by the commit of its
 * segment's confirmation (a projection of the actor row: migrations/0005); it is removed by the
 * segment's removal effect, through this class, batched like the actor host's group commit: every
 * removal asked for while one statement is in flight goes out in the next one.
 */
import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { recordingSegments } from '../../db/schema.ts';
import type { Logger } from '../../lib/log.ts';

/** A confirmed segment as playback reads it. */
export type IndexedSegment = typeof recordingSegments.$inferSelect;

/** Longest segment the range queries look back for (a segment that began before `from` may still cover it). */
export const INDEX_LOOKBACK_S = 3600;
/** Back-off between retries of a batch the database could not take. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** Attempts of a batch on transient errors before its callers are told. */
const RETRY_ATTEMPTS = 8;

/** Callers waiting for one removal. */
type Waiters = Array<{ resolve: () => void; reject: (e: Error) => void }>;

/** The batch statement: ids to delete ($1). */
const DELETE_SQL = `DELETE FROM recording_segments WHERE id IN (SELECT json_array_elements_text($1::text::json))`;

/** Batched removals and range reads of the playback index. */
export class SegmentIndex {
  private batch = new Map<string, Waiters>();
  private running: Promise<void> | null = null;

  constructor(
    private db: Db,
    private log: Logger,
  ) {}

  /** Remove a segment's row; resolves once the removal is durable. */
  remove(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.batch.get(id);
      if (waiters) waiters.push({ resolve, reject });
      else this.batch.set(id, [{ resolve, reject }]);
      this.kick();
    });
  }

  /** Wait until everything queued now is written. */
  async flush(): Promise<void> {
    while (this.running || this.batch.size > 0) {
      this.kick();
      await this.running;
    }
  }

  /** Confirmed segments of a channel that overlap [from, to) (epoch seconds), oldest first; at most `limit` + 1. */
  async list(deviceId: string, channel: number, from: number, to: number, limit: number): Promise<IndexedSegment[]> {
    const t = recordingSegments;
    const rows = await this.db.orm
      .select()
      .from(t)
      .where(and(eq(t.deviceId, deviceId), eq(t.channel, channel), gt(t.start, from - INDEX_LOOKBACK_S), lt(t.start, to)))
      .orderBy(asc(t.start), asc(t.id))
      .limit(limit + 1);
    return rows.filter((r) => r.start + r.duration > from);
  }

  /** One row by segment id. */
  async get(id: string): Promise<IndexedSegment | undefined> {
    const [row] = await this.db.orm.select().from(recordingSegments).where(eq(recordingSegments.id, id));
    return row;
  }

  /** Confirmed segments of a device, a page at a time (by id). */
  async ids(deviceId: string, after: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT id FROM recording_segments WHERE device_id = ${deviceId} AND id > ${after} ORDER BY id LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }

  /** Confirmed segments of a device with their storage keys, pinned versions and sizes, a page at a time (by id, after `after`). */
  async keys(deviceId: string, after: string, limit: number): Promise<Array<{ id: string; key: string; version?: string; size: number }>> {
    const rows = await this.db.rows<{ id: string; key: string; version: string | null; size: number | string }>(
      sql`SELECT id, file_key AS key, file_version AS version, size FROM recording_segments WHERE device_id = ${deviceId} AND id > ${after} ORDER BY id LIMIT ${limit}`,
    );
    return rows.map((r) => ({ id: r.id, key: r.key, ...(r.version ? { version: r.version } : {}), size: Number(r.size) }));
  }

  private kick(): void {
    if (this.running) return;
    this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.batch.size > 0) {
        const entries = this.batch;
        this.batch = new Map();
        await this.write(entries);
      }
    } finally {
      this.running = null;
      if (this.batch.size > 0) this.kick();
    }
  }

  private async write(entries: Map<string, Waiters>): Promise<void> {
    const ids = JSON.stringify([...entries.keys()]);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.prepared(DELETE_SQL, [ids]);
        for (const waiters of entries.values()) for (const w of waiters) w.resolve();
        return;
      } catch (err) {
        const transient = isTransient(err);
        this.log.warn({ err: String(err), attempt, rows: entries.size, transient }, 'segment index removal failed');
        if (!transient || attempt >= RETRY_ATTEMPTS) {
          const e = err instanceof Error ? err : new Error(String(err));
          for (const waiters of entries.values()) for (const w of waiters) w.reject(e);
          return;
        }
        await Bun.sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt));
      }
    }
  }
}

/** A lost connection or a server that said "try again" (SQLSTATE classes 08, 40, 53, 57). */
function isTransient(err: unknown): boolean {
  for (let e: unknown = err, d = 0; e && d < 4; e = (e as { cause?: unknown }).cause, d++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (/^[0-9A-Z]{5}$/.test(code)) return ['08', '40', '53', '57'].includes(code.slice(0, 2));
    return /^(ECONN|EPIPE|ETIMEDOUT|CONNECTION_|CONNECT_TIMEOUT)/.test(code);
  }
  return false;
}
