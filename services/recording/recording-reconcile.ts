/**
 * Reconciliation of a device's storage prefix against its segments (issue 24, point 5), both ways,
 * each a bounded page:
 * - objects → segments: one page of the objects under `<device>/`, each checked against the segment
 *   actor its key names. An object whose segment is unknown, or cancelled, expired or deleted, is an
 *   orphan (a crash between a DELETE and its commit, an upload that reached the store after its
 *   segment was cancelled, a tool); an object of a segment still on its way (created, uploaded, being
 *   removed) is left alone, as is a confirmed one. Orphans are reported, and removed when asked.
 * - index rows → objects: one page of the device's confirmed segments (the playback index), each
 *   object looked up (a stat: HEAD on S3). A confirmed segment whose object is missing (lost behind
 *   the platform's back: a disk, an operator, a bucket rule) is reported, never removed: its metadata
 *   is all that is left of it, and an operator may restore the object.
 * Works on any backend (only `SegmentStorage.list`, `head` and `remove`). On a versioned bucket the objects part sees
 * each key's current version: a key hidden by a removal (a delete marker) and the versions a removal did not name are
 * the bucket's lifecycle rule's to expire (docs/recording.md, "Storage on S3").
 */
import { segmentActorId } from '../../actors/machines/segment.machine.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import { safeSegment } from '../../lib/safe-path.ts';
import type { SegmentStorage } from '../../media/cs/index.ts';
import type { SegmentIndex } from './recording-index.ts';
import { segmentStem } from './recording-urls.ts';
import { RECONCILE_OBJECTS_MAX } from '../../protocol/storage-api.ts';

/** Objects looked at per call when the caller does not say. */
export const RECONCILE_OBJECTS_DEFAULT = 1_000;
/** Segment states whose object must stay: on its way in, kept, or on its way out (its removal deletes it). */
const LIVE_STATES = new Set(['created', 'uploaded', 'confirmed', 'removing']);

/** An object that belongs to no live segment. */
export interface Orphan {
  key: string;
  size: number;
  /** Why it is an orphan. */
  why: string;
}

/** A confirmed segment whose object is not in storage. */
export interface MissingObject {
  /** The segment's actor id. */
  segment: string;
  key: string;
  /** Its indexed size, bytes. */
  size: number;
}

/** What one reconciliation pass found (and did). */
export interface ReconcileReport {
  device_id: string;
  /** Objects looked at. */
  scanned: number;
  orphans: Orphan[];
  /** Orphans removed (0 unless asked). */
  removed: number;
  /** Confirmed segments whose object has another size than indexed (reported, never removed). */
  size_mismatches: Array<{ key: string; size: number; indexed: number }>;
  /** The last key looked at when more may follow (pass it as `after`), else null. */
  next: string | null;
  /** Index rows (confirmed segments) looked at. */
  rows_scanned: number;
  /** Confirmed segments whose object is missing (reported, never removed). */
  missing: MissingObject[];
  /** The last segment id looked at when more may follow (pass it as `after_row`), else null. */
  next_row: string | null;
}

/** Which page of each part a pass looks at. */
export interface ReconcileOptions {
  remove: boolean;
  /** Objects, and index rows, looked at (each part), at most. */
  limit?: number;
  /** Continue the objects after this key. */
  after?: string;
  /** Continue the index rows after this segment id. */
  afterRow?: string;
}

/** What a pass needs. */
export interface ReconcileDeps {
  storage: Pick<SegmentStorage, 'list' | 'remove' | 'head'>;
  host: Pick<ActorHost, 'get'>;
  index: Pick<SegmentIndex, 'get' | 'keys'>;
}

/** The segment actor id a key names (`<device>/<channel>/<day>/<session>_<name>`), or undefined. */
function actorIdOf(key: string): string | undefined {
  const base = key.slice(key.lastIndexOf('/') + 1);
  // Session ids are base64url and may hold `_`; segment names never do: split at the last one.
  const cut = base.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const stem = segmentStem(base.slice(cut + 1));
  return stem ? segmentActorId(base.slice(0, cut), stem) : undefined;
}

/**
 * One pass over a device's objects after `after` and its index rows after `afterRow`, at most
 * `limit` of each. A first call (neither cursor) does both parts; a call with a cursor continues
 * only the part(s) it names (the other one is done).
 * @example await reconcile(deps, 'CAM-1', { remove: false, limit: 1000 })
 */
export async function reconcile(d: ReconcileDeps, deviceId: string, opts: ReconcileOptions): Promise<ReconcileReport> {
  const limit = Math.min(RECONCILE_OBJECTS_MAX, opts.limit ?? RECONCILE_OBJECTS_DEFAULT);
  const first = opts.after === undefined && opts.afterRow === undefined;
  const objects = first || opts.after !== undefined ? await objectsPart(d, deviceId, limit, opts) : undefined;
  const rows = first || opts.afterRow !== undefined ? await rowsPart(d, deviceId, limit, opts.afterRow ?? '') : undefined;
  return {
    device_id: deviceId,
    scanned: objects?.scanned ?? 0,
    orphans: objects?.orphans ?? [],
    removed: objects?.removed ?? 0,
    size_mismatches: objects?.size_mismatches ?? [],
    next: objects?.next ?? null,
    rows_scanned: rows?.rows_scanned ?? 0,
    missing: rows?.missing ?? [],
    next_row: rows?.next_row ?? null,
  };
}

type ObjectsPart = Pick<ReconcileReport, 'scanned' | 'orphans' | 'removed' | 'size_mismatches' | 'next'>;

/** Objects → segments: orphans (removed when asked) and size mismatches. */
async function objectsPart(d: ReconcileDeps, deviceId: string, limit: number, opts: ReconcileOptions): Promise<ObjectsPart> {
  const objects = await d.storage.list(`${safeSegment(deviceId)}/`, opts.after, limit);
  const orphans: Orphan[] = [];
  const mismatches: ReconcileReport['size_mismatches'] = [];
  for (const o of objects) {
    const id = actorIdOf(o.key);
    const v = id ? await d.host.get(id) : undefined;
    if (!v) {
      orphans.push({ ...o, why: id ? 'no such segment' : 'not a segment key' });
      continue;
    }
    if (!LIVE_STATES.has(v.stateKey)) {
      orphans.push({ ...o, why: `segment ${v.stateKey}` });
      continue;
    }
    if (v.stateKey !== 'confirmed') continue;
    const row = await d.index.get(id!);
    if (row && row.size !== o.size) mismatches.push({ key: o.key, size: o.size, indexed: row.size });
  }
  let removed = 0;
  if (opts.remove) {
    for (const o of orphans) {
      await d.storage.remove(o.key);
      removed++;
    }
  }
  const next = objects.length === limit ? objects[objects.length - 1]!.key : null;
  return { scanned: objects.length, orphans, removed, size_mismatches: mismatches, next };
}

/**
 * Index rows → objects: confirmed segments whose object is missing. A segment being removed (its
 * object goes first, then its row) is not one: only a segment still confirmed after the stat
 * found nothing is reported (a removal never goes back to confirmed).
 */
async function rowsPart(
  d: ReconcileDeps,
  deviceId: string,
  limit: number,
  after: string,
): Promise<Pick<ReconcileReport, 'rows_scanned' | 'missing' | 'next_row'>> {
  const rows = await d.index.keys(deviceId, after, limit);
  const missing: MissingObject[] = [];
  for (const r of rows) {
    // A zero-byte segment carries only metadata: it has no object.
    // The version the confirmation pinned, when there is one (a versioned bucket): that one must be there.
    if (r.size === 0 || (await d.storage.head(r.key, r.version)) !== undefined) continue;
    if ((await d.host.get(r.id))?.stateKey === 'confirmed') missing.push({ segment: r.id, key: r.key, size: r.size });
  }
  return { rows_scanned: rows.length, missing, next_row: rows.length === limit ? rows[rows.length - 1]!.id : null };
}
