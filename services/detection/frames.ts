/** Frames into the model: a JPEG decoded and scaled by sharp (libvips), boxes mapped back to the picture. */
import sharp from 'sharp';
import { type Detection, MODEL_FRAME_BYTES, MODEL_INPUT_PX } from './model.ts';

/** Largest JPEG accepted for detection (a 4K snapshot is well under it). */
export const JPEG_MAX_BYTES = 8 * 1024 * 1024;
/** Largest picture side decoded, pixels (sharp refuses more: a decompression bomb stays small). */
export const PICTURE_MAX_SIDE_PX = 8192;
/** How a camera's picture is opened wherever it is decoded: bounded in pixels, refused when damaged. */
export const PICTURE_DECODE = { limitInputPixels: PICTURE_MAX_SIDE_PX * PICTURE_MAX_SIDE_PX, failOn: 'error' } as const;

/** A picture scaled (stretched) to the model's square input, with its original size. */
export interface ModelFrame {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** Decodes a JPEG (or any format libvips reads) and scales it to the model's input, 3 bytes a pixel. */
export async function decodeToModelFrame(bytes: Uint8Array): Promise<ModelFrame> {
  if (bytes.byteLength > JPEG_MAX_BYTES) throw new Error(`picture over ${JPEG_MAX_BYTES} bytes`);
  const img = sharp(bytes, PICTURE_DECODE);
  const meta = await img.metadata();
  if (!meta.width || !meta.height) throw new Error('picture without a size');
  const rgb = await img.resize(MODEL_INPUT_PX, MODEL_INPUT_PX, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  if (rgb.byteLength !== MODEL_FRAME_BYTES) throw new Error(`decoded frame is ${rgb.byteLength} bytes, not ${MODEL_FRAME_BYTES}`);
  return { rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength), width: meta.width, height: meta.height };
}

/** Maps boxes from the model's input square to a width×height picture, rounded and clipped to it. */
export function toPicture(found: Detection[], width: number, height: number): Detection[] {
  const sx = width / MODEL_INPUT_PX;
  const sy = height / MODEL_INPUT_PX;
  return found.map((d) => {
    const x1 = Math.max(0, Math.round(d.box[0] * sx));
    const y1 = Math.max(0, Math.round(d.box[1] * sy));
    const x2 = Math.min(width, Math.round((d.box[0] + d.box[2]) * sx));
    const y2 = Math.min(height, Math.round((d.box[1] + d.box[3]) * sy));
    return { class: d.class, score: Math.round(d.score * 1000) / 1000, box: [x1, y1, x2 - x1, y2 - y1] };
  });
}
