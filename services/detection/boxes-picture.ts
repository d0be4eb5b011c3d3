/** A detection's picture with its boxes and labels drawn on it (sharp composites an SVG over the snapshot). */
import sharp from 'sharp';
import type { DetectionBox } from '../../db/schema-detections.ts';
import { JPEG_MAX_BYTES, PICTURE_DECODE } from './frames.ts';

/** Box line width and label size as shares of the picture's height (readable on a phone and a 4K picture alike). */
const LINE_PER_HEIGHT = 1 / 240;
const LABEL_PER_HEIGHT = 1 / 30;
/** Smallest line width and label size, pixels. */
const LINE_MIN_PX = 2;
const LABEL_MIN_PX = 12;
/** JPEG quality of the drawn picture. */
const JPEG_QUALITY = 85;
const BOX_COLOUR = '#ff3b30';

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The snapshot with a rectangle and a "class score" label per object, as JPEG. */
export async function drawBoxes(jpeg: Uint8Array, objects: readonly DetectionBox[], width: number, height: number): Promise<Uint8Array> {
  if (objects.length === 0) return jpeg;
  // The camera's upload, decoded on the main thread: as bounded as in the detector (a decompression bomb stays small).
  if (jpeg.byteLength > JPEG_MAX_BYTES) throw new Error(`picture over ${JPEG_MAX_BYTES} bytes`);
  const line = Math.max(LINE_MIN_PX, Math.round(height * LINE_PER_HEIGHT));
  const font = Math.max(LABEL_MIN_PX, Math.round(height * LABEL_PER_HEIGHT));
  const shapes = objects.map((o) => {
    const [x, y, w, h] = o.box;
    const label = escapeXml(`${o.class} ${Math.round(o.score * 100)}%`);
    const ty = y > font + line ? y - line : y + font + line;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${BOX_COLOUR}" stroke-width="${line}"/>` +
      `<text x="${x + line}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="${BOX_COLOUR}" stroke="black" stroke-width="${line / 2}" paint-order="stroke">${label}</text>`
    );
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  const out = await sharp(jpeg, PICTURE_DECODE)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
