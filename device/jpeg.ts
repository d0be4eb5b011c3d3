/**
 * Pictures for Snapshot and alarm uploads: a real JPEG from FFmpeg's test source with a text
 * overlay (device, channel, time). Falls back to the overlay-less picture when drawtext is
 * unavailable, and to a tiny built-in JPEG when FFmpeg is missing.
 * @module
 */

/** What to draw. */
export interface PictureRequest {
  width: number;
  height: number;
  /** Overlay text (device, channel, time, PTZ). */
  text: string;
}

/** Produces a JPEG. */
export type JpegSource = (req: PictureRequest) => Promise<Uint8Array<ArrayBuffer>>;

/** Overlay font size relative to the picture height. */
const FONT_SIZE_PER_HEIGHT = 1 / 18;
/** The overlay's margin, pixels. */
const TEXT_MARGIN_PX = 10;
/** FFmpeg's overlay text must not contain its own syntax characters. */
const UNSAFE_TEXT = /[^A-Za-z0-9 _.,+\-/=]/g;

/** An 8×8 grey JPEG (made by FFmpeg), used when FFmpeg cannot run. */
const FALLBACK_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAg+Pkk+SVVVVVVVVWRdZGhoaGRkZGRoaGhwcHCDg4NwcHBoaHBwfHyDg4+Tj4eHg4eTk5ubm7q6srLZ2eD/////xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgACAAIAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==';

/** Start of Image, End of Image: every JPEG starts and ends with them. */
export const JPEG_SOI = [0xff, 0xd8] as const;
/** End of Image marker. */
export const JPEG_EOI = [0xff, 0xd9] as const;

/** True when `bytes` look like a JPEG (SOI ... EOI). */
export function isJpeg(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n > 4 && bytes[0] === JPEG_SOI[0] && bytes[1] === JPEG_SOI[1] && bytes[n - 2] === JPEG_EOI[0] && bytes[n - 1] === JPEG_EOI[1];
}

/** The picture FFmpeg draws: testsrc2 with the text in the top-left corner. */
export const ffmpegJpeg: JpegSource = async (req) => {
  const withText = await runFfmpeg(req, true);
  if (withText !== undefined) return withText;
  const plain = await runFfmpeg(req, false);
  return plain ?? fallbackJpeg();
};

/** The built-in 8×8 JPEG. */
export function fallbackJpeg(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(FALLBACK_JPEG_BASE64), (c) => c.charCodeAt(0));
}

async function runFfmpeg(req: PictureRequest, overlay: boolean): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const size = `${even(req.width)}x${even(req.height)}`;
  const text = req.text.replace(UNSAFE_TEXT, ' ');
  const fontSize = Math.max(12, Math.round(req.height * FONT_SIZE_PER_HEIGHT));
  const filter = `drawtext=text='${text}':x=${TEXT_MARGIN_PX}:y=${TEXT_MARGIN_PX}:fontsize=${fontSize}:fontcolor=white:box=1:boxcolor=black@0.5`;
  const args = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}`, '-frames:v', '1'];
  try {
    const proc = Bun.spawn([...args, ...(overlay ? ['-vf', filter] : []), '-c:v', 'mjpeg', '-f', 'image2', '-'], {
      stdout: 'pipe',
      stderr: 'ignore',
      stdin: 'ignore',
    });
    const bytes = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
    return (await proc.exited) === 0 && isJpeg(bytes) ? bytes : undefined;
  } catch {
    return undefined; // no ffmpeg on PATH
  }
}

/** Encoders want even dimensions. */
function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}
