/**
 * A fixed-capacity byte FIFO for one slow SRT viewer: filled when libsrt's send buffer is full,
 * drained when the socket is writable again. Allocated once, on the first stall.
 */
import { ptr } from 'bun:ffi';
import { copyBytes } from './ts.ts';

/** Bounded byte queue over one buffer; `push` refuses what does not fit. */
export class ByteRing {
  private readonly buf: Uint8Array;
  /** Address of `buf`, for sending straight from the ring through FFI. */
  readonly base: number;
  private head = 0;
  /** Bytes queued. */
  size = 0;

  /** `capacity` should be a multiple of the unit the reader sends (188 × n), so reads never split one. */
  constructor(readonly capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.base = ptr(this.buf);
  }

  /** Append `len` bytes at `off`; false (nothing queued) when they do not fit. */
  push(src: Uint8Array, off: number, len: number): boolean {
    if (this.size + len > this.capacity) return false;
    let tail = (this.head + this.size) % this.capacity;
    let from = off;
    let left = len;
    while (left > 0) {
      const n = Math.min(left, this.capacity - tail);
      copyBytes(src, from, n, this.buf, tail);
      from += n;
      left -= n;
      tail = (tail + n) % this.capacity;
    }
    this.size += len;
    return true;
  }

  /** Offset and length of the longest contiguous run at the head, at most `max` bytes. */
  peek(max: number): [offset: number, length: number] {
    return [this.head, Math.min(max, this.size, this.capacity - this.head)];
  }

  /** Drop `n` bytes from the head. */
  consume(n: number): void {
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
    if (this.size === 0) this.head = 0;
  }
}
