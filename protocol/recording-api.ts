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

/** Largest quota a setting or the API takes: 1 PiB (a bound, not a plan). */
export const QUOTA_BYTES_MAX = 2 ** 50;

/** `PUT /api/devices/:id/recording-quota` (docs/recording.md, "Quotas"). */
export const RecordingQuotaBody = z.strictObject({
  /** Bytes the device keeps at most (oldest confirmed segments go first); 0: no quota; null: the platform default. */
  quota_bytes: z.number().int().min(0).max(QUOTA_BYTES_MAX).nullable(),
});
/** A device's quota setting. */
export type RecordingQuotaBody = z.infer<typeof RecordingQuotaBody>;

/** Longest user id a query names (ids are short random tokens; a bound, not a format). */
export const USER_ID_MAX_CHARS = 64;

/** `GET /api/recording-usage?user=`: whose usage (admins only may name another user). */
export const RecordingUsageQuery = z.strictObject({
  user: text(USER_ID_MAX_CHARS, 1).optional(),
});
/** The usage query. */
export type RecordingUsageQuery = z.infer<typeof RecordingUsageQuery>;

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

/** Shortest time an alarm-triggered recording runs after an alarm: a few segments of the default 10 s (issue #23; platform's choice). */
export const ALARM_RECORD_S_MIN = 5;
/** Longest time an alarm-triggered recording runs after an alarm: one hour (issue #23; platform's choice). */
export const ALARM_RECORD_S_MAX = 3600;
/** Alarms one timeline listing returns at most (`GET …/channels/:ch/alarms`): a busy day of motion. Platform's choice. */
export const TIMELINE_ALARMS_MAX = 1000;

/**
 * `PUT /api/devices/:id/alarm-recording`: record `record_s` seconds after each alarm of a channel that is not
 * recording, with the camera's pre-recording (StartRecord `prerecord_seconds`, I.2.14) of `prerecord_s`;
 * `enabled: false` turns it off.
 */
export const AlarmRecordingBody = z
  .strictObject({
    enabled: z.boolean(),
    /** Seconds recorded after each alarm (a later alarm extends it). */
    record_s: int(ALARM_RECORD_S_MIN, ALARM_RECORD_S_MAX).optional(),
    /** Seconds the camera keeps from before the alarm (0: none). */
    prerecord_s: int(0, PRERECORD_MAX_S).default(0),
  })
  .refine((b) => !b.enabled || b.record_s !== undefined, { message: 'record_s is required when enabled', path: ['record_s'] });
/** An alarm-recording setting. */
export type AlarmRecordingBody = z.infer<typeof AlarmRecordingBody>;
