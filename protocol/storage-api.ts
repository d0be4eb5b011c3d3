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

/** `POST …/recordings/reconcile`: which page of a device's objects, and whether to remove the orphans found. */
export const ReconcileQuery = z.strictObject({
  /** 1: remove the orphans found; 0 (default): only report them. */
  remove: z.enum(['0', '1'], { error: 'remove must be 0 or 1' }).default('0'),
  /** Objects to look at (default 1000). */
  limit: z.coerce.number().int().min(1).max(RECONCILE_OBJECTS_MAX).optional(),
  /** Start after this key (the `next` of the previous page). */
  after: text(STORAGE_KEY_MAX_CHARS).optional(),
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
});
