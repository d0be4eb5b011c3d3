/**
 * The simulator's live push (H.627.2 9.3.3, I.2.12, I.2.13): on PushLive, FFmpeg encodes a test
 * pattern (with a photo on it: `picture`) with a running clock overlay as H.264 at `max_bitrate` and publishes MPEG-TS over SRT to
 * the url it was given; on StopLive it stops. A url that is not an SRT url with a stream id is
 * answered with err 12 (parameter error); a push FFmpeg cannot start (refused, wrong key) with 500.
 * @module
 */
import { diesWithParent } from './child.ts';
import type { Subprocess } from 'bun';
import { existsSync } from 'node:fs';
import type { PushLiveParams, StopLiveParams } from '../protocol/index.ts';
import { VD_ERR } from '../protocol/constants.ts';
import { OVERLAY_HEIGHT_SHARE } from './jpeg-overlay.ts';
import type { MediaContext, MediaHooks, MediaResult } from './camera-media.ts';

/** Frames per second of the pushed test pattern. */
export const LIVE_FPS = 25;
/** Picture size of the pushed test pattern. */
export const LIVE_SIZE = '640x360';
/** Keyframe interval, frames (one a second: viewers start within a second). */
export const LIVE_GOP_FRAMES = LIVE_FPS;
/** A push still running this long after FFmpeg started counts as established. */
export const PUSH_CONFIRM_MS = 1_500;
/** How long a stopping FFmpeg gets before it is killed. */
export const FFMPEG_STOP_MS = 3_000;
/** Font of the clock overlay (Debian's fonts-dejavu-core, pulled in by FFmpeg's fontconfig). */
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

/** Options of {@link ffmpegLive}. */
export interface LiveOptions {
  ffmpeg?: string;
  size?: string;
  fps?: number;
  /** A photo shown in the middle of the pattern, as the snapshots show it (device/jpeg-overlay.ts: `--picture`). */
  picture?: string;
}

/** The picture FFmpeg pushes: a test pattern (with the photo, if any), and the device, channel and clock when a font is there. */
function source(deviceId: string, channel: number, size: string, fps: number, picture?: string): string {
  let pattern = `testsrc2=size=${size}:rate=${fps}`;
  if (picture) {
    // the photo, looped forever, scaled to OVERLAY_HEIGHT_SHARE of the height, over the pattern's centre
    const height = Math.round((Number(size.split('x')[1]) * OVERLAY_HEIGHT_SHARE) / 2) * 2;
    const photo = picture.replace(/[\\':,;[\]]/g, '\\$&');
    pattern = `${pattern}[bg];movie=${photo},loop=loop=-1:size=1,scale=-2:${height}[p];[bg][p]overlay=x=(W-w)/2:y=(H-h)/2`;
  }
  if (!existsSync(FONT)) return pattern;
  const label = `${deviceId} ch${channel}`.replace(/[':\\]/g, '');
  return `${pattern},drawtext=fontfile=${FONT}:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.5:x=12:y=12:text='${label} %{localtime\\:%T}'`;
}

/** Whether a PushLive url is one FFmpeg can publish to: srt://host:port with a stream id. */
export function isSrtPushUrl(url: string): boolean {
  return /^srt:\/\/[^/?#]+:\d+\?.*streamid=/.test(url);
}

/** Media hooks that push live video with FFmpeg. */
export function ffmpegLive(opts: LiveOptions = {}): Pick<MediaHooks, 'onPushLive' | 'onStopLive'> {
  const pushes = new Map<string, Subprocess>();
  const stop = async (streamId: string) => {
    const proc = pushes.get(streamId);
    pushes.delete(streamId);
    if (!proc) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), FFMPEG_STOP_MS);
    await proc.exited;
    clearTimeout(timer);
  };
  return {
    async onPushLive(params: PushLiveParams, ctx: MediaContext): Promise<MediaResult> {
      if (!isSrtPushUrl(params.url)) return { err: { code: VD_ERR.PARAMETER, msg: 'url must be srt://host:port?streamid=…' } };
      const kbps = Math.max(1, params.max_bitrate);
      const proc = Bun.spawn(
        diesWithParent([
          opts.ffmpeg ?? 'ffmpeg',
          '-hide_banner',
          '-loglevel',
          'error',
          '-nostdin',
          '-re',
          '-f',
          'lavfi',
          '-i',
          source(ctx.deviceId, params.channel, opts.size ?? LIVE_SIZE, opts.fps ?? LIVE_FPS, opts.picture),
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-tune',
          'zerolatency',
          '-pix_fmt',
          'yuv420p',
          '-b:v',
          `${kbps}k`,
          '-maxrate',
          `${kbps}k`,
          '-bufsize',
          `${kbps}k`,
          '-g',
          String(LIVE_GOP_FRAMES),
          '-f',
          'mpegts',
          params.url,
        ]),
        { stdout: 'ignore', stderr: 'pipe' },
      );
      pushes.set(params.stream_id, proc);
      const early = await Promise.race([proc.exited.then((code) => code), Bun.sleep(PUSH_CONFIRM_MS).then(() => undefined)]);
      if (early !== undefined) {
        pushes.delete(params.stream_id);
        const why = (await new Response(proc.stderr).text()).trim().split('\n').at(-1) ?? '';
        ctx.log(`push failed: ${why}`);
        return { err: { code: VD_ERR.SERVER_ERROR, msg: `could not publish: ${why || `ffmpeg exited ${early}`}`.slice(0, 200) } };
      }
      proc.exited.then(() => {
        if (pushes.get(params.stream_id) === proc) {
          pushes.delete(params.stream_id);
          ctx.log(`push ${params.stream_id} ended`);
          ctx.ended();
        }
      });
      return {};
    },
    async onStopLive(params: StopLiveParams): Promise<MediaResult> {
      await stop(params.stream_id);
      return {};
    },
  };
}
