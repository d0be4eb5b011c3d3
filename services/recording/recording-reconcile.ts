/**
 * Reconciliation of a device's storage prefix against its segments (issue 24, point 5): a bounded
 * pass over one page of the objects under `<device>/`, each checked against the segment actor its
 * key names. An object whose segment is unknown, or cancelled, expired or deleted, is an orphan
 * (a crash between a DELETE and its commit, a stray upload, a tool); an object of a segment still
 * on its way (created, uploaded, being removed) is left alone, as is a confirmed one. Orphans are
 * reported, and removed when asked. Works on any backend (only `SegmentStorage.list` and `remove`).
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
}

/** What a pass needs. */
export interface ReconcileDeps {
  storage: Pick<SegmentStorage, 'list' | 'remove'>;
  host: Pick<ActorHost, 'get'>;
  index: Pick<SegmentIndex, 'get'>;
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
 * One pass over a device's objects after `after`, at most `limit` of them.
 * @example await reconcile(deps, 'CAM-1', { remove: false, limit: 1000 })
 */
export async function reconcile(d: ReconcileDeps, deviceId: string, opts: { remove: boolean; limit?: number; after?: string }): Promise<ReconcileReport> {
  const limit = Math.min(RECONCILE_OBJECTS_MAX, opts.limit ?? RECONCILE_OBJECTS_DEFAULT);
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
  return { device_id: deviceId, scanned: objects.length, orphans, removed, size_mismatches: mismatches, next };
}
