/**
 * What the live benchmark's processes share: the pre-encoded sample (one FFmpeg run per benchmark
 * run), the timestamp probe interleaved into the TS (a private PID that no PMT names, so every relay
 * passes it through untouched), SRT url parsing, the clock, and allocation-free delay samples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TS_PACKET_BYTES, TS_SYNC_BYTE } from '../media/mdu/ts.ts';
import { SRT_LIVE_PAYLOAD_BYTES, type SrtKeyLength } from '../media/srt/constants.ts';

/** Bytes of one SRT message: 7 TS packets (srt.h `SRT_LIVE_DEF_PLSIZE`). */
export const MSG_BYTES = SRT_LIVE_PAYLOAD_BYTES;
/** TS packets per SRT message. */
export const MSG_PACKETS = MSG_BYTES / TS_PACKET_BYTES;
/** PID of the probe packets: private, absent from the PMT, so players and the MDU's tracker ignore it. */
export const PROBE_PID = 0x1abc;
/** First payload word of a probe ('h627'), so a stray packet on the PID is not mistaken for one. */
export const PROBE_MAGIC = 0x68363237;
/** Every this many messages one carries a probe (at 2 Mbit/s: 19 probes a second per stream). */
export const PROBE_EVERY_MESSAGES = 10;
/** Seconds of video in the sample the publishers replay in a loop. */
export const SAMPLE_SECONDS = 10;
/** Share of the stream rate given to the H.264 encoder; the muxer pads to the full rate (CBR, `-muxrate`). */
const VIDEO_SHARE = 0.85;
/** Samples of a viewer's first second are ignored: the MDU's keyframe cache replays older packets to a joining viewer. */
export const JOIN_SETTLE_MS = 1_000;
/** SRT latency the generator's sockets ask for (the platform's MDU offers 120 ms, libsrt's default; SRT takes the larger). */
export const DEFAULT_LATENCY_MS = 120;
/** A generator that sends this late was descheduled: the seconds around it measure the machine, not the relay. */
export const GENERATOR_STALL_MS = 20;
/** Probe payload layout (after the 4-byte TS header): magic u32, stream u32, seq u32, tsIndex u32, sentAt f64. */
const PROBE_OFF = { magic: 4, stream: 8, seq: 12, tsIndex: 16, sentAt: 20 } as const;

/** One clock for every thread of the load generator, in ms: workers have their own `performance.timeOrigin`. */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Encode `SAMPLE_SECONDS` of H.264 test pattern as CBR MPEG-TS at `rateKbps` (1 s GOP, 640x360 at 25 fps)
 * into `dir`; returns the file. Run once per benchmark run, so no encoder runs per stream.
 */
export async function encodeSample(dir: string, rateKbps: number): Promise<string> {
  const out = join(dir, `sample-${rateKbps}k.ts`);
  const video = Math.round(rateKbps * VIDEO_SHARE);
  const ff = Bun.spawn(
    [
      'ffmpeg',
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25',
      '-t',
      String(SAMPLE_SECONDS),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-g',
      '25',
      '-b:v',
      `${video}k`,
      '-maxrate',
      `${video}k`,
      '-bufsize',
      `${video}k`,
      '-muxrate',
      `${rateKbps}k`,
      '-f',
      'mpegts',
      out,
    ],
    { stdout: 'ignore', stderr: 'pipe' },
  );
  const code = await ff.exited;
  if (code !== 0) throw new Error(`ffmpeg failed (${code}): ${await new Response(ff.stderr).text()}`);
  return out;
}

/** The sample as whole TS packets (a trailing partial packet is dropped). */
export function loadSample(path: string): Uint8Array {
  const raw = new Uint8Array(readFileSync(path));
  const whole = raw.subarray(0, raw.byteLength - (raw.byteLength % TS_PACKET_BYTES));
  for (let p = 0; p < whole.byteLength; p += TS_PACKET_BYTES) if (whole[p] !== TS_SYNC_BYTE) throw new Error(`${path}: not MPEG-TS at byte ${p}`);
  return whole;
}

/** Write a probe packet at `off` of `view`'s buffer. */
export function writeProbe(view: DataView, off: number, cc: number, stream: number, seq: number, tsIndex: number, sentAtMs: number): void {
  view.setUint8(off, TS_SYNC_BYTE);
  view.setUint8(off + 1, (PROBE_PID >> 8) & 0x1f);
  view.setUint8(off + 2, PROBE_PID & 0xff);
  view.setUint8(off + 3, 0x10 | (cc & 0x0f)); // payload only
  view.setUint32(off + PROBE_OFF.magic, PROBE_MAGIC, true);
  view.setUint32(off + PROBE_OFF.stream, stream, true);
  view.setUint32(off + PROBE_OFF.seq, seq, true);
  view.setUint32(off + PROBE_OFF.tsIndex, tsIndex, true);
  view.setFloat64(off + PROBE_OFF.sentAt, sentAtMs, true);
}

/** Fill the rest of a probe packet with stuffing once (the header and fields are rewritten per probe). */
export function initProbeSlot(buf: Uint8Array, off: number): void {
  buf.fill(0xff, off, off + TS_PACKET_BYTES);
}

/**
 * Reads probes out of received bytes without allocating: `read` returns true for a probe and leaves
 * its fields on the reader.
 */
export class ProbeReader {
  stream = 0;
  seq = 0;
  tsIndex = 0;
  sentAt = 0;
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);

  /** True when the packet at `p` is on the probe PID (cheap test, done per packet). */
  static isProbe(buf: Uint8Array, p: number): boolean {
    return ((((buf[p + 1] as number) & 0x1f) << 8) | (buf[p + 2] as number)) === PROBE_PID;
  }

  /** Decode the probe at `p`; false when its magic is wrong. */
  read(buf: Uint8Array, p: number): boolean {
    if (u32(buf, p + PROBE_OFF.magic) !== PROBE_MAGIC) return false;
    this.stream = u32(buf, p + PROBE_OFF.stream);
    this.seq = u32(buf, p + PROBE_OFF.seq);
    this.tsIndex = u32(buf, p + PROBE_OFF.tsIndex);
    for (let i = 0; i < 8; i++) this.f64Bytes[i] = buf[p + PROBE_OFF.sentAt + i] as number;
    this.sentAt = this.f64[0] as number;
    return true;
  }
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0;
}

/** Where and how an SRT socket connects (from a platform url, or the baseline's ports). */
export interface SrtTarget {
  host: string;
  port: number;
  streamId: string;
  passphrase?: string;
  pbkeylen?: SrtKeyLength;
}

/**
 * Parse `srt://host:port?streamid=#!::r=…,m=…,t=…&passphrase=…&pbkeylen=16` as the platform writes it
 * (the stream id raw, Errata 17: `#` must not be read as a fragment, so no `new URL`).
 */
export function parseSrtUrl(url: string): SrtTarget {
  const m = /^srt:\/\/(\[[^\]]+\]|[^:/?]+):(\d+)\??(.*)$/.exec(url);
  if (!m) throw new Error(`not an srt url: ${url}`);
  const q = new Map<string, string>();
  for (const part of (m[3] ?? '').split('&')) {
    const i = part.indexOf('=');
    if (i > 0) q.set(part.slice(0, i), decodeURIComponent(part.slice(i + 1)));
  }
  const pbkeylen = Number(q.get('pbkeylen') ?? 0);
  return {
    host: (m[1] as string).replace(/^\[|\]$/g, ''),
    port: Number(m[2]),
    streamId: q.get('streamid') ?? '',
    ...(q.get('passphrase') ? { passphrase: q.get('passphrase') as string } : {}),
    ...(pbkeylen === 16 || pbkeylen === 24 || pbkeylen === 32 ? { pbkeylen } : {}),
  };
}

/** Percentiles of a sample set. */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Delay samples in one buffer allocated up front, each tagged with the second of the window it was taken in; samples beyond the capacity are counted, not kept. */
export class SampleSet {
  private readonly buf: Float64Array;
  private readonly second: Uint16Array;
  n = 0;
  overflow = 0;

  constructor(capacity: number) {
    this.buf = new Float64Array(Math.max(1, capacity));
    this.second = new Uint16Array(this.buf.length);
  }

  /** Record one sample taken `sinceStartMs` after the window began. */
  push(v: number, sinceStartMs: number): void {
    if (this.n >= this.buf.length) {
      this.overflow++;
      return;
    }
    this.second[this.n] = Math.max(0, Math.min(0xffff, Math.floor(sinceStartMs / 1000)));
    this.buf[this.n++] = v;
  }

  /** Forget every sample. */
  clear(): void {
    this.n = 0;
    this.overflow = 0;
  }

  /** p50, p99 and max, leaving out samples of the `skip` seconds (allocates: call once per window). */
  summary(skip: ReadonlySet<number> = new Set()): Summary {
    const kept = new Float64Array(this.n);
    let k = 0;
    for (let i = 0; i < this.n; i++) if (!skip.has(this.second[i] as number)) kept[k++] = this.buf[i] as number;
    const s = kept.subarray(0, k).sort();
    const q = (f: number) => (k === 0 ? NaN : (s[Math.min(k - 1, Math.max(0, Math.ceil(f * k) - 1))] as number));
    return { n: k, p50: q(0.5), p99: q(0.99), max: q(1) };
  }
}

/**
 * The seconds to leave out of the "calm" figures: those in which the generator sent late by more
 * than `stallMs` (it was not running, so neither were its receivers), and the second after each.
 */
export function stalledSeconds(worstLag: [number, number][], stallMs: number): Set<number> {
  const out = new Set<number>();
  for (const [t, lag] of worstLag) if (lag > stallMs) out.add(t).add(t + 1);
  return out;
}

/** Worst delay per second of the window, to tell a steady offset from a stall at one moment. */
export class SecondMax {
  private readonly max: Float64Array;

  constructor(seconds: number) {
    this.max = new Float64Array(Math.max(1, seconds)).fill(-Infinity);
  }

  /** Record a delay observed `sinceStartMs` after the window began. */
  push(sinceStartMs: number, v: number): void {
    const i = Math.floor(sinceStartMs / 1000);
    if (i >= 0 && i < this.max.length && v > (this.max[i] as number)) this.max[i] = v;
  }

  clear(): void {
    this.max.fill(-Infinity);
  }

  /** Every second with a value, as `[second, ms]`. */
  all(): [number, number][] {
    return [...this.max].map((v, i) => [i, v] as [number, number]).filter(([, v]) => v > -Infinity);
  }

  /** The `n` worst seconds as `[second, ms]`, worst first. */
  worst(n: number): [number, number][] {
    return [...this.max]
      .map((v, i) => [i, v] as [number, number])
      .filter(([, v]) => v > -Infinity)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  }
}

/**
 * Loss accounting of one viewer over the measured window, from probes: the TS packets the publisher
 * sent between the window's first and last probe seen (their `tsIndex` difference) against the TS
 * packets this viewer received between them (the first probe excluded, the last included).
 */
export class LossWindow {
  firstTs = -1;
  firstRx = 0;
  lastTs = -1;
  lastRx = 0;

  /** A probe sent inside the window arrived as the viewer's `rx`-th TS packet. */
  probe(tsIndex: number, rx: number): void {
    if (this.firstTs < 0) {
      this.firstTs = tsIndex;
      this.firstRx = rx;
    }
    this.lastTs = tsIndex;
    this.lastRx = rx;
  }

  /** Start a new window. */
  reset(): void {
    this.firstTs = this.lastTs = -1;
    this.firstRx = this.lastRx = 0;
  }

  /** TS packets the viewer should have received in the window. */
  expected(): number {
    return this.firstTs < 0 ? 0 : this.lastTs - this.firstTs;
  }

  /** TS packets it did receive. */
  received(): number {
    return this.firstTs < 0 ? 0 : this.lastRx - this.firstRx;
  }
}
