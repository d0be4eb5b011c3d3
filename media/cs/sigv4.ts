/**
 * AWS Signature Version 4 presigned URLs (query-string authentication) for an S3-compatible store.
 * Bun's `S3File.presign` signs only `host`; a camera's upload URL must also sign `content-length`,
 * so the store refuses a body of another size than the segment declared (the signature covers the
 * header the request really carries). Works for path-style and virtual-hosted addressing.
 */
import { createHmac } from 'node:crypto';

/** What signs a request: the store's credentials and region. */
export interface SigV4Credentials {
  accessKey: string;
  secretKey: string;
  region: string;
}

/** One presigned request. */
export interface PresignRequest {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST';
  /** Base URL of the bucket: `http://host:port/bucket` (path style) or `https://bucket.host` (virtual-hosted). */
  bucketUrl: string;
  /** Object key ('' for the bucket itself). */
  key: string;
  /** Seconds the URL stays valid (SigV4 allows 1 to 604800). */
  expiresInS: number;
  /** Signed `Content-Length` (PUT): the request must carry exactly this header. */
  contentLength?: number;
  /** Query parameters of the request itself (`delete` of DeleteObjects: `[['delete', '']]`), signed with the rest. */
  query?: [string, string][];
  /** More headers the request carries and the signature covers (lower-case names), e.g. `content-md5`. */
  headers?: [string, string][];
  /** The signing time (tests); now by default. */
  now?: Date;
}

/** Longest a SigV4 presigned URL may live: 7 days (AWS's limit). */
export const PRESIGN_MAX_S = 7 * 24 * 3600;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Characters SigV4 leaves unencoded (RFC 3986's unreserved ones). */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves `!'()*` alone). */
function rfc3986(s: string): string {
  if (UNRESERVED.test(s)) return s; // object keys and most values: nothing to encode (a Vr create signs one URL)
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A bucket URL's parts, parsed once: a store has one or two bucket URLs (the platform's, the public one). */
interface BucketParts {
  protocol: string;
  host: string;
  basePath: string;
}
/** Bucket URLs parsed (platform's choice: a few stores at most, cleared past the bound like the signing keys). */
const BUCKET_PARTS_MAX = 16;
const bucketParts = new Map<string, BucketParts>();

function partsOf(bucketUrl: string): BucketParts {
  let p = bucketParts.get(bucketUrl);
  if (!p) {
    const base = new URL(bucketUrl);
    p = { protocol: base.protocol, host: base.host, basePath: base.pathname.replace(/\/+$/, '') };
    if (bucketParts.size >= BUCKET_PARTS_MAX) bucketParts.clear();
    bucketParts.set(bucketUrl, p);
  }
  return p;
}

/** The last signing second and its ISO 8601 basic form (`20261207T062700Z`): URLs signed in one second share it. */
let lastSecond = Number.NaN;
let lastAmzDate = '';

/** SigV4's X-Amz-Date of `at`, truncated to the second. */
function amzDateOf(at: Date): string {
  const second = Math.floor(at.getTime() / 1000);
  if (second !== lastSecond) {
    lastAmzDate = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    lastSecond = second;
  }
  return lastAmzDate;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => Bun.SHA256.hash(data, 'hex');

/** Signing keys kept (platform's choice: one per credentials, region and day; a few days' worth around midnight). */
const SIGNING_KEYS_MAX = 16;
/** `secret, region, day` → the day's signing key: four HMACs saved on every URL (a Vr create signs one). */
const signingKeys = new Map<string, Buffer>();

/** SigV4's signing key of a day (derived from the secret, the day, the region and the service). */
function signingKey(creds: SigV4Credentials, day: string): Buffer {
  const id = [creds.secretKey, creds.region, day].join('\n');
  let key = signingKeys.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${creds.secretKey}`, day), creds.region), SERVICE), 'aws4_request');
    if (signingKeys.size >= SIGNING_KEYS_MAX) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/**
 * A presigned URL for one request.
 * @example presignUrl(creds, { method: 'PUT', bucketUrl: 'http://127.0.0.1:7480/rec', key: 'a/b.ts', expiresInS: 600, contentLength: 1234 })
 */
export function presignUrl(creds: SigV4Credentials, req: PresignRequest): string {
  const expires = Math.max(1, Math.min(PRESIGN_MAX_S, Math.floor(req.expiresInS)));
  const base = partsOf(req.bucketUrl);
  const path = `${base.basePath}/${req.key.split('/').map(rfc3986).join('/')}`;
  const amzDate = amzDateOf(req.now ?? new Date());
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${creds.region}/${SERVICE}/aws4_request`;
  const headers: [string, string][] = [['host', base.host], ...(req.headers ?? [])];
  if (req.contentLength !== undefined) headers.push(['content-length', String(req.contentLength)]);
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([k]) => k).join(';');
  const query: [string, string][] = [
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${creds.accessKey}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(expires)],
    ['X-Amz-SignedHeaders', signedHeaders],
    ...(req.query ?? []),
  ];
  const canonicalQuery = query
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonicalHeaders = headers.map(([k, v]) => `${k}:${v}\n`).join('');
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, UNSIGNED_PAYLOAD].join('\n');
  const toSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = new Bun.CryptoHasher('sha256', signingKey(creds, day)).update(toSign).digest('hex');
  return `${base.protocol}//${base.host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
