/**
 * The segment storage interface (the CS of H.627.2 8.1, 3.2.2): where recorded segments' bytes
 * live. The platform only ever stores a whole object under a key, reads it (or a byte range of it)
 * and removes it, so a local directory (`local.ts`, the default), a shared directory mounted on
 * every node, or an S3-compatible bucket can each implement it.
 */

/** A byte range, both ends inclusive (as in an HTTP `Range` header). */
export interface ByteRange {
  start: number;
  end: number;
}

/** An object read back: its total size and the requested bytes. */
export interface StoredObject {
  /** Size of the whole object, bytes. */
  size: number;
  /** The requested bytes (the whole object without a range). */
  body: Blob | ReadableStream<Uint8Array>;
}

/**
 * One stored object: its key, and on a store that keeps versions (an S3 bucket with versioning on) the version the
 * platform pinned when it confirmed the segment. A presigned PUT URL stays valid until it expires, so the camera's URL
 * could write the key again after the confirmation: on a versioned bucket that makes a new version, and the pinned one
 * is still what playback reads and what removal deletes (docs/recording.md, "Storage on S3").
 */
export interface ObjectRef {
  key: string;
  /** The store's version id (`x-amz-version-id`); absent on a store without versions (local disk, unversioned bucket). */
  version?: string;
}

/** What a store says of an object without reading it. */
export interface ObjectHead {
  size: number;
  /** Its version id when the store keeps versions (the current one when none was asked for). */
  version?: string;
}

/** Where segments' bytes live. Keys are relative paths of `[A-Za-z0-9._~-]` segments joined by `/`. */
export interface SegmentStorage {
  /** `local`, `shared`, `s3`…: for logs and metrics. */
  readonly kind: string;
  /**
   * Store exactly `size` bytes from `body` under `key`, streaming (never the whole object in
   * memory). The object becomes visible under `key` only once complete; on any failure nothing is
   * left under `key` or beside it. Throws {@link SizeMismatchError} when the body is not `size` bytes.
   */
  put(key: string, body: AsyncIterable<Uint8Array>, size: number): Promise<void>;
  /**
   * Make a stored object durable (it survives an operating-system crash or power loss, not only a
   * crash of the platform process) and check that it is there with `size` bytes. `put` may return
   * before that (the platform confirms a segment only after `sync`); resolves at once when the
   * object is durable already. Throws {@link MissingObjectError} when there is no such object of
   * that size (its bytes were lost), or the storage's error when it cannot make it durable.
   */
  sync(key: string, size: number): Promise<void>;
  /** Read an object (that version of it, when given), or a byte range of it; undefined when there is no such object. */
  get(key: string, range?: ByteRange, version?: string): Promise<StoredObject | undefined>;
  /** Size of an object, or undefined. */
  stat(key: string): Promise<number | undefined>;
  /** Size and version of an object (that version of it, when given), or undefined when there is none. */
  head(key: string, version?: string): Promise<ObjectHead | undefined>;
  /**
   * Remove an object and any unfinished upload of it; removing a missing object succeeds. With a version: that version
   * only, for good; without one, on a versioned bucket, the key is hidden (a delete marker) and its versions stay until
   * the bucket's lifecycle rule expires them (docs/recording.md).
   */
  remove(key: string, version?: string): Promise<void>;
  /**
   * Remove several objects at once (at most {@link REMOVE_BATCH_MAX}): one request to a store that has one for it (S3
   * DeleteObjects), one unlink per file on a disk. Resolves with the keys that could not be removed and why (the
   * others are gone, missing ones included); throws when the request as a whole failed. A version, when given, is
   * removed for good, as by `remove`.
   */
  removeMany(objects: readonly ObjectRef[]): Promise<RemoveFailure[]>;
  /**
   * One page of the objects whose key starts with `prefix`, in key order, after the key `after`
   * (exclusive), at most `limit` (unfinished uploads are not listed). For a bounded reconciliation
   * of a device's prefix against the index.
   */
  list(prefix: string, after?: string, limit?: number): Promise<ListedObject[]>;
  /**
   * URLs that reach the store without the platform (S3 presigned URLs): a camera uploads straight
   * to it, a viewer reads from it. Undefined for a store only the platform reaches (local disk).
   */
  readonly direct?: DirectAccess;
}

/** An object of a listing. */
export interface ListedObject {
  key: string;
  size: number;
}

/** An object `removeMany` could not remove, and the store's words. */
export interface RemoveFailure {
  key: string;
  version?: string;
  error: string;
}

/** Keys per `removeMany`: S3's DeleteObjects takes at most 1,000 (AWS S3 API reference, DeleteObjects). */
export const REMOVE_BATCH_MAX = 1000;

/** Objects listed per page when a caller does not say. */
export const LIST_PAGE_DEFAULT = 1000;

/** Presigned URLs of a store that others may reach directly. */
export interface DirectAccess {
  /**
   * A URL that takes one `PUT` of exactly `size` bytes (its `Content-Length` is signed: the store
   * refuses another size) to `key`, valid `ttlS` seconds.
   */
  putUrl(key: string, size: number, ttlS: number): string;
  /**
   * A URL that reads `key` (that version of it, when given; Range requests too), valid `ttlS` seconds; undefined when
   * viewers cannot reach the store (they read through the platform then).
   */
  getUrl?(key: string, ttlS: number, version?: string): string;
}

/** The body of a `put` had another size than announced. */
export class SizeMismatchError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
    readonly partial: boolean,
  ) {
    super(partial ? `body is over the declared size of ${expected} bytes` : `received ${received} bytes, the segment was declared as ${expected}`);
    this.name = 'SizeMismatchError';
  }
}

/** An object expected in storage is not there, or not whole. */
export class MissingObjectError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly found: number | undefined,
  ) {
    super(found === undefined ? `its bytes are not in storage` : `storage holds ${found} of its ${expected} bytes`);
    this.name = 'MissingObjectError';
  }
}

/** A key outside the storage's key syntax. */
export class BadKeyError extends Error {
  constructor(readonly key: string) {
    super(`bad storage key: ${JSON.stringify(key)}`);
    this.name = 'BadKeyError';
  }
}

const KEY_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;

/** Check a key: `/`-separated, no empty, `.` or `..` segment, no leading dot (nothing hidden, nothing outside the root). */
export function checkKey(key: string): string {
  if (key.length === 0 || key.length > 512 || !key.split('/').every((s) => KEY_SEGMENT.test(s))) throw new BadKeyError(key);
  return key;
}

/** Files unlinked at once by {@link removeEach} (a bound on open requests, not a tuning knob). */
export const REMOVE_CONCURRENCY = 32;

/** `removeMany` for a store without a batch request: `remove` each object, {@link REMOVE_CONCURRENCY} at a time. */
export async function removeEach(remove: (key: string) => Promise<void>, objects: readonly ObjectRef[]): Promise<RemoveFailure[]> {
  const failures: RemoveFailure[] = [];
  for (let i = 0; i < objects.length; i += REMOVE_CONCURRENCY) {
    await Promise.all(
      objects.slice(i, i + REMOVE_CONCURRENCY).map(({ key }) => remove(key).catch((err: unknown) => void failures.push({ key, error: String(err) }))),
    );
  }
  return failures;
}
