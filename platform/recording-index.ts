/**
 * The playback index (`recording_segments`): one row per confirmed segment, so that "the segments
 * of this channel between these times" is one indexed query. Writes are batched like the actor
 * host's group commit: every row added or removed while one statement is in flight goes out in the
 * next one. A row is added just before its segment's confirm event is committed (the answer to the
 * PU waits for both), and removed by the segment's removal effect.
 */
import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { recordingSegments } from '../db/schema.ts';
import type { Logger } from '../lib/log.ts';

/** A row as the index takes it. */
export interface IndexRow {
  id: string;
  recordingId: string;
  deviceId: string;
  channel: number;
  name: string;
  start: number;
  duration: number;
  size: number;
  discontinuity: boolean;
  fileKey: string;
  /** Epoch ms. */
  confirmedAt: number;
}

/** A confirmed segment as playback reads it. */
export type IndexedSegment = typeof recordingSegments.$inferSelect;

/** Longest segment the range queries look back for (a segment that began before `from` may still cover it). */
export const INDEX_LOOKBACK_S = 3600;
/** Back-off between retries of a batch the database could not take. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** Attempts of a batch on transient errors before its callers are told. */
const RETRY_ATTEMPTS = 8;

interface Entry {
  /** The row to write, or null to delete it. */
  row: IndexRow | null;
  waiters: Array<{ resolve: () => void; reject: (e: Error) => void }>;
}

/** The batch statement: rows to upsert ($1), ids to delete ($2). */
const WRITE_SQL = `
  WITH up AS (
    INSERT INTO recording_segments (id, recording_id, device_id, channel, name, start, duration, size, discontinuity, file_key, confirmed_at)
    SELECT r.id, r.recording_id, r.device_id, r.channel, r.name, r.start, r.duration, r.size, r.discontinuity, r.file_key,
      to_timestamp(r.confirmed_at::float8 / 1000)
    FROM json_to_recordset($1::text::json) AS r(id text, recording_id text, device_id text, channel int, name text, start float8,
      duration float8, size bigint, discontinuity boolean, file_key text, confirmed_at bigint)
    ON CONFLICT (id) DO NOTHING
    RETURNING 1
  ),
  del AS (
    DELETE FROM recording_segments WHERE id IN (SELECT json_array_elements_text($2::text::json))
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM up)::int AS up, (SELECT count(*) FROM del)::int AS del`;

/** Batched writes and range reads of the playback index. */
export class SegmentIndex {
  private batch = new Map<string, Entry>();
  private running: Promise<void> | null = null;

  constructor(private db: Db, private log: Logger) {}

  /** Add a confirmed segment (a row already there stays); resolves once it is durable. */
  add(row: IndexRow): Promise<void> {
    return this.queue(row.id, row);
  }

  /** Remove a segment's row. */
  remove(id: string): Promise<void> {
    return this.queue(id, null);
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
    const rows = await this.db.orm.select().from(t)
      .where(and(eq(t.deviceId, deviceId), eq(t.channel, channel), gt(t.start, from - INDEX_LOOKBACK_S), lt(t.start, to)))
      .orderBy(asc(t.start), asc(t.id)).limit(limit + 1);
    return rows.filter((r) => r.start + r.duration > from);
  }

  /** One row by segment id. */
  async get(id: string): Promise<IndexedSegment | undefined> {
    const [row] = await this.db.orm.select().from(recordingSegments).where(eq(recordingSegments.id, id));
    return row;
  }

  /** Confirmed segments of a device, a page at a time (by id). */
  async ids(deviceId: string, after: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(sql`SELECT id FROM recording_segments WHERE device_id = ${deviceId} AND id > ${after} ORDER BY id LIMIT ${limit}`);
    return rows.map((r) => r.id);
  }

  private queue(id: string, row: IndexRow | null): Promise<void> {
    return new Promise((resolve, reject) => {
      const e = this.batch.get(id);
      if (e) {
        e.row = row; // the latest wish for this id wins (a removal after an add, or the reverse)
        e.waiters.push({ resolve, reject });
      } else {
        this.batch.set(id, { row, waiters: [{ resolve, reject }] });
      }
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
        const entries = this.batch;
        this.batch = new Map();
        await this.write(entries);
      }
    } finally {
      this.running = null;
      if (this.batch.size > 0) this.kick();
    }
  }

  private async write(entries: Map<string, Entry>): Promise<void> {
    const ups: unknown[] = [];
    const dels: string[] = [];
    for (const [id, { row: r }] of entries) {
      if (r) {
        ups.push({
          id, recording_id: r.recordingId, device_id: r.deviceId, channel: r.channel, name: r.name, start: r.start, duration: r.duration,
          size: r.size, discontinuity: r.discontinuity, file_key: r.fileKey, confirmed_at: r.confirmedAt,
        });
      } else dels.push(id);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.prepared(WRITE_SQL, [JSON.stringify(ups), JSON.stringify(dels)]);
        for (const e of entries.values()) for (const w of e.waiters) w.resolve();
        return;
      } catch (err) {
        const transient = isTransient(err);
        this.log.warn({ err: String(err), attempt, rows: entries.size, transient }, 'segment index write failed');
        if (!transient || attempt >= RETRY_ATTEMPTS) {
          const e = err instanceof Error ? err : new Error(String(err));
          for (const x of entries.values()) for (const w of x.waiters) w.reject(e);
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
