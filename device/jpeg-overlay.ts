/**
 * A picture for Snapshot and alarm uploads that shows a photo on the test pattern (FFmpeg `overlay`), so a simulated
 * camera can "see" a person (e.g. Debian darknet's person.jpg) and detection can be tested end to end without
 * outside footage (docs/detection.md). `bun run device … --picture FILE`.
 * @module
 */
import { isJpeg, type JpegSource, ffmpegJpeg } from './jpeg.ts';

/** The photo's height as a share of the picture's (large enough for a detector to see a person clearly). */
export const OVERLAY_HEIGHT_SHARE = 0.8;

/** The test pattern with `photo` overlaid in its centre, scaled to OVERLAY_HEIGHT_SHARE of the height; the plain pattern if FFmpeg fails. */
export function overlayJpeg(photo: string): JpegSource {
  return async (req) => {
    const w = Math.max(2, Math.round(req.width / 2) * 2);
    const h = Math.max(2, Math.round(req.height / 2) * 2);
    const ph = Math.max(2, Math.round((h * OVERLAY_HEIGHT_SHARE) / 2) * 2);
    const filter = `[1:v]scale=-2:${ph}[p];[0:v][p]overlay=x=(W-w)/2:y=(H-h)/2`;
    const args = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}`, '-i', photo];
    try {
      const proc = Bun.spawn([...args, '-filter_complex', filter, '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2', '-'], {
        stdout: 'pipe',
        stderr: 'ignore',
        stdin: 'ignore',
      });
      const bytes = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
      if ((await proc.exited) === 0 && isJpeg(bytes)) return bytes;
    } catch {
      // no ffmpeg on PATH: the plain pattern says so by its fallback
    }
    return ffmpegJpeg(req);
  };
}
