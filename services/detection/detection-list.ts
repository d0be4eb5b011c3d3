/**
 * Detection events as the API lists them (docs/detection.md): across the cameras a principal may see (the events
 * page's rule, services/events/visibility.ts), filtered by device, channel, class (or group), zone and time, newest
 * first, a page at a time on the `(at, id)` keyset; and their deletion, a batch at a time (retention, a
 * deprovisioned device).
 */
import { and, arrayOverlaps, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { detections } from '../../db/schema.ts';
import { type ClassOrGroup, expandClasses } from '../../protocol/coco-classes.ts';
import type { DetectionItem, DetectionsQuery } from '../../protocol/detection-api.ts';
import { visibleDevices } from '../events/visibility.ts';
import type { Principal } from '../users/principal.ts';

/** Milliseconds per second (the API's `from`/`to` are epoch seconds). */
const MS_PER_S = 1000;
/** Rows one deleting statement removes (bounded, so deleting never holds a long lock). */
export const DETECTIONS_DELETE_BATCH = 5_000;

type DetectionRow = typeof detections.$inferSelect;

/** A page of detection events and the cursor of the next (older) one. */
export interface DetectionPage {
  detections: DetectionItem[];
  /** Pass as `before` for the next page; null on the last. */
  next: string | null;
  /** There is a next page. */
  truncated: boolean;
}

/** The API path of a detection event's picture with its boxes drawn. */
export const detectionPicturePath = (id: string) => `/api/detections/${id}/picture`;

/** A row as the API lists it. */
export function toDetectionItem(d: DetectionRow): DetectionItem {
  return {
    id: d.id,
    device: d.deviceId,
    channel: d.channel,
    at: d.at.toISOString(),
    ended_at: d.endedAt?.toISOString() ?? null,
    alarm_id: d.alarmId,
    recording_id: d.recordingId,
    classes: d.classes,
    top_score: d.topScore,
    objects: d.objects,
    width: d.width,
    height: d.height,
    picture: d.snapshotId ? detectionPicturePath(d.id) : null,
  };
}

/** The conditions of a query (besides visibility and the cursor). */
function filters(q: DetectionsQuery): SQL[] {
  const where: SQL[] = [];
  if (q.device !== undefined) where.push(eq(detections.deviceId, q.device));
  if (q.channel !== undefined) where.push(eq(detections.channel, q.channel));
  if (q.class) where.push(arrayOverlaps(detections.classes, [...expandClasses([q.class as ClassOrGroup])]));
  // an object whose foot point fell in the zone (jsonb containment: `objects` holds `{zones: [name, …]}`)
  if (q.zone !== undefined) where.push(sql`${detections.objects} @> ${JSON.stringify([{ zones: [q.zone] }])}::jsonb`);
  if (q.from !== undefined) where.push(gte(detections.at, new Date(q.from * MS_PER_S)));
  if (q.to !== undefined) where.push(lt(detections.at, new Date(q.to * MS_PER_S)));
  if (q.before) {
    const b = new Date(q.before.at);
    const older = or(lt(detections.at, b), and(eq(detections.at, b), lt(detections.id, q.before.id)));
    if (older) where.push(older);
  }
  return where;
}

/** The detection events of the cameras `who` may see, newest first, filtered, one page. */
export async function listDetections(db: Db, who: Principal, q: DetectionsQuery): Promise<DetectionPage> {
  const visible = visibleDevices(who, sql`${detections.deviceId}`);
  const rows = await db.orm
    .select()
    .from(detections)
    .where(and(...(visible ? [visible] : []), ...filters(q)))
    .orderBy(desc(detections.at), desc(detections.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const more = rows.length > q.limit && last !== undefined;
  return { detections: page.map(toDetectionItem), next: more ? `${last.at.getTime()}_${last.id}` : null, truncated: more };
}

/** Delete the rows `where` selects, DETECTIONS_DELETE_BATCH at a time; returns how many went. */
async function deleteInBatches(db: Db, where: SQL, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const gone = await db.rows<{ id: string }>(sql`DELETE FROM detections WHERE id IN (SELECT id FROM detections WHERE ${where} LIMIT ${batch}) RETURNING id`);
    total += gone.length;
    if (gone.length < batch) return total;
  }
}

/** Delete detection events older than `cutoffMs` (DETECTIONS_RETENTION_DAYS); returns how many went. */
export function pruneDetections(db: Db, cutoffMs: number, batch = DETECTIONS_DELETE_BATCH): Promise<number> {
  return deleteInBatches(db, sql`at < ${new Date(cutoffMs).toISOString()}::timestamptz`, batch);
}

/** Delete a device's detection events (it was deprovisioned); returns how many went. */
export function deleteDeviceDetections(db: Db, deviceId: string, batch = DETECTIONS_DELETE_BATCH): Promise<number> {
  return deleteInBatches(db, sql`device_id = ${deviceId}`, batch);
}
