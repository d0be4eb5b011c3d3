/**
 * Segment storage in an S3-compatible bucket (AWS S3, Ceph RADOS Gateway, MinIO…), through Bun's
 * built-in S3 client for the data path and SigV4 presigned URLs (sigv4.ts) for what cameras and
 * viewers reach directly. An S3 PUT is durable once answered, so `sync` only checks the object
 * (HEAD: there, with its declared size). The bucket is made by a setup step, never at start.
 */
import { S3Client } from 'bun';
import { deleteObjects } from './s3-delete.ts';
import { presignUrl, type SigV4Credentials } from './sigv4.ts';
import {
  checkKey,
  type ByteRange,
  type DirectAccess,
  LIST_PAGE_DEFAULT,
  type ListedObject,
  MissingObjectError,
  REMOVE_BATCH_MAX,
  type RemoveFailure,
  type SegmentStorage,
  SizeMismatchError,
  type StoredObject,
} from './storage.ts';

/** Where the bucket is and how to sign for it. */
export interface S3StorageOptions {
  /** The store as the platform reaches it: `http(s)://host[:port]`. */
  endpoint: string;
  /** The store as cameras and viewers reach it (presigned URLs); `endpoint` by default. */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** `endpoint/bucket/key` (Ceph, MinIO) rather than `bucket.endpoint/key` (AWS's default). */
  pathStyle: boolean;
  /** Viewers read segments straight from the store (presigned GET URLs); false: through the platform. */
  directPlayback?: boolean;
}

/** S3 answers a missing object with this code. */
const NO_SUCH_KEY = 'NoSuchKey';
/** The part of a second a presigned URL's X-Amz-Date drops (it is truncated to the second). */
const SIGNING_SECOND_S = 1;
/** S3 lists at most this many keys per request. */
const S3_LIST_MAX = 1000;

/** The URL of a bucket on an endpoint, path style or virtual-hosted. */
export function bucketUrl(endpoint: string, bucket: string, pathStyle: boolean): string {
  const u = new URL(endpoint);
  return pathStyle ? `${u.protocol}//${u.host}/${bucket}` : `${u.protocol}//${bucket}.${u.host}`;
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === NO_SUCH_KEY || code === 'NotFound' || (err as { status?: number } | null)?.status === 404;
}

/** Segments as objects of one bucket. */
export class S3Storage implements SegmentStorage {
  readonly kind = 's3';
  readonly direct: DirectAccess;
  private readonly client: S3Client;
  private readonly creds: SigV4Credentials;
  /** The bucket as the platform reaches it (DeleteObjects). */
  private readonly bucketUrl: string;

  constructor(o: S3StorageOptions) {
    this.client = new S3Client({
      accessKeyId: o.accessKey,
      secretAccessKey: o.secretKey,
      region: o.region,
      bucket: o.bucket,
      // Virtual-hosted: Bun wants the bucket's own URL as its endpoint.
      ...(o.pathStyle ? { endpoint: o.endpoint } : { endpoint: bucketUrl(o.endpoint, o.bucket, false), virtualHostedStyle: true }),
    });
    const creds = { accessKey: o.accessKey, secretKey: o.secretKey, region: o.region };
    this.creds = creds;
    this.bucketUrl = bucketUrl(o.endpoint, o.bucket, o.pathStyle);
    const publicBucket = bucketUrl(o.publicEndpoint ?? o.endpoint, o.bucket, o.pathStyle);
    // X-Amz-Date is the signing second, truncated: one second more makes a URL live at least `ttlS`.
    this.direct = {
      putUrl: (key, size, ttlS) =>
        presignUrl(creds, { method: 'PUT', bucketUrl: publicBucket, key: checkKey(key), expiresInS: ttlS + SIGNING_SECOND_S, contentLength: size }),
      ...(o.directPlayback === false
        ? {}
        : {
            getUrl: (key: string, ttlS: number) =>
              presignUrl(creds, { method: 'GET', bucketUrl: publicBucket, key: checkKey(key), expiresInS: ttlS + SIGNING_SECOND_S }),
          }),
    };
  }

  /**
   * Through the platform (not the camera's path, which is `direct.putUrl`): the body is read into
   * one buffer of the declared size (bounded by the session's seg_max_size), then PUT whole, so a
   * body of the wrong size never reaches the store.
   */
  async put(key: string, body: AsyncIterable<Uint8Array>, size: number): Promise<void> {
    checkKey(key);
    const buf = new Uint8Array(new ArrayBuffer(size));
    let received = 0;
    for await (const chunk of body) {
      if (received + chunk.byteLength > size) throw new SizeMismatchError(size, received + chunk.byteLength, true);
      buf.set(chunk, received);
      received += chunk.byteLength;
    }
    if (received !== size) throw new SizeMismatchError(size, received, false);
    await this.client.write(key, buf);
  }

  async sync(key: string, size: number): Promise<void> {
    const found = await this.stat(key);
    if (found !== size) throw new MissingObjectError(key, size, found);
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    const size = await this.stat(key);
    if (size === undefined) return undefined;
    const f = this.client.file(checkKey(key));
    // A stream, not the S3File: Bun.serve answers a Response of an S3File with a redirect to a presigned URL.
    return { size, body: (range ? f.slice(range.start, range.end + 1) : f).stream() };
  }

  async stat(key: string): Promise<number | undefined> {
    try {
      return (await this.client.stat(checkKey(key))).size;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.delete(checkKey(key));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  /** One DeleteObjects request per {@link REMOVE_BATCH_MAX} keys (s3-delete.ts). */
  async removeMany(keys: readonly string[]): Promise<RemoveFailure[]> {
    const failures: RemoveFailure[] = [];
    for (let i = 0; i < keys.length; i += REMOVE_BATCH_MAX)
      failures.push(...(await deleteObjects(this.creds, this.bucketUrl, keys.slice(i, i + REMOVE_BATCH_MAX))));
    return failures;
  }

  async list(prefix: string, after?: string, limit = LIST_PAGE_DEFAULT): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let startAfter = after;
    while (out.length < limit) {
      const page = await this.client.list({ prefix, maxKeys: Math.min(S3_LIST_MAX, limit - out.length), ...(startAfter ? { startAfter } : {}) });
      for (const o of page.contents ?? []) out.push({ key: o.key, size: o.size ?? 0 });
      if (!page.isTruncated || !page.contents?.length) break;
      startAfter = page.contents[page.contents.length - 1]!.key;
    }
    return out;
  }
}
