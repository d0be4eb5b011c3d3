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
  type ObjectHead,
  type ObjectRef,
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
/** How long the signature of the platform's own HEAD or GET of a version is valid: it is sent at once. */
const OWN_REQUEST_TTL_S = 60;
/** What S3 answers as the version id of an object written while versioning was off (AWS S3 API reference, versioning). */
const NULL_VERSION = 'null';
/** HTTP status of a missing object or version. */
const NOT_FOUND = 404;
/** HTTP status of a partial read (a Range request). */
const PARTIAL_CONTENT = 206;

/**
 * A size an answer states (`Content-Length`, or the total of a `Content-Range`), checked: a store's answer without one
 * is an error of the store (the caller answers "storage unreachable", 503), never a size of 0 that would cancel a
 * segment whose bytes are there.
 */
function sizeOf(text: string | null | undefined, what: string): number {
  const n = Number(text ?? Number.NaN);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`S3 ${what}: the answer states no size (${JSON.stringify(text ?? null)})`);
  return n;
}

/** The version id an answer carries, unless the object has none (versioning off). */
function versionOf(res: Response): string | undefined {
  const v = res.headers.get('x-amz-version-id');
  return v && v !== NULL_VERSION ? v : undefined;
}

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
            getUrl: (key: string, ttlS: number, version?: string) =>
              presignUrl(creds, {
                method: 'GET',
                bucketUrl: publicBucket,
                key: checkKey(key),
                expiresInS: ttlS + SIGNING_SECOND_S,
                ...(version !== undefined ? { query: [['versionId', version]] } : {}),
              }),
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

  async get(key: string, range?: ByteRange, version?: string): Promise<StoredObject | undefined> {
    if (version !== undefined) return this.getVersion(key, range, version);
    const size = await this.stat(key);
    if (size === undefined) return undefined;
    const f = this.client.file(checkKey(key));
    // A stream, not the S3File: Bun.serve answers a Response of an S3File with a redirect to a presigned URL.
    return { size, body: (range ? f.slice(range.start, range.end + 1) : f).stream() };
  }

  /** A version of an object: a presigned GET through `fetch` (Bun's client cannot name a version). */
  private async getVersion(key: string, range: ByteRange | undefined, version: string): Promise<StoredObject | undefined> {
    const res = await fetch(this.ownUrl('GET', key, version), range ? { headers: { range: `bytes=${range.start}-${range.end}` } } : undefined);
    if (res.status === NOT_FOUND) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`S3 GET of ${key} (version ${version}) answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    // A partial answer names the whole size after the slash of its Content-Range (RFC 9110 14.4).
    const total = res.status === PARTIAL_CONTENT ? res.headers.get('content-range')?.split('/')[1] : res.headers.get('content-length');
    try {
      return { size: sizeOf(total, `GET of ${key}`), body: res.body! };
    } catch (err) {
      await res.body?.cancel();
      throw err;
    }
  }

  /**
   * A presigned HEAD through `fetch`, not Bun's `S3Client.stat`, whose answer has no version id: the confirmation of a
   * direct upload pins the version it found (docs/recording.md, "Storage on S3").
   */
  async head(key: string, version?: string): Promise<ObjectHead | undefined> {
    const res = await fetch(this.ownUrl('HEAD', key, version), { method: 'HEAD' });
    if (res.status === NOT_FOUND) return undefined;
    if (!res.ok) throw new Error(`S3 HEAD of ${key}${version ? ` (version ${version})` : ''} answered ${res.status}`);
    const found = versionOf(res);
    return { size: sizeOf(res.headers.get('content-length'), `HEAD of ${key}`), ...(found ? { version: found } : {}) };
  }

  /** A URL for one of the platform's own requests to the store (as it reaches it), naming a version when given. */
  private ownUrl(method: 'GET' | 'HEAD', key: string, version: string | undefined): string {
    return presignUrl(this.creds, {
      method,
      bucketUrl: this.bucketUrl,
      key: checkKey(key),
      expiresInS: OWN_REQUEST_TTL_S,
      ...(version !== undefined ? { query: [['versionId', version]] } : {}),
    });
  }

  async stat(key: string): Promise<number | undefined> {
    try {
      return (await this.client.stat(checkKey(key))).size;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async remove(key: string, version?: string): Promise<void> {
    if (version !== undefined) {
      const [failure] = await deleteObjects(this.creds, this.bucketUrl, [{ key, version }]);
      if (failure) throw new Error(`S3 could not remove ${key} (version ${version}): ${failure.error}`);
      return;
    }
    try {
      await this.client.delete(checkKey(key));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  /** One DeleteObjects request per {@link REMOVE_BATCH_MAX} objects (s3-delete.ts). */
  async removeMany(objects: readonly ObjectRef[]): Promise<RemoveFailure[]> {
    const failures: RemoveFailure[] = [];
    for (let i = 0; i < objects.length; i += REMOVE_BATCH_MAX)
      failures.push(...(await deleteObjects(this.creds, this.bucketUrl, objects.slice(i, i + REMOVE_BATCH_MAX))));
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
