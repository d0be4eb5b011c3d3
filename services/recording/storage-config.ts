/**
 * Where segments' bytes go (docs/recording.md, "Storage"): the local disk (`CS_DIR`, the default)
 * or an S3-compatible bucket (`CS_BACKEND=s3` and the `S3_*` settings), read once at start and
 * validated by zod; a missing or malformed setting stops the start with a ConfigError naming it.
 */
import { z } from 'zod';
import { ConfigError } from '../../lib/config.ts';
import { LocalDiskStorage, S3Storage, type S3StorageOptions, type SegmentStorage } from '../../media/cs/index.ts';
import type { RecordingConfig } from './recording-config.ts';

/** Region when S3_REGION is unset (RGW and MinIO accept any; AWS needs the bucket's). */
export const S3_REGION_DEFAULT = 'us-east-1';
/** S3 bucket names are 3 to 63 characters (lower case, digits, `.` and `-`). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const url = (name: string) =>
  z
    .string()
    .url(`${name} must be a URL such as https://s3.example.com or http://127.0.0.1:7480`)
    .refine(
      (u) => !URL.canParse(u) || (/^https?:$/.test(new URL(u).protocol) && new URL(u).pathname.replace(/\/$/, '') === ''),
      `${name} must be http(s)://host[:port], without a path`,
    );
const required = (name: string) => z.string({ error: `${name} is required when CS_BACKEND=s3` }).min(1, `${name} must not be empty`);

/** The storage environment variables. */
export const StorageEnv = z.discriminatedUnion('CS_BACKEND', [
  z.object({ CS_BACKEND: z.literal('local') }),
  z.object({
    CS_BACKEND: z.literal('s3'),
    S3_ENDPOINT: required('S3_ENDPOINT').pipe(url('S3_ENDPOINT')),
    /** The store as cameras and viewers reach it (presigned URLs), when it is not S3_ENDPOINT. */
    PUBLIC_S3_ENDPOINT: url('PUBLIC_S3_ENDPOINT').optional(),
    S3_BUCKET: required('S3_BUCKET').regex(BUCKET_NAME, 'S3_BUCKET must be a bucket name: 3–63 lower-case letters, digits, dots and dashes'),
    S3_REGION: z.string().min(1).default(S3_REGION_DEFAULT),
    S3_ACCESS_KEY: required('S3_ACCESS_KEY'),
    S3_SECRET_KEY: required('S3_SECRET_KEY'),
    /** 1 (default): `endpoint/bucket/key` (Ceph, MinIO); 0: `bucket.endpoint/key` (AWS). */
    S3_PATH_STYLE: z.enum(['0', '1'], { error: 'S3_PATH_STYLE must be 0 or 1' }).default('1'),
    /** `direct` (default): playlists hold presigned GET URLs of the store; `platform`: segments stream through the platform. */
    S3_PLAYBACK: z.enum(['direct', 'platform'], { error: 'S3_PLAYBACK must be direct or platform' }).default('direct'),
  }),
]);

/** Resolved storage configuration. */
export type StorageConfig = { backend: 'local' } | ({ backend: 's3' } & S3StorageOptions);

/** Read the storage settings from `env`; throws ConfigError naming the variable. */
export function loadStorageConfig(env: Record<string, string | undefined> = process.env): StorageConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== '' && (k.startsWith('S3_') || k === 'PUBLIC_S3_ENDPOINT')));
  const backend = env.CS_BACKEND || 'local';
  if (backend !== 'local' && backend !== 's3') throw new ConfigError(`invalid CS_BACKEND: must be local or s3, not ${JSON.stringify(backend)}`);
  const parsed = StorageEnv.safeParse({ ...cleaned, CS_BACKEND: backend });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.CS_BACKEND === 'local') return { backend: 'local' };
  return {
    backend: 's3',
    endpoint: e.S3_ENDPOINT,
    ...(e.PUBLIC_S3_ENDPOINT ? { publicEndpoint: e.PUBLIC_S3_ENDPOINT } : {}),
    bucket: e.S3_BUCKET,
    region: e.S3_REGION,
    accessKey: e.S3_ACCESS_KEY,
    secretKey: e.S3_SECRET_KEY,
    pathStyle: e.S3_PATH_STYLE === '1',
    directPlayback: e.S3_PLAYBACK === 'direct',
  };
}

/** The storage the settings name (the recording code sees only the {@link SegmentStorage} interface). */
export function openStorage(rec: Pick<RecordingConfig, 'csDir' | 'csFsync'>, cfg: StorageConfig = loadStorageConfig()): SegmentStorage {
  if (cfg.backend === 's3') {
    const { backend: _, ...o } = cfg;
    return new S3Storage(o);
  }
  return new LocalDiskStorage({ root: rec.csDir, fsync: rec.csFsync });
}
