/**
 * Bodies and queries of the recording and playback API (`/api/devices/:id/channels/:ch/…`,
 * docs/recording.md): the single source of their types.
 * @module
 */
import { z } from 'zod';
import { EPOCH_S_MAX } from './constants.ts';
import { text } from './text.ts';
import { int } from './vd-common.ts';

/** Bounds of the API's recording parameters (platform's choice; docs/recording.md). */
export const SEG_DURATION_MAX_S = 3600;
export const SEG_MAX_SIZE_MIN_BYTES = 1024;
/** Largest segment: 64 MiB (a 10 s segment at 50 Mbit/s; Bun's default request body limit is 128 MiB). */
export const SEG_MAX_SIZE_MAX_BYTES = 64 * 1024 * 1024;
export const SEG_MAX_COUNT_MAX = 100;
export const MAX_BITRATE_MAX_BPS = 100_000_000;
export const PRERECORD_MAX_S = 300;
/** Longest retention a policy may set: ten years. */
export const RETENTION_S_MAX = 10 * 366 * 24 * 3600;
/** Widest range one listing, playlist or download covers: 31 days. */
export const PLAYBACK_RANGE_MAX_S = 31 * 24 * 3600;

/** `POST …/channels/:ch/recording`: StartRecord parameters (I.2.14); each one left out takes the platform default. */
export const StartRecordingBody = z.strictObject({
  /** Segment duration, seconds. */
  seg_duration: int(1, SEG_DURATION_MAX_S).optional(),
  /** Largest segment, bytes; a Vr create over it is refused. */
  seg_max_size: int(SEG_MAX_SIZE_MIN_BYTES, SEG_MAX_SIZE_MAX_BYTES).optional(),
  /** Segments the PU may cache in memory. */
  seg_max_count: int(1, SEG_MAX_COUNT_MAX).optional(),
  /** Bits per second, 0 for no limit. */
  max_bitrate: int(0, MAX_BITRATE_MAX_BPS).optional(),
  /** Non-zero: alarm pre-recording of that many seconds (NOTES 16). */
  prerecord_seconds: int(0, PRERECORD_MAX_S).optional(),
});
/** A start-recording request. */
export type StartRecordingBody = z.infer<typeof StartRecordingBody>;

/** `PUT /api/devices/:id/recording-policy`. */
export const RecordingPolicyBody = z.strictObject({
  /** How long confirmed segments are kept, seconds. */
  retention_s: int(1, RETENTION_S_MAX),
});
/** A recording policy. */
export type RecordingPolicyBody = z.infer<typeof RecordingPolicyBody>;

/** Longest instant in a query: an ISO 8601 date-time with fractions and an offset fits. Platform's choice. */
export const INSTANT_MAX_CHARS = 40;
/** Milliseconds per second. */
const MS_PER_S = 1000;

/**
 * An instant: seconds since the epoch (fractions allowed) or an ISO 8601 date-time; read as epoch
 * seconds, from 0 to EPOCH_S_MAX.
 */
export const Instant = text(INSTANT_MAX_CHARS)
  .transform((given, ctx) => {
    if (/^\d+(\.\d+)?$/.test(given)) return Number(given);
    const ms = Date.parse(given);
    if (/^\d{4}-\d{2}-\d{2}/.test(given) && Number.isFinite(ms)) return ms / MS_PER_S;
    ctx.issues.push({ code: 'custom', message: 'expected seconds since the epoch or an ISO 8601 date-time', input: given });
    return z.NEVER;
  })
  .pipe(z.number().min(0).max(EPOCH_S_MAX));

/** `?from=&to=` of listings, playlists and downloads; both default around now (the last 24 hours). */
export const RangeQuery = z
  .object({ from: Instant.optional(), to: Instant.optional() })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.from === undefined || q.to === undefined || q.to - q.from <= PLAYBACK_RANGE_MAX_S, {
    message: `a range covers at most ${PLAYBACK_RANGE_MAX_S / 86400} days`,
    path: ['to'],
  });
/** A time range query. */
export type RangeQuery = z.infer<typeof RangeQuery>;

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
