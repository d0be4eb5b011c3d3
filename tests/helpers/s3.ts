/**
 * A throw-away S3 store (scripts/s3-server.ts: Ceph RADOS Gateway on memstore) for a test file:
 * started once in `beforeAll`, always stopped in `afterAll`.
 * @example const s3 = useS3Server(); it('…', () => { s3().client.write(…) })
 */
import { afterAll, beforeAll } from 'bun:test';
import { S3Client } from 'bun';
import { type S3Server, startS3Server } from '../../scripts/s3-server.ts';
import { S3Storage } from '../../media/cs/index.ts';

/** How long the store's start may take in a hook (cold start ≈ 3–5 s on 2 cores; more when loaded). */
export const S3_START_HOOK_MS = 90_000;

/** A running store and a client of its bucket. */
export interface TestS3 extends S3Server {
  client: S3Client;
}

/** A client of the store's bucket (path style). */
export function clientOf(s: S3Server): S3Client {
  return new S3Client({ endpoint: s.endpoint, bucket: s.bucket, region: s.region, accessKeyId: s.accessKey, secretAccessKey: s.secretKey });
}

/** The store's bucket as the platform's segment storage (path style): what names versions. */
export function storageOf(s: Pick<S3Server, 'endpoint' | 'bucket' | 'region' | 'accessKey' | 'secretKey'>): S3Storage {
  return new S3Storage({ endpoint: s.endpoint, bucket: s.bucket, region: s.region, accessKey: s.accessKey, secretKey: s.secretKey, pathStyle: true });
}

/**
 * Lose an object behind the platform's back for good (a disk, an operator, a bucket rule): on the versioned test bucket
 * a DELETE only hides the key, and the version a confirmation pinned would still play, so its current version goes.
 */
export async function loseS3Object(s: Pick<S3Server, 'endpoint' | 'bucket' | 'region' | 'accessKey' | 'secretKey'>, key: string): Promise<void> {
  const st = storageOf(s);
  const head = await st.head(key);
  if (head) await st.remove(key, head.version);
}

/** Start a store for this test file; the returned function gives it once `beforeAll` has run. */
export function useS3Server(): () => TestS3 {
  let s3: TestS3 | undefined;
  beforeAll(async () => {
    const server = await startS3Server();
    s3 = { ...server, client: clientOf(server) };
  }, S3_START_HOOK_MS);
  afterAll(async () => {
    await s3?.stop();
  }, S3_START_HOOK_MS);
  return () => {
    if (!s3) throw new Error('the S3 store did not start (see beforeAll)');
    return s3;
  };
}
