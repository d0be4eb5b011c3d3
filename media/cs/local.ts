/**
 * Segment storage on a local (or shared, mounted) directory: `put` streams into `<key>.part`,
 * checks the size, then renames to `<key>`, so a reader never sees a partial segment and a crash
 * leaves at most a `.part` file, which `remove(key)` also deletes.
 *
 * Durability (`fsync`, the default): `put` returns once the object is published and starts making
 * it durable in the background, fdatasync of the file and fsync of its directory (the rename);
 * `sync(key)` waits for that, or does it afresh for an object stored before a restart. The
 * platform syncs a segment before it commits its confirmation, which in the two-stage cycle
 * (9.3.4.1.3) comes with the next segment's create, a segment duration later: the disk's flush
 * latency, whose tail here is 40–170 ms (the `disk` line of `bench vr`), is then off the upload's
 * answer and, mostly, off the confirmation's too.
 */
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  checkKey,
  LIST_PAGE_DEFAULT,
  type ListedObject,
  MissingObjectError,
  removeEach,
  type ObjectHead,
  type ObjectRef,
  type RemoveFailure,
  SizeMismatchError,
  type ByteRange,
  type SegmentStorage,
  type StoredObject,
} from './storage.ts';

/** Suffix of an upload in progress. */
export const PART_SUFFIX = '.part';

/** Options of {@link LocalDiskStorage}. */
export interface LocalDiskOptions {
  /** Root directory ($DATA_DIR/cs by default). */
  root: string;
  /**
   * Make each object durable (fdatasync, and fsync of its directory) before `sync` resolves, so a
   * confirmed segment survives an operating-system crash or power loss too, not only a crash of
   * the platform process. Default true; false makes `sync` only check the object is there.
   */
  fsync?: boolean;
  /** `local` or `shared` (a directory every node mounts). */
  kind?: string;
}

/** Segments as files under one directory. */
export class LocalDiskStorage implements SegmentStorage {
  readonly kind: string;
  readonly root: string;
  private readonly fsync: boolean;
  /** Directories known to exist (one mkdir per directory, not per segment). */
  private dirs = new Set<string>();
  /**
   * The background flush of each object this process published, by key, until the object is
   * synced or removed (a segment is one or the other: confirmed, or cancelled or expired).
   */
  private flushing = new Map<string, Promise<void>>();

  constructor({ root, fsync = true, kind = 'local' }: LocalDiskOptions) {
    this.root = root;
    this.fsync = fsync;
    this.kind = kind;
  }

  /** The file of a key (for tests and tools). */
  pathOf(key: string): string {
    return join(this.root, checkKey(key));
  }

  async put(key: string, body: AsyncIterable<Uint8Array>, size: number): Promise<void> {
    const file = this.pathOf(key);
    const part = file + PART_SUFFIX;
    const fh = await this.openPart(part);
    let received = 0;
    try {
      // Each chunk is written before the next is read: the body is pulled only as fast as the
      // disk takes it (back-pressure), so a segment is never held whole in memory.
      for await (const chunk of body) {
        received += chunk.byteLength;
        if (received > size) throw new SizeMismatchError(size, received, true);
        let off = 0;
        while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
      }
      if (received !== size) throw new SizeMismatchError(size, received, false);
      await rename(part, file);
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(part, { force: true });
      throw err;
    }
    if (!this.fsync) {
      await fh.close();
      return;
    }
    const flush = this.flush(fh, file);
    flush.catch(() => {}); // a failed flush is reported to whoever syncs the key
    this.flushing.set(key, flush);
  }

  async sync(key: string, size: number): Promise<void> {
    const file = this.pathOf(key);
    const flush = this.flushing.get(key);
    if (flush) {
      try {
        await flush;
      } finally {
        this.flushing.delete(key); // done, or failed: a later sync flushes afresh
      }
    }
    // The flush kept an open handle: the file may have gone from under its name meanwhile.
    const found = await this.stat(key);
    if (found !== size) throw new MissingObjectError(key, size, found);
    // Stored before this process started: flush it now (little to do when it has no dirty pages).
    if (!flush && this.fsync) await this.flush(await open(file, 'r'), file);
  }

  /** fdatasync an open file (then close it) and fsync its directory, which holds its name. */
  private async flush(fh: FileHandle, file: string): Promise<void> {
    try {
      await fh.datasync();
    } finally {
      await fh.close().catch(() => {});
    }
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close().catch(() => {});
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    const f = Bun.file(this.pathOf(key));
    let size: number;
    try {
      size = (await stat(this.pathOf(key))).size;
    } catch {
      return undefined;
    }
    return { size, body: range ? f.slice(range.start, range.end + 1) : f };
  }

  async stat(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch {
      return undefined;
    }
  }

  /** A disk keeps no versions: the object's size. */
  async head(key: string): Promise<ObjectHead | undefined> {
    const size = await this.stat(key);
    return size === undefined ? undefined : { size };
  }

  async remove(key: string): Promise<void> {
    const file = this.pathOf(key);
    this.flushing.delete(key); // a sync after this finds the object gone
    await Promise.all([rm(file, { force: true }), rm(file + PART_SUFFIX, { force: true })]);
  }

  /** One unlink per file (a disk has no batch request). */
  removeMany(objects: readonly ObjectRef[]): Promise<RemoveFailure[]> {
    return removeEach((key) => this.remove(key), objects);
  }

  async list(prefix: string, after = '', limit = LIST_PAGE_DEFAULT): Promise<ListedObject[]> {
    // The directory holding every key of the prefix: its part up to the last `/`.
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    let names: string[];
    try {
      names = (await readdir(join(this.root, dir), { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.endsWith(PART_SUFFIX))
        .map((e) => `${e.parentPath.slice(this.root.length + 1)}/${e.name}`.replace(/^\//, ''));
    } catch {
      return [];
    }
    const keys = names.filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, limit);
    return Promise.all(page.map(async (key) => ({ key, size: (await this.stat(key)) ?? 0 })));
  }

  /** Open the part file, making its directory when missing (known directories are remembered). */
  private async openPart(part: string) {
    const dir = dirname(part);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    try {
      return await open(part, 'w');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true }); // removed behind our back (a tool, a test): make it again
      return open(part, 'w');
    }
  }
}
