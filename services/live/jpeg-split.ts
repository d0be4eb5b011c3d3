/**
 * Whole JPEG pictures out of a byte stream of concatenated JPEGs (FFmpeg's `-f image2pipe -c:v mjpeg`). A picture
 * ends at its EOI marker, found by walking the segments (their lengths) and, after each SOS, the entropy-coded data
 * (where 0xFF is always followed by 0x00, a restart marker or fill): a 0xFF 0xD9 inside a table is never taken for
 * the end.
 */

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const RST0 = 0xd0;
const RST7 = 0xd7;
/** TEM: a marker with no length. */
const TEM = 0x01;

/** The length of the first whole JPEG in `b` (which starts with its SOI), or -1 when it is not all there yet. */
export function jpegLength(b: Uint8Array): number {
  if (b.length < 2) return -1;
  if (b[0] !== MARKER || b[1] !== SOI) throw new Error('not a JPEG: no SOI marker at its start');
  let i = 2;
  for (;;) {
    if (i + 1 >= b.length) return -1;
    if (b[i] !== MARKER) throw new Error(`not a JPEG: no marker at byte ${i}`);
    const m = b[i + 1] as number;
    if (m === MARKER) {
      i++; // fill byte before a marker
      continue;
    }
    if (m === EOI) return i + 2;
    if (m === TEM || (m >= RST0 && m <= RST7)) {
      i += 2;
      continue;
    }
    if (i + 3 >= b.length) return -1;
    const len = ((b[i + 2] as number) << 8) | (b[i + 3] as number);
    i += 2 + len;
    if (m !== SOS) continue;
    // entropy-coded data: up to the next marker that is not a stuffed byte, a restart or fill
    for (;;) {
      if (i + 1 >= b.length) return -1;
      if (b[i] !== MARKER) {
        i++;
        continue;
      }
      const n = b[i + 1] as number;
      if (n === 0 || (n >= RST0 && n <= RST7)) i += 2;
      else if (n === MARKER) i++;
      else break;
    }
  }
}

/** Feeds chunks of a JPEG stream in; `onPicture` gets each whole picture. A picture over `maxBytes` is an error. */
export class JpegSplitter {
  private buf = new Uint8Array(0);

  constructor(
    private readonly maxBytes: number,
    private readonly onPicture: (jpeg: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    let rest = joined;
    for (;;) {
      const n = jpegLength(rest);
      if (n < 0) break;
      this.onPicture(rest.slice(0, n));
      rest = rest.subarray(n);
    }
    if (rest.length > this.maxBytes) throw new Error(`a picture over ${this.maxBytes} bytes`);
    this.buf = rest.slice();
  }
}
