/**
 * The segment storage's part of the API (docs/recording.md, "Storage on S3"): the reconciliation of a
 * device's stored objects against its segments, its query and its answer.
 */
import { z } from 'zod';
import { text } from './text.ts';

/** Objects a storage reconciliation looks at per call, at most (one bounded page; continue with `after`). Platform's choice. */
export const RECONCILE_OBJECTS_MAX = 10_000;
/** Longest storage key (media/cs/storage.ts `checkKey`). */
export const STORAGE_KEY_MAX_CHARS = 512;
/** Longest segment actor id a cursor may name (`seg:<session id>:<name stem>` is about 40; generous). */
export const SEGMENT_ID_MAX_CHARS = 128;

/** `POST …/recordings/reconcile`: which page of a device's objects, and whether to remove the orphans found. */
export const ReconcileQuery = z.strictObject({
  /** 1: remove the orphans found; 0 (default): only report them. */
  remove: z.enum(['0', '1'], { error: 'remove must be 0 or 1' }).default('0'),
  /** Objects to look at (default 1000). */
  limit: z.coerce.number().int().min(1).max(RECONCILE_OBJECTS_MAX).optional(),
  /** Continue the objects after this key (the `next` of the previous page). */
  after: text(STORAGE_KEY_MAX_CHARS).optional(),
  /** Continue the index rows after this segment id (the `next_row` of the previous page). A call with a cursor continues only the part(s) it names. */
  after_row: text(SEGMENT_ID_MAX_CHARS).optional(),
});
/** A reconciliation's query. */
export type ReconcileQuery = z.infer<typeof ReconcileQuery>;

/** `POST …/recordings/reconcile`: one page of a device's stored objects checked against its segments. */
export const RecordingReconcile = z.looseObject({
  device_id: z.string(),
  scanned: z.number().int(),
  orphans: z.array(z.looseObject({ key: z.string(), size: z.number().int(), why: z.string() })),
  removed: z.number().int(),
  size_mismatches: z.array(z.looseObject({ key: z.string(), size: z.number().int(), indexed: z.number().int() })),
  next: z.string().nullable(),
  rows_scanned: z.number().int(),
  missing: z.array(z.looseObject({ segment: z.string(), key: z.string(), size: z.number().int() })),
  next_row: z.string().nullable(),
});

const deviceItem = { device_id: z.string() };
/** One run of the scheduled reconciliation (services/recording/recording-reconciler.ts). */
export const ReconcileRunReport = z.looseObject({
  started_at: z.string(),
  finished_at: z.string(),
  devices: z.number().int(),
  scanned: z.number().int(),
  rows_scanned: z.number().int(),
  orphans: z.array(z.looseObject({ ...deviceItem, key: z.string(), size: z.number().int(), why: z.string() })),
  orphans_total: z.number().int(),
  removed: z.number().int(),
  missing: z.array(z.looseObject({ ...deviceItem, segment: z.string(), key: z.string(), size: z.number().int() })),
  missing_total: z.number().int(),
  size_mismatches: z.array(z.looseObject({ ...deviceItem, key: z.string(), size: z.number().int(), indexed: z.number().int() })),
  errors: z.array(z.looseObject({ ...deviceItem, error: z.string() })),
  cycle_done: z.boolean(),
});

/** `GET /api/admin/recordings/reconcile`: the scheduled reconciliation's settings and its last run (null before the first). */
export const ReconcileStatus = z.looseObject({
  interval_s: z.number().int(),
  budget: z.number().int(),
  remove: z.boolean(),
  last: ReconcileRunReport.nullable(),
});
