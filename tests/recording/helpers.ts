/**
 * Helpers of the recording tests: a platform with users and cameras, a simulated camera whose
 * recording hook only records what StartRecord asked (the test then plays the PU's Vr side by
 * hand), a Vr client, and real H.264 MPEG-TS segments made by FFmpeg.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SimulatedDevice, type MediaHooks, type MediaResult } from '../../device/index.ts';
import type { StartRecordParams, StopRecordParams } from '../../protocol/index.ts';
import { INSECURE, type TestPlatform } from '../helpers/platform.ts';
export { userToken } from '../helpers/platform.ts';

/** The password every test camera uses. */
export const CAM_PASSWORD = 'camera-password';

/** Poll `f` until `ok`, or fail with what it last returned. */
export async function until<T>(f: () => Promise<T> | T, ok: (v: T) => boolean, ms = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms: ${JSON.stringify(v).slice(0, 800)}`);
    await Bun.sleep(50);
  }
}

/** What a capturing recording hook saw, and how it answers. */
export interface RecordCapture {
  hooks: MediaHooks;
  starts: StartRecordParams[];
  stops: StopRecordParams[];
  /** The answer StartRecord gives next (default `{}`). */
  startAnswer: MediaResult;
}

/** A recording hook that answers StartRecord/StopRecord and remembers their params. */
export function captureRecording(): RecordCapture {
  const c: RecordCapture = {
    starts: [],
    stops: [],
    startAnswer: {},
    hooks: {
      onStartRecord: async (params) => {
        c.starts.push(params);
        return c.startAnswer;
      },
      onStopRecord: async (params) => {
        c.stops.push(params);
        return {};
      },
    },
  };
  return c;
}

/** A camera provisioned on the platform, bound to `owner`, and online through the simulator. */
export interface TestCam {
  id: string;
  mac: string;
  dev: SimulatedDevice;
}

/** Provision a camera, start it with `media` hooks, wait until it is online, and bind it to the user of `ownerToken`. */
export async function onlineCam(
  p: TestPlatform,
  id: string,
  mac: string,
  media: MediaHooks,
  ownerToken?: string,
  channels = 1,
  hbOverrideS?: number,
): Promise<TestCam> {
  const prov = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: id, password: CAM_PASSWORD, mac_id: mac, channels: Array.from({ length: channels }, (_, i) => i) }),
  });
  if (prov.status !== 201) throw new Error(`provisioning ${id} failed: ${prov.status} ${await prov.text()}`);
  const dev = new SimulatedDevice({
    server: p.url,
    id,
    password: CAM_PASSWORD,
    mac,
    channels,
    tls: { rejectUnauthorized: false },
    media,
    bootMs: 300,
    ...(hbOverrideS ? { hbOverrideS } : {}),
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
  if (ownerToken) {
    const code = (await (await p.api('/api/bind-codes', { method: 'POST', token: ownerToken })).json()).bind_code;
    await dev.bind(code);
    await until(
      async () => (await p.api(`/api/devices/${id}`, { token: ownerToken })).status,
      (s) => s === 200,
      10_000,
      `${id} bound`,
    );
  }
  return { id, mac, dev };
}

/** A Vr reply. */
export interface VrReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** The PU side of Vr for one channel (`cbk_url`), by hand. */
export class VrClient {
  constructor(
    readonly cbkUrl: string,
    readonly mac: string | undefined,
  ) {}

  /** POST a form (a string is sent as is). */
  async post(form: string | Record<string, string | number>, headers: Record<string, string> = {}): Promise<VrReply> {
    const body = typeof form === 'string' ? form : new URLSearchParams(Object.entries(form).map(([k, v]) => [k, String(v)])).toString();
    const h: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', ...headers };
    if (this.mac !== undefined && !('Mac-Identity' in headers)) h['Mac-Identity'] = this.mac;
    const r = await fetch(this.cbkUrl, { method: 'POST', body, headers: h, ...INSECURE } as RequestInit);
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : {} };
  }

  /** op=create, optionally confirming `prev`. */
  create(seg: { size: number; start: number; duration: number; discontinue?: 0 | 1 }, prev?: string): Promise<VrReply> {
    return this.post({
      op: 'create',
      content_type: 'video/mp2t',
      size: seg.size,
      start: seg.start.toFixed(6),
      duration: seg.duration.toFixed(6),
      discontinue: seg.discontinue ?? 0,
      https: 1,
      ...(prev ? { name: prev } : {}),
    });
  }

  save(name: string): Promise<VrReply> {
    return this.post({ op: 'save', name });
  }

  fail(name: string): Promise<VrReply> {
    return this.post({ op: 'fail', name });
  }
}

/** PUT bytes to an upload URL (the platform's or the store's); returns the status and the parsed body. */
export async function put(
  url: string,
  bytes: Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'video/mp2t', ...headers }, ...INSECURE } as RequestInit);
  const text = await r.text();
  // The platform answers JSON; an S3 store's errors are XML (kept whole as `xml`).
  return { status: r.status, body: !text ? {} : text.startsWith('<') ? { xml: text } : JSON.parse(text) };
}

/** A recorded segment: its bytes and its place in the stream. */
export interface Segment {
  bytes: Uint8Array<ArrayBuffer>;
  /** Seconds from the stream's start. */
  offset: number;
  duration: number;
}

/**
 * `count` consecutive H.264 MPEG-TS segments of `seconds` each, cut from one FFmpeg stream (as a
 * camera records: continuous timestamps across segments).
 */
export async function makeSegments(count: number, seconds: number, size = '320x240'): Promise<Segment[]> {
  const dir = mkdtempSync(join(tmpdir(), 'h627-segs-'));
  try {
    const proc = Bun.spawn(
      [
        'ffmpeg',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${size}:rate=25`,
        '-t',
        String(count * seconds),
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '25',
        '-keyint_min',
        '25',
        '-sc_threshold',
        '0',
        '-pix_fmt',
        'yuv420p',
        '-f',
        'segment',
        '-segment_time',
        String(seconds),
        '-segment_format',
        'mpegts',
        '-segment_list',
        join(dir, 'list.csv'),
        '-segment_list_type',
        'csv',
        join(dir, 'seg%03d.ts'),
      ],
      { stderr: 'pipe' },
    );
    if ((await proc.exited) !== 0) throw new Error(`ffmpeg failed: ${await new Response(proc.stderr).text()}`);
    return readFileSync(join(dir, 'list.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [file, start, end] = line.split(',');
        return { bytes: new Uint8Array(readFileSync(join(dir, file!))), offset: Number(start), duration: Number(end) - Number(start) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run a command; its exit code, stdout and stderr. */
export async function run(cmd: string[], stdin?: Uint8Array): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { stdin: stdin ?? 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Every file under a platform's segment storage ($DATA_DIR/cs), as relative paths. */
export function csFiles(dataDir: string): string[] {
  const root = join(dataDir, 'cs');
  try {
    return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((d) => d.isFile())
      .map((d) => relative(root, join(d.parentPath, d.name)))
      .sort();
  } catch {
    return [];
  }
}

/** Decode a playlist or file with FFmpeg: frames decoded, and the error lines it printed. */
export async function decode(input: string, extra: string[] = []): Promise<{ code: number; frames: number; errors: string[] }> {
  const r = await run(['ffmpeg', '-nostdin', '-v', 'error', '-stats', ...extra, '-i', input, '-map', '0:v', '-f', 'null', '-']);
  const frames = [...r.stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1])).at(-1) ?? 0;
  const errors = r.stderr.split(/[\r\n]+/).filter((l) => l.trim() && !/^frame=/.test(l.trim()));
  return { code: r.code, frames, errors };
}
