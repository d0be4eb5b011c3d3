/**
 * The simulator's SD card (`bun run device --sd-card`): PlayVideo, CtrlVideo and QueryVideoStatus
 * (H.627.2 I.2.23–I.2.25, with the project's extension: docs/sd-playback.md) answered with real
 * video. A playback holds one SRT publish for its whole life: one FFmpeg (the pusher) copies MPEG-TS
 * from its stdin to the SRT url, as a camera keeps its connection while the viewer seeks. Another
 * FFmpeg (the encoder) renders "the recording": a test pattern with the recording's own clock, from
 * the position asked for at the speed asked for; each pause, resume, seek and speed change replaces
 * the encoder (a paused one shows the still position), its timestamps offset to follow on. At the end
 * of the range the push ends, as a camera's does at the end of its file.
 * @module
 */
import { diesWithParent } from './child.ts';
import type { FileSink, Subprocess } from 'bun';
import { existsSync } from 'node:fs';
import type { CtrlVideoParams, PlayVideoParams, QueryVideoStatusResp } from '../protocol/index.ts';
import { FFMPEG_STOP_MS, isSrtPushUrl, LIVE_FPS, LIVE_SIZE } from './live.ts';
import type { MediaContext } from './camera-media.ts';

/** MPEG-TS packet size: the encoder's output is handed on in whole packets only (ISO/IEC 13818-1). */
export const TS_PACKET_BYTES = 188;
/** Frame rate of the paused picture: enough that the MDU never finds the publisher silent (media/mdu PUBLISH_SILENCE_TIMEOUT_MS). */
export const PAUSED_FPS = 5;
/** Bit rate of the played recording, kbit/s. */
export const SD_PLAY_KBPS = 1000;
/** How long the pusher may probe its input before it opens the SRT url, µs (one keyframe is enough). */
const PUSHER_ANALYZE_US = 1_000_000;
/** A recording of this many seconds when PlayVideo names no range (the extension's fields absent). */
export const DEFAULT_PLAY_S = 600;
const MS_PER_S = 1000;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

interface Playback {
  url: string;
  /** PlayVideo's `stream_id`, when it gave one. */
  streamId: string | undefined;
  from: number;
  to: number;
  /** Position (s since the epoch) at `anchorAt` (ms, this process's clock). */
  pos: number;
  anchorAt: number;
  speed: number;
  status: 'playing' | 'pausing';
  startedAt: number;
  pusher: Subprocess<'pipe', 'ignore', 'pipe'>;
  encoder?: Subprocess<'ignore', 'pipe', 'pipe'>;
  ended: () => void;
}

/** Where the played position is now. */
function position(p: Playback, now: number): number {
  return p.status === 'playing' ? Math.min(p.to, p.pos + ((now - p.anchorAt) / MS_PER_S) * p.speed) : p.pos;
}

/** The encoder's picture: the pattern with the recording's clock, advancing `speed` seconds a second; or the paused position, still. */
function picture(p: Playback, label: string): { input: string; fps: number } {
  const font = existsSync(FONT) ? `fontfile=${FONT}:` : '';
  const box = `${font}fontsize=20:fontcolor=white:box=1:boxcolor=black@0.6:x=12:y=12`;
  if (p.status === 'pausing') {
    const at = new Date(Math.floor(p.pos) * MS_PER_S).toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '\\:');
    return { input: `color=c=gray:size=${LIVE_SIZE}:rate=${PAUSED_FPS},drawtext=${box}:text='${label} PAUSED ${at}'`, fps: PAUSED_FPS };
  }
  const clock = `%{pts\\:gmtime\\:${Math.floor(p.pos)}\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}`;
  return {
    input: `testsrc2=size=${LIVE_SIZE}:rate=${LIVE_FPS},setpts=PTS*${p.speed},drawtext=${box}:text='${label} SD x${p.speed} ${clock}',setpts=PTS/${p.speed}`,
    fps: LIVE_FPS,
  };
}

/** Plays SD-card recordings per channel. */
export class SdCard {
  private plays = new Map<number, Playback>();

  constructor(private readonly opts: { ffmpeg?: string; now?: () => number } = {}) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Whether the channel plays from the card now. */
  has(channel: number): boolean {
    return this.plays.has(channel);
  }

  /** PlayVideo: start pushing the range to the SRT url; a url FFmpeg cannot publish to is logged and ignored (an event has no answer). */
  play(params: PlayVideoParams, ctx: MediaContext): void {
    this.stop(params.channel);
    if (!isSrtPushUrl(params.url)) {
      ctx.log(`PlayVideo ignored: url must be srt://host:port?streamid=…`);
      return;
    }
    const from = params.start_ts ?? Math.floor(ctx.now() / MS_PER_S) - DEFAULT_PLAY_S;
    const to = params.end_ts ?? from + DEFAULT_PLAY_S;
    const pusher = Bun.spawn(
      diesWithParent([
        this.ffmpeg(),
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-analyzeduration',
        String(PUSHER_ANALYZE_US),
        '-f',
        'mpegts',
        '-i',
        'pipe:0',
        '-c',
        'copy',
        '-f',
        'mpegts',
        params.url,
      ]),
      { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe' },
    );
    const now = this.now();
    const p: Playback = {
      url: params.url,
      streamId: params.stream_id,
      from,
      to,
      pos: from,
      anchorAt: now,
      speed: 1,
      status: 'playing',
      startedAt: now,
      pusher,
      ended: ctx.ended,
    };
    this.plays.set(params.channel, p);
    pusher.exited.then(() => {
      if (this.plays.get(params.channel) !== p) return;
      ctx.log(`SD playback of channel ${params.channel} ended`);
      this.stop(params.channel);
    });
    this.encode(p, `${ctx.deviceId} ch${params.channel}`.replace(/[':\\]/g, ''));
  }

  /** CtrlVideo: pause, resume, seek, speed or stop the channel's playback (no playback: nothing to do). */
  control(params: CtrlVideoParams, ctx: MediaContext): void {
    const p = this.plays.get(params.channel);
    // A control for another playback than the one playing (a late stop of a replaced one) is not for this one.
    if (!p || (params.stream_id !== undefined && params.stream_id !== p.streamId)) return;
    if (params.op === 'stop') return this.stop(params.channel);
    const now = this.now();
    p.pos = position(p, now);
    p.anchorAt = now;
    if (params.op === 'pause') p.status = 'pausing';
    else if (params.op === 'resume') p.status = 'playing';
    else if (params.op === 'seek' && params.pos !== undefined) p.pos = Math.min(Math.max(params.pos, p.from), p.to);
    else if (params.op === 'speed' && params.speed !== undefined) p.speed = params.speed;
    this.encode(p, `${ctx.deviceId} ch${params.channel}`.replace(/[':\\]/g, ''));
  }

  /** QueryVideoStatus: the channel's playback with its position and speed. */
  status(channel: number): QueryVideoStatusResp {
    const p = this.plays.get(channel);
    if (!p) return { status: 'stopped' };
    return { status: p.status, url: p.url, pos: Math.floor(position(p, this.now())), speed: p.speed };
  }

  /** Stop the channel's playback (both FFmpegs). */
  stop(channel: number): void {
    const p = this.plays.get(channel);
    if (!p) return;
    this.plays.delete(channel);
    kill(p.encoder);
    p.encoder = undefined;
    void p.pusher.stdin.end();
    kill(p.pusher);
    p.ended();
  }

  /** Stop every playback. */
  stopAll(): void {
    for (const channel of [...this.plays.keys()]) this.stop(channel);
  }

  private ffmpeg(): string {
    return this.opts.ffmpeg ?? 'ffmpeg';
  }

  /** Replace the encoder by one rendering the playback as it now is, feeding the same pusher. */
  private encode(p: Playback, label: string): void {
    kill(p.encoder);
    const now = this.now();
    const { input, fps } = picture(p, label);
    const remaining = (p.to - p.pos) / p.speed;
    const args = [this.ffmpeg(), '-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', input];
    // A playing recording ends with its range; a paused one waits.
    if (p.status === 'playing') args.push('-t', remaining.toFixed(3));
    args.push(
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-b:v', `${SD_PLAY_KBPS}k`, '-g', String(fps)],
      ...['-output_ts_offset', ((now - p.startedAt) / MS_PER_S).toFixed(3), '-f', 'mpegts', 'pipe:1'],
    );
    const enc = Bun.spawn(diesWithParent(args), { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    p.encoder = enc;
    void this.feed(p, enc);
  }

  /** Copy an encoder's output to the pusher in whole TS packets while it is the playback's encoder; at its natural end, end the push. */
  private async feed(p: Playback, enc: Subprocess<'ignore', 'pipe', 'pipe'>): Promise<void> {
    const sink: FileSink = p.pusher.stdin;
    let rest = new Uint8Array(0);
    try {
      for await (const chunk of enc.stdout) {
        if (p.encoder !== enc) break;
        const all = rest.length ? concat(rest, chunk) : chunk;
        const whole = all.length - (all.length % TS_PACKET_BYTES);
        sink.write(all.subarray(0, whole));
        rest = all.slice(whole);
      }
    } catch {
      // The pusher or the encoder went away: the exit handlers decide.
    }
    const code = await enc.exited;
    if (p.encoder === enc && code === 0 && p.status === 'playing') void sink.end(); // the range is played: the pusher ends, and with it the push
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function kill(proc: Subprocess | undefined): void {
  if (!proc || proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  setTimeout(() => proc.kill('SIGKILL'), FFMPEG_STOP_MS).unref();
}
