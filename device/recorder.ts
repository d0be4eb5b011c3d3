/**
 * Cloud recording for the simulated camera (H.627.2 9.3.4, I.2.14, I.2.15, I.3; NOTES 14–16):
 * plugged into the camera's media hooks, it records each StartRecord session with FFmpeg into real
 * H.264 MPEG-TS segments of `seg_duration` and runs the Vr cycle for each one: `create` (with the
 * previous segment's `name`, 9.3.4.1.3), PUT to the upload URL, retried a few times before
 * `op=fail` (9.3.4.1.2); on StopRecord the last segment is uploaded and `save`d. Faults can be
 * injected: failing uploads, slow uploads, and a crash (power lost mid-cycle: nothing is confirmed
 * or cancelled, the platform's expiry has to clean up).
 * @example
 * const recorder = new Recorder({ tls: { rejectUnauthorized: false } })
 * const dev = new SimulatedDevice({ ..., media: recorder.hooks })
 * recorder.faults.failUploads = 2 // the next two PUT attempts break off half way
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import type { StartRecordParams, StopRecordParams } from '../protocol/index.ts';
import { MAC_IDENTITY_HEADER } from '../protocol/identity.ts';
import { VR_REQUEST_CONTENT_TYPE, VR_SEGMENT_CONTENT_TYPE } from '../protocol/vr.ts';
import type { MediaContext, MediaHooks, MediaResult } from './camera-media.ts';
import { errorText, HTTP_TIMEOUT_MS, type DeviceTls, type FetchLike } from './http.ts';

/** Upload attempts of one segment before it is given up with `op=fail` (9.3.4.1.2: "several times"). Simulator's choice. */
export const UPLOAD_ATTEMPTS = 3;
/** Pause between two upload attempts, ms. Simulator's choice. */
export const UPLOAD_RETRY_MS = 300;
/** Attempts of one Vr create before the segment is dropped (and counted in `op=stat`). */
export const CREATE_ATTEMPTS = 3;
/** How long StopRecord waits for FFmpeg to write the last segment before killing it, ms. */
export const FFMPEG_STOP_MS = 5_000;
/** Frames per second of the test picture, and so one keyframe per second (segments cut at keyframes). */
export const RECORD_FPS = 25;
/** The default picture: FFmpeg's moving test pattern. */
export const DEFAULT_SOURCE = `testsrc2=size=320x240:rate=${RECORD_FPS}`;

/** Faults to inject; change them at any time. */
export interface RecorderFaults {
  /** The next this many PUT attempts break off half way (the connection "drops"). */
  failUploads: number;
  /** Uploads trickle at this many bytes per second; 0 is full speed. */
  uploadBytesPerS: number;
}

/** What the recorder did, newest last (for tests and logs). */
export interface RecorderEvent {
  at: number;
  session: string;
  kind: 'segment' | 'created' | 'uploaded' | 'upload-failed' | 'confirmed' | 'cancelled' | 'dropped' | 'stat' | 'stopped' | 'crashed' | 'error';
  name?: string;
  detail?: string;
}

/** Options of {@link Recorder}. */
export interface RecorderOptions {
  /** How the Vr and upload requests check the platform's certificate. */
  tls?: DeviceTls;
  /** FFmpeg's lavfi input (default {@link DEFAULT_SOURCE}). */
  source?: string;
  ffmpeg?: string;
  /** Where segments are written while they wait for upload (a temporary directory by default). */
  workDir?: string;
  uploadAttempts?: number;
  uploadRetryMs?: number;
  fetch?: FetchLike;
  /** Initial faults. */
  faults?: Partial<RecorderFaults>;
}

/** A finished segment file as FFmpeg's segment list reports it. */
interface SegmentFile {
  file: string;
  /** Seconds from the session's start. */
  offset: number;
  duration: number;
}

/** One StartRecord session being recorded. */
interface Session {
  params: StartRecordParams;
  ctx: MediaContext;
  dir: string;
  ffmpeg: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Device time of the stream's start, seconds since the epoch. */
  base: number;
  queue: SegmentFile[];
  /** The last uploaded segment, not confirmed yet: the next create confirms it. */
  pending?: string;
  /** The first segment of a session does not continue anything: `discontinue=1`. */
  first: boolean;
  dropped: { nb: number; time: number };
  stopping: boolean;
  dead: boolean;
  /** Settles once FFmpeg's segment list is read to its end. */
  listed: Promise<void>;
  worker: Promise<void>;
  wake?: () => void;
}

/** Records StartRecord sessions with FFmpeg and uploads them over Vr; `hooks` plug into the camera. */
export class Recorder {
  readonly hooks: MediaHooks;
  readonly faults: RecorderFaults;
  readonly events: RecorderEvent[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly fetchImpl: FetchLike;
  private readonly root: string;

  constructor(private readonly options: RecorderOptions = {}) {
    this.faults = { failUploads: 0, uploadBytesPerS: 0, ...options.faults };
    this.fetchImpl = options.fetch ?? (fetch as FetchLike);
    this.root = options.workDir ?? mkdtempSync(join(tmpdir(), 'h627-recorder-'));
    this.hooks = {
      onStartRecord: (params, ctx) => this.start(params, ctx),
      onStopRecord: (params) => this.stop(params),
    };
  }

  /** Sessions being recorded now. */
  get active(): string[] {
    return [...this.sessions.keys()];
  }

  /** The camera loses power mid-cycle: FFmpeg dies, nothing more is sent (no save, no fail). */
  crash(): void {
    for (const s of this.sessions.values()) {
      s.dead = true;
      s.ffmpeg.kill('SIGKILL');
      s.wake?.();
      this.note(s, 'crashed');
      s.ctx.ended();
    }
    this.sessions.clear();
  }

  /** Wait until every session's uploads are done (after StopRecord). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.sessions.size > 0) {
      if (Date.now() > end) throw new Error('recorder still busy');
      await Bun.sleep(50);
    }
  }

  private async start(params: StartRecordParams, ctx: MediaContext): Promise<MediaResult> {
    const dir = mkdtempSync(join(this.root, `${params.session_id.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
    const ffmpeg = Bun.spawn(
      [
        this.options.ffmpeg ?? 'ffmpeg',
        '-nostdin',
        '-v',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        this.options.source ?? DEFAULT_SOURCE,
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
      ],
      { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
    );
    // start_ts ≤ 0: the device clock (NOTES 16).
    const base = params.start_ts > 0 ? params.start_ts : ctx.now() / 1000;
    const s: Session = {
      params,
      ctx,
      dir,
      ffmpeg,
      base,
      queue: [],
      first: true,
      dropped: { nb: 0, time: 0 },
      stopping: false,
      dead: false,
      listed: Promise.resolve(),
      worker: Promise.resolve(),
    };
    this.sessions.set(params.session_id, s);
    let listed = false;
    s.listed = this.readSegmentList(s).finally(() => {
      listed = true;
      s.wake?.();
    });
    void ffmpeg.exited.then((code) => {
      if (!s.stopping && !s.dead) {
        this.note(s, 'error', undefined, `ffmpeg exited (${code})`);
        s.stopping = true;
        s.ctx.ended();
        s.wake?.();
      }
    });
    s.worker = this.work(s, () => listed);
    ctx.log(`recording session ${params.session_id}: ${params.seg_duration} s segments to ${new URL(params.cbk_url).host}`);
    return {};
  }

  private async stop(params: StopRecordParams): Promise<MediaResult> {
    const s = this.sessions.get(params.session_id);
    if (!s || s.stopping) return {};
    s.stopping = true;
    // 'q' is not read (-nostdin); SIGINT makes FFmpeg close the current segment and list it.
    s.ffmpeg.kill('SIGINT');
    const timer = setTimeout(() => s.ffmpeg.kill('SIGKILL'), FFMPEG_STOP_MS);
    void s.ffmpeg.exited.then(() => {
      clearTimeout(timer);
      s.wake?.();
    });
    return {};
  }

  /** FFmpeg lists each finished segment as `file,start,end` on stdout. */
  private async readSegmentList(s: Session): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of s.ffmpeg.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const [file, start, end] = buf.slice(0, i).trim().split(',');
        buf = buf.slice(i + 1);
        if (!file || start === undefined || end === undefined) continue;
        s.queue.push({ file: join(s.dir, file), offset: Number(start), duration: Number(end) - Number(start) });
        this.note(s, 'segment', file);
        // seg_max_count: segments cached while uploads lag; the oldest go first (I.2.14).
        while (s.queue.length > s.params.seg_max_count) this.drop(s, s.queue.shift()!, 'cache full');
        s.wake?.();
      }
    }
  }

  /** The upload loop of a session: one segment at a time, in order. */
  private async work(s: Session, listed: () => boolean): Promise<void> {
    try {
      for (;;) {
        const seg = s.queue.shift();
        if (s.dead) return;
        if (seg) {
          await this.cycle(s, seg);
          continue;
        }
        if (s.stopping && listed() && s.queue.length === 0) break;
        await new Promise<void>((resolve) => {
          s.wake = resolve;
          setTimeout(resolve, 500);
        });
      }
      if (s.pending) await this.confirmLast(s);
      if (s.dropped.nb > 0) await this.stat(s);
      this.note(s, 'stopped');
    } catch (err) {
      this.note(s, 'error', undefined, errorText(err));
    } finally {
      if (!s.dead) this.sessions.delete(s.params.session_id);
      rmSync(s.dir, { recursive: true, force: true });
    }
  }

  /** create (confirming the previous segment) → PUT (retried) → or fail. */
  private async cycle(s: Session, seg: SegmentFile): Promise<void> {
    const size = statSync(seg.file).size;
    if (size > s.params.seg_max_size) return this.drop(s, seg, `${size} bytes is over seg_max_size`);
    let created: { name: string; url: string } | undefined;
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS && !created && !s.dead; attempt++) {
      const r = await this.vr(s, {
        op: 'create',
        content_type: VR_SEGMENT_CONTENT_TYPE,
        size: String(size),
        start: (s.base + seg.offset).toFixed(6),
        duration: seg.duration.toFixed(6),
        discontinue: s.first ? '1' : '0',
        https: '1',
        ...(s.pending ? { name: s.pending } : {}),
      });
      if (r.ok) {
        if (s.pending) this.note(s, 'confirmed', s.pending);
        s.pending = undefined;
        created = { name: String(r.body.name), url: String(r.body.url ?? r.body.uri) };
      } else if (s.pending && (r.status === 404 || r.status === 410)) {
        this.note(s, 'error', s.pending, `previous segment refused: ${r.info}`);
        s.pending = undefined; // it is gone on the platform: create without it
      } else if (attempt < CREATE_ATTEMPTS) await Bun.sleep(UPLOAD_RETRY_MS);
    }
    if (s.dead) return;
    if (!created) return this.drop(s, seg, 'create refused');
    this.note(s, 'created', created.name);
    s.first = false;
    const bytes = new Uint8Array(readFileSync(seg.file));
    rmSync(seg.file, { force: true });
    const attempts = this.options.uploadAttempts ?? UPLOAD_ATTEMPTS;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (s.dead) return;
      const ok = await this.upload(created.url, bytes);
      if (s.dead) return;
      if (ok === true) {
        this.note(s, 'uploaded', created.name, `attempt ${attempt}`);
        s.pending = created.name;
        return;
      }
      this.note(s, 'upload-failed', created.name, `attempt ${attempt}: ${ok}`);
      if (attempt < attempts) await Bun.sleep(this.options.uploadRetryMs ?? UPLOAD_RETRY_MS);
    }
    // 9.3.4.1.2: the upload finally failed: tell the platform, which cleans up.
    const f = await this.vr(s, { op: 'fail', name: created.name });
    this.note(s, 'cancelled', created.name, f.ok ? undefined : f.info);
  }

  /** The last segment has no next create to confirm it: save. */
  private async confirmLast(s: Session): Promise<void> {
    const name = s.pending!;
    const r = await this.vr(s, { op: 'save', name });
    if (r.ok) this.note(s, 'confirmed', name);
    else this.note(s, 'error', name, `save refused: ${r.info}`);
    s.pending = undefined;
  }

  private async stat(s: Session): Promise<void> {
    const r = await this.vr(s, { op: 'stat', dropped_nb: String(s.dropped.nb), dropped_time: s.dropped.time.toFixed(3) });
    this.note(s, 'stat', undefined, r.ok ? `${s.dropped.nb} dropped` : r.info);
  }

  private drop(s: Session, seg: SegmentFile, why: string): void {
    rmSync(seg.file, { force: true });
    s.dropped.nb++;
    s.dropped.time += seg.duration;
    this.note(s, 'dropped', undefined, why);
  }

  /** PUT a segment; true, or why it failed. Faults apply here. */
  private async upload(url: string, bytes: Uint8Array<ArrayBuffer>): Promise<true | string> {
    const breakOff = this.faults.failUploads > 0;
    if (breakOff) this.faults.failUploads--;
    const rate = this.faults.uploadBytesPerS;
    const headers: Record<string, string> = { 'Content-Type': VR_SEGMENT_CONTENT_TYPE };
    let body: BodyInit = bytes;
    if (breakOff || rate > 0) {
      // A streamed body (chunked): half of it then an error, or all of it at `rate`.
      const chunk = 16 * 1024;
      let off = 0;
      body = new ReadableStream<Uint8Array>({
        async pull(ctl) {
          if (breakOff && off >= bytes.length / 2) return ctl.error(new Error('connection dropped (injected)'));
          if (off >= bytes.length) return ctl.close();
          if (rate > 0) await Bun.sleep((chunk / rate) * 1000);
          ctl.enqueue(bytes.subarray(off, off + chunk));
          off += chunk;
        },
      });
    } else headers['Content-Length'] = String(bytes.length);
    try {
      const res = await this.fetchImpl(url, {
        method: 'PUT',
        body,
        headers,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS + bytes.length / Math.max(rate, 1)),
        ...this.tls(),
      });
      const text = await res.text();
      return res.ok ? true : `HTTP ${res.status} ${text}`;
    } catch (err) {
      return errorText(err);
    }
  }

  /** One Vr request (form-urlencoded, `Mac-Identity`, NOTES 14, 16). */
  private async vr(s: Session, form: Record<string, string>): Promise<{ ok: boolean; status: number; body: Record<string, unknown>; info: string }> {
    try {
      const res = await this.fetchImpl(s.params.cbk_url, {
        method: 'POST',
        body: new URLSearchParams(form).toString(),
        headers: { 'Content-Type': VR_REQUEST_CONTENT_TYPE, [MAC_IDENTITY_HEADER]: s.ctx.mac },
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        ...this.tls(),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = {};
      }
      return { ok: res.ok, status: res.status, body, info: typeof body.info === 'string' ? body.info : `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, status: 0, body: {}, info: errorText(err) };
    }
  }

  private tls(): { tls?: DeviceTls } {
    return this.options.tls ? { tls: this.options.tls } : {};
  }

  private note(s: Session, kind: RecorderEvent['kind'], name?: string, detail?: string): void {
    this.events.push({ at: Date.now(), session: s.params.session_id, kind, ...(name ? { name } : {}), ...(detail ? { detail } : {}) });
    if (kind !== 'segment') s.ctx.log(`recording ${kind}${name ? ` ${name}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}
