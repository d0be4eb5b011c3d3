/**
 * Recording and cloud-storage settings: the defaults of a record session, the platform's time
 * limits on segments, and where the bytes go. The tunables come from the environment, read once
 * at start and validated by zod like lib/config.ts (docs/recording.md, "Configuration").
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../lib/config.ts';
import type { RecordParams } from '../../actors/machines/recording.types.ts';
import { QUOTA_BYTES_MAX, RETENTION_S_MAX } from '../../protocol/recording-api.ts';

/** Where the bytes go: services/recording/storage-config.ts (CS_BACKEND, S3_*). */
export { openStorage } from './storage-config.ts';

/** StartRecord parameters when the API request leaves them out (platform's choice; docs/recording.md). */
export const RECORD_DEFAULTS: Readonly<RecordParams> = {
  /** 10 s: a few segments per minute of video, and short HLS seeks (Apple suggests 6 s). */
  seg_duration: 10,
  /** 8 MiB: 10 s at up to 6.7 Mbit/s, above what a home camera's main stream sends. */
  seg_max_size: 8 * 1024 * 1024,
  /** 3 segments cached while an upload lags: 30 s of video at the default duration. */
  seg_max_count: 3,
  /** 2 Mbit/s: a 1080p H.264 camera stream of good quality. */
  max_bitrate: 2_000_000,
};

/** How long an upload URL is valid (single use). */
export const UPLOAD_URL_TTL_S_DEFAULT = 600;
/** How long an uploaded segment may wait for its confirmation (at least 2 × seg_duration: see confirmTtlMs). */
export const CONFIRM_TTL_S_DEFAULT = 600;
/** Retention of confirmed segments for a device without its own policy: 7 days. */
export const RETENTION_S_DEFAULT = 7 * 24 * 3600;
/**
 * Vr requests on a stopped session's channel id are still answered this long: after StopRecord
 * the PU finishes and uploads its last segment, and confirms it.
 */
export const STOPPED_SESSION_GRACE_S = 600;
/**
 * Signed playback URLs (segment files in an HLS playlist) stay valid at most this long, and never past the sign-in
 * session that made them (issue #19): a leaked URL is dead within the hour, or at sign-out.
 */
export const PLAYBACK_URL_TTL_S = 3600;

const bytes = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number of bytes` })
    .int(`${name} must be whole bytes`)
    .min(0, `${name} must be at least 0 (0: no quota)`)
    .max(QUOTA_BYTES_MAX, `${name} is over ${QUOTA_BYTES_MAX} bytes`)
    .default(0);
/** How often the scheduled reconciliation runs (recording-reconciler.ts): hourly; 0 turns it off. */
export const RECONCILE_INTERVAL_S_DEFAULT = 3600;
/** Objects and index rows one scheduled run looks at, at most (its budget: a few seconds of HEADs and LISTs). */
export const RECONCILE_BUDGET_DEFAULT = 10_000;
/** The largest budget a run may be given. */
export const RECONCILE_BUDGET_MAX = 1_000_000;

const seconds = (name: string, fallback: number, min = 1) =>
  z.coerce
    .number({ error: `${name} must be a number of seconds` })
    .int(`${name} must be whole seconds`)
    .min(min, `${name} must be at least ${min}`)
    .max(RETENTION_S_MAX, `${name} is too large`)
    .default(fallback);

/** The environment variables of recording (docs/recording.md, "Configuration"). */
export const RecordingEnv = z.object({
  RECORDING_UPLOAD_TTL_S: seconds('RECORDING_UPLOAD_TTL_S', UPLOAD_URL_TTL_S_DEFAULT),
  RECORDING_CONFIRM_TTL_S: seconds('RECORDING_CONFIRM_TTL_S', CONFIRM_TTL_S_DEFAULT),
  RECORDING_RETENTION_S: seconds('RECORDING_RETENTION_S', RETENTION_S_DEFAULT),
  /** Bytes a device keeps, for devices without their own quota; 0: no quota (docs/recording.md, "Quotas"). */
  RECORDING_DEVICE_QUOTA_BYTES: bytes('RECORDING_DEVICE_QUOTA_BYTES'),
  /** Bytes all the devices of one user (their owner) keep together; 0: no quota. */
  RECORDING_USER_QUOTA_BYTES: bytes('RECORDING_USER_QUOTA_BYTES'),
  RECORDING_RECONCILE_S: seconds('RECORDING_RECONCILE_S', RECONCILE_INTERVAL_S_DEFAULT, 0),
  RECORDING_RECONCILE_BUDGET: z.coerce
    .number({ error: 'RECORDING_RECONCILE_BUDGET must be a number of objects' })
    .int('RECORDING_RECONCILE_BUDGET must be a whole number')
    .min(1, 'RECORDING_RECONCILE_BUDGET must be at least 1')
    .max(RECONCILE_BUDGET_MAX, `RECORDING_RECONCILE_BUDGET must be at most ${RECONCILE_BUDGET_MAX}`)
    .default(RECONCILE_BUDGET_DEFAULT),
  /** 1 (default): the scheduled reconciliation removes the orphans it finds; 0: it only reports them. */
  RECORDING_RECONCILE_REMOVE: z.enum(['0', '1'], { error: 'RECORDING_RECONCILE_REMOVE must be 0 or 1' }).default('1'),
  /** Where segments go (default $DATA_DIR/cs); a directory every node mounts makes it shared storage. */
  CS_DIR: z.string().min(1, 'CS_DIR must not be empty').optional(),
  /** 0 skips the fdatasync (and directory fsync) a segment gets before its confirmation (survives a process crash, not power loss). */
  CS_FSYNC: z.enum(['0', '1'], { error: 'CS_FSYNC must be 0 or 1' }).default('1'),
});

/** Resolved recording configuration. */
export interface RecordingConfig {
  uploadTtlMs: number;
  confirmTtlMs: number;
  retentionS: number;
  /** Default quota of a device, bytes; 0: none. */
  deviceQuotaBytes: number;
  /** Quota of a user's devices together, bytes; 0: none. */
  userQuotaBytes: number;
  csDir: string;
  csFsync: boolean;
  /** The scheduled reconciliation: every `intervalMs` (0: never), at most `budget` objects and rows a run, removing orphans or not. */
  reconcile: { intervalMs: number; budget: number; remove: boolean };
}

/** Read the recording settings from `env`; throws ConfigError naming the variable. */
export function loadRecordingConfig(dataDir: string, env: Record<string, string | undefined> = process.env): RecordingConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== '' && (k.startsWith('RECORDING_') || k.startsWith('CS_'))));
  const parsed = RecordingEnv.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    uploadTtlMs: e.RECORDING_UPLOAD_TTL_S * 1000,
    confirmTtlMs: e.RECORDING_CONFIRM_TTL_S * 1000,
    retentionS: e.RECORDING_RETENTION_S,
    deviceQuotaBytes: e.RECORDING_DEVICE_QUOTA_BYTES,
    userQuotaBytes: e.RECORDING_USER_QUOTA_BYTES,
    csDir: e.CS_DIR ?? join(dataDir, 'cs'),
    csFsync: e.CS_FSYNC === '1',
    reconcile: { intervalMs: e.RECORDING_RECONCILE_S * 1000, budget: e.RECORDING_RECONCILE_BUDGET, remove: e.RECORDING_RECONCILE_REMOVE === '1' },
  };
}

/** An uploaded segment waits for its confirmation at least two segment durations (it comes with the next create). */
export function confirmTtlMs(cfg: RecordingConfig, segDurationS: number): number {
  return Math.max(cfg.confirmTtlMs, 2 * segDurationS * 1000);
}

/** A created segment waits for its bytes twice the URL's life: an upload begun just before the URL expires may finish. */
export function uploadWaitMs(cfg: RecordingConfig): number {
  return 2 * cfg.uploadTtlMs;
}
