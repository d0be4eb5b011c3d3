/**
 * Segment storage on a local (or shared, mounted) directory: `put` streams into `<key>.part`,
 * checks the size, optionally fsyncs, then renames to `<key>`, so a reader never sees a partial
 * segment and a crash leaves at most a `.part` file, which `remove(key)` also deletes.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkKey, SizeMismatchError, type ByteRange, type SegmentStorage, type StoredObject } from './storage.ts';

/** Suffix of an upload in progress. */
export const PART_SUFFIX = '.part';

/** Options of {@link LocalDiskStorage}. */
export interface LocalDiskOptions {
  /** Root directory ($DATA_DIR/cs by default). */
  root: string;
  /**
   * fdatasync each object before it is published, so a confirmed segment survives an operating
   * system crash or power loss too, not only a crash of the platform process. Default true.
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
      if (this.fsync) await fh.datasync();
      await fh.close();
      await rename(part, file);
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(part, { force: true });
      throw err;
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

  async remove(key: string): Promise<void> {
    const file = this.pathOf(key);
    await Promise.all([rm(file, { force: true }), rm(file + PART_SUFFIX, { force: true })]);
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
