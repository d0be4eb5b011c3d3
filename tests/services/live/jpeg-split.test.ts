/** Whole JPEGs out of a stream of concatenated ones (services/live/jpeg-split.ts), however the chunks fall. */
import { describe, expect, it } from 'bun:test';
import sharp from 'sharp';
import { JpegSplitter, jpegLength } from '../../../services/live/jpeg-split.ts';

/** A noisy picture (long entropy-coded data with stuffed 0xFF bytes), baseline or progressive. */
async function picture(seed: number, progressive: boolean): Promise<Uint8Array> {
  const w = 160;
  const h = 90;
  const raw = new Uint8Array(w * h * 3);
  let x = seed;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  const out = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90, progressive })
    .toBuffer();
  return new Uint8Array(out);
}

describe('JPEG splitter', () => {
  it('finds each picture of a concatenated stream whole, in chunks of any size, progressive ones too', async () => {
    const pics = await Promise.all([picture(1, false), picture(2, true), picture(3, false)]);
    for (const p of pics) expect(jpegLength(p)).toBe(p.length);
    const stream = new Uint8Array(pics.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of pics) {
      stream.set(p, off);
      off += p.length;
    }
    for (const size of [1, 7, 188, 4096, stream.length]) {
      const got: Uint8Array[] = [];
      const split = new JpegSplitter(1 << 20, (j) => got.push(j));
      for (let i = 0; i < stream.length; i += size) split.push(stream.subarray(i, i + size));
      expect(got.map((g) => g.length)).toEqual(pics.map((p) => p.length));
      expect(got.every((g, i) => Buffer.from(g).equals(Buffer.from(pics[i] as Uint8Array)))).toBe(true);
    }
  });

  it('waits for the rest of a picture cut short, and names what is not a JPEG or too large', async () => {
    const p = await picture(4, false);
    expect(jpegLength(p.subarray(0, p.length - 1))).toBe(-1);
    expect(() => jpegLength(new TextEncoder().encode('not a picture'))).toThrow('no SOI marker');
    const split = new JpegSplitter(p.length - 10, () => {});
    expect(() => split.push(p.subarray(0, p.length - 2))).toThrow(`a picture over ${p.length - 10} bytes`);
  });
});
