/**
 * The recorder's FFmpeg side (device/recorder.ts): a test picture encoded to H.264 and cut into
 * MPEG-TS segments of the session's `seg_duration` (I.2.14), each finished segment listed on stdout.
 * @module
 */
import { diesWithParent } from './child.ts';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import type { StartRecordParams } from '../protocol/index.ts';

/** How long StopRecord waits for FFmpeg to write the last segment before killing it, ms. */
export const FFMPEG_STOP_MS = 5_000;
/** Frames per second of the test picture, and so one keyframe per second (segments cut at keyframes). */
export const RECORD_FPS = 25;
/** The default picture: FFmpeg's moving test pattern. */
export const DEFAULT_SOURCE = `testsrc2=size=320x240:rate=${RECORD_FPS}`;

/** A finished segment file as FFmpeg's segment list reports it. */
export interface SegmentFile {
  file: string;
  /** Seconds from the session's start. */
  offset: number;
  duration: number;
}

/** FFmpeg writing a session's segments into `dir`, listing each on stdout. */
export type Segmenter = Subprocess<'ignore', 'pipe', 'pipe'>;

/** Start FFmpeg for a StartRecord session: segments `seg%06d.ts` in `dir`, capped at the session's `max_bitrate`. */
export function spawnSegmenter(params: StartRecordParams, dir: string, options: { ffmpeg?: string; source?: string }): Segmenter {
  return Bun.spawn(
    diesWithParent([
      options.ffmpeg ?? 'ffmpeg',
      '-nostdin',
      '-v',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      options.source ?? DEFAULT_SOURCE,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(RECORD_FPS),
      '-keyint_min',
      String(RECORD_FPS),
      '-sc_threshold',
      '0',
      ...(params.max_bitrate > 0 ? ['-maxrate', String(params.max_bitrate), '-bufsize', String(params.max_bitrate)] : []),
      '-f',
      'segment',
      '-segment_time',
      String(params.seg_duration),
      '-segment_format',
      'mpegts',
      '-segment_list',
      'pipe:1',
      '-segment_list_type',
      'csv',
      join(dir, 'seg%06d.ts'),
    ]),
    { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
  );
}

/** Read FFmpeg's segment list (`file,start,end` per line) to its end, handing each finished segment on. */
export async function readSegmentList(ffmpeg: Segmenter, dir: string, onSegment: (seg: SegmentFile, name: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of ffmpeg.stdout) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const [file, start, end] = buf.slice(0, i).trim().split(',');
      buf = buf.slice(i + 1);
      if (!file || start === undefined || end === undefined) continue;
      onSegment({ file: join(dir, file), offset: Number(start), duration: Number(end) - Number(start) }, file);
    }
  }
}
