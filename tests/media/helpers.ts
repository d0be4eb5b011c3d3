/**
 * Shared pieces of the media tests: real FFmpeg processes, a recorded H.264 clip, a paced SRT
 * publisher, a continuity checker, and event collection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { Mdu, type MduEvents, type LogLine } from '../../media/mdu/index.ts';
import { SrtCaller, formatStreamId, type CallerOptions, type StreamMode } from '../../media/srt/index.ts';
import { TS_PACKET_BYTES, TS_PID_NULL, tsCc, tsHasPayload, tsPid } from '../../media/mdu/ts.ts';

/** Passphrase used by the happy paths (libsrt wants 10..79 characters). */
export const PASS = 'correct-horse-battery';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'h627-media-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A random token. */
export function token(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/** A stream id with the access-control syntax. */
export function sid(resource: string, mode: StreamMode, t: string, encode = false): string {
  return formatStreamId({ resource, mode, token: t }, encode);
}

/** An `srt://` URL for FFmpeg, the stream id written raw (errata 17). */
export function srtUrl(port: number, streamId: string, passphrase?: string): string {
  const q = [`streamid=${streamId}`];
  if (passphrase) q.push(`passphrase=${passphrase}`, 'pbkeylen=16');
  return `srt://127.0.0.1:${port}?${q.join('&')}`;
}

/** FFmpeg arguments that encode a live H.264 test pattern to MPEG-TS (25 fps, a keyframe per second). */
export function encodeArgs(seconds: number): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=25',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    '25',
    '-b:v',
    '2M',
    '-f',
    'mpegts',
  ];
}

/** Start FFmpeg publishing a live test pattern to `url`. */
export function ffmpegPublish(url: string, seconds: number): Subprocess<'ignore', 'ignore', 'pipe'> {
  return Bun.spawn(['ffmpeg', ...encodeArgs(seconds), url], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
}

/** Pull `url` with FFmpeg for `seconds` of media into `out` (copy, no transcoding). */
export function ffmpegPull(url: string, seconds: number, out: string): Subprocess<'ignore', 'ignore', 'pipe'> {
  return Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-i', url, '-c', 'copy', '-t', String(seconds), '-f', 'mpegts', out], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
}

/** Codec and decoded frame count of the first video stream of a file, by ffprobe. */
export async function probeVideo(path: string): Promise<{ codec: string; frames: number }> {
  const p = Bun.spawn(
    ['ffprobe', '-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', path],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  const json = JSON.parse(await new Response(p.stdout).text()) as { streams?: { codec_name: string; nb_read_frames: string }[] };
  await p.exited;
  const s = json.streams?.[0];
  return { codec: s?.codec_name ?? '', frames: Number(s?.nb_read_frames ?? 0) };
}

/** True when the first video packet of a file is a keyframe (ffprobe flags `K`). */
export async function startsWithKeyframe(path: string): Promise<boolean> {
  const p = Bun.spawn(
    ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'packet=flags', '-of', 'csv=p=0', path],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  const out = (await new Response(p.stdout).text()).trim();
  await p.exited;
  return out.startsWith('K');
}

let clip: Promise<Uint8Array> | null = null;

/** A 6-second H.264 MPEG-TS clip recorded once per test process (for paced publishing and TS tests). */
export function testClip(): Promise<Uint8Array> {
  clip ??= (async () => {
    const { dir, cleanup } = tempDir();
    const out = join(dir, 'clip.ts');
    const args = encodeArgs(6).filter((a) => a !== '-re');
    const p = Bun.spawn(['ffmpeg', ...args, out], { stdout: 'ignore', stderr: 'pipe' });
    if ((await p.exited) !== 0) throw new Error(`ffmpeg: ${await new Response(p.stderr).text()}`);
    const bytes = new Uint8Array(await Bun.file(out).arrayBuffer());
    cleanup();
    return bytes;
  })();
  return clip;
}

/** Callers connected through {@link caller} and not closed yet. */
const openCallers = new Set<SrtCaller>();

/** Connect an SRT caller to the MDU (tracked until it closes: see {@link closeCallers}). */
export async function caller(port: number, streamId: string, extra: Partial<CallerOptions> = {}): Promise<SrtCaller> {
  const c = await SrtCaller.connect({ host: '127.0.0.1', port, streamId, latencyMs: 120, connectTimeoutMs: 3000, ...extra });
  openCallers.add(c);
  void c.closed.then(() => openCallers.delete(c));
  return c;
}

/**
 * Close every caller a test left open (`afterEach(closeCallers)`): a failed test then leaves no
 * libsrt socket, reference or thread behind for the next file of the same `bun test` process.
 */
export async function closeCallers(): Promise<void> {
  await Promise.all([...openCallers].map((c) => c.close()));
}

/**
 * libsrt's default SRTO_PEERIDLETIMEO. libsrt tells the peer of a close with one UMSG_SHUTDOWN packet,
 * and a caller whose receive thread has not yet registered its just-connected socket drops it
 * (libsrt 1.5 `CRcvQueue`: a packet for an id neither in its hash nor a connector is ignored); that
 * peer learns of the close only when this timeout runs out (it hears no keepalive any more).
 */
export const LIBSRT_PEER_IDLE_TIMEOUT_MS = 5000;

/** How long a peer may take to notice that the MDU closed it: its idle timeout plus a generous margin for a loaded machine. */
export const PEER_NOTICE_BOUND_MS = LIBSRT_PEER_IDLE_TIMEOUT_MS + 10_000;

/** Why `c` ended, or 'open' when it has not ended within `timeoutMs` (resolves as soon as it ends). */
export async function closedWithin(c: SrtCaller, timeoutMs = PEER_NOTICE_BOUND_MS): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('open'), timeoutMs)));
  try {
    return await Promise.race([c.closed, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Send `bytes` through `c` at about `bitrateBps`, in 20 ms slices; resolves when sent or `stop()` says so. */
export async function pace(c: SrtCaller, bytes: Uint8Array, bitrateBps: number, stop = () => false): Promise<void> {
  const sliceMs = 20;
  const perSlice = Math.max(1316, Math.floor(((bitrateBps / 8) * (sliceMs / 1000)) / 1316) * 1316);
  const t0 = performance.now();
  for (let o = 0, i = 0; o < bytes.byteLength && !stop(); o += perSlice, i++) {
    c.send(bytes.slice(o, Math.min(o + perSlice, bytes.byteLength)));
    const wait = t0 + (i + 1) * sliceMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
  }
}

/** Checks TS framing and continuity counters per PID across chunks. */
export class TsChecker {
  packets = 0;
  gaps = 0;
  misaligned = 0;
  readonly first: number[] = [];
  private readonly last = new Map<number, number>();

  /** Check one chunk (must be whole packets). */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength % TS_PACKET_BYTES !== 0) this.misaligned++;
    for (let p = 0; p + TS_PACKET_BYTES <= chunk.byteLength; p += TS_PACKET_BYTES) {
      if (chunk[p] !== 0x47) this.misaligned++;
      const pid = tsPid(chunk, p);
      if (this.first.length < 8) this.first.push(pid);
      this.packets++;
      if (pid === TS_PID_NULL || !tsHasPayload(chunk, p)) continue;
      const cc = tsCc(chunk, p);
      const prev = this.last.get(pid);
      if (prev !== undefined && cc !== ((prev + 1) & 0x0f)) this.gaps++;
      this.last.set(pid, cc);
    }
  }
}

/** Every event of an MDU, in order, plus its log lines. */
export function record(mdu: Mdu): { events: { name: keyof MduEvents; e: MduEvents[keyof MduEvents] }[]; stop: () => void } {
  const events: { name: keyof MduEvents; e: MduEvents[keyof MduEvents] }[] = [];
  const names: (keyof MduEvents)[] = ['publish.start', 'publish.end', 'viewer.join', 'viewer.leave', 'rejected'];
  const offs = names.map((name) => mdu.on(name, (e) => events.push({ name, e })));
  return {
    events,
    stop: () => {
      for (const off of offs) off();
    },
  };
}

/** Resolve when `pred()` holds (it may be async), polling; reject after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const t0 = performance.now();
  while (!(await pred())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/**
 * Bound for a hook that starts or stops an MDU or closes callers (bun's default is 5 s): TinyCC
 * compiles acl.c, a Worker starts, libsrt starts or joins its threads; a loaded machine took more than 5 s.
 */
export const MDU_HOOK_TIMEOUT_MS = 30_000;

/** Start an MDU on a free loopback port, logging into `lines`. */
export async function startMdu(opts: Partial<Parameters<typeof Mdu.start>[0]> = {}): Promise<{ mdu: Mdu; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const mdu = await Mdu.start({ port: 0, host: '127.0.0.1', latencyMs: 120, log: (l) => lines.push(l), ...opts });
  return { mdu, lines };
}
