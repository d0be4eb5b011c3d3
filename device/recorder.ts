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
import type { StartRecordParams, StopRecordParams } from '../protocol/index.ts';
import { VR_SEGMENT_CONTENT_TYPE } from '../protocol/vr.ts';
import type { MediaContext, MediaHooks, MediaResult } from './camera-media.ts';
import { errorText, type DeviceTls, type FetchLike } from './http.ts';
import { FFMPEG_STOP_MS, readSegmentList, type SegmentFile, type Segmenter, spawnSegmenter } from './recorder-ffmpeg.ts';
import { putSegment, type RecorderFaults, type RecorderHttp, type VrAnswer, vrRequest } from './recorder-vr.ts';

export { DEFAULT_SOURCE, FFMPEG_STOP_MS, RECORD_FPS } from './recorder-ffmpeg.ts';
export type { RecorderFaults } from './recorder-vr.ts';

/** Upload attempts of one segment before it is given up with `op=fail` (9.3.4.1.2: "several times"). Simulator's choice. */
export const UPLOAD_ATTEMPTS = 3;
/** Pause between two upload attempts, ms. Simulator's choice. */
export const UPLOAD_RETRY_MS = 300;
/** Attempts of one Vr create before the segment is dropped (and counted in `op=stat`). */
export const CREATE_ATTEMPTS = 3;

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
  /** Whether the camera speaks https (GetCap, NOTES 9): Vr create asks `https=1` only then (default true). */
  https?: boolean;
  /** FFmpeg's lavfi input (default {@link DEFAULT_SOURCE}). */
  source?: string;
  /** The FFmpeg binary (default `ffmpeg` on the PATH). */
  ffmpeg?: string;
  /** Where segments are written while they wait for upload (a temporary directory by default). */
  workDir?: string;
  uploadAttempts?: number;
  uploadRetryMs?: number;
  fetch?: FetchLike;
  /** Initial faults. */
  faults?: Partial<RecorderFaults>;
}

/** One StartRecord session being recorded. */
interface Session {
  params: StartRecordParams;
  ctx: MediaContext;
  dir: string;
  ffmpeg: Segmenter;
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
  private readonly http: RecorderHttp;
  private readonly root: string;

  constructor(private readonly options: RecorderOptions = {}) {
    this.faults = { failUploads: 0, uploadBytesPerS: 0, ...options.faults };
    this.http = { fetch: options.fetch ?? (fetch as FetchLike), ...(options.tls ? { tls: options.tls } : {}) };
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
    const ffmpeg = spawnSegmenter(params, dir, this.options);
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
    s.listed = this.listSegments(s).finally(() => {
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

  /** FFmpeg lists each finished segment: queue it for upload. */
  private listSegments(s: Session): Promise<void> {
    return readSegmentList(s.ffmpeg, s.dir, (seg, file) => {
      s.queue.push(seg);
      this.note(s, 'segment', file);
      // seg_max_count: segments cached while uploads lag; the oldest go first (I.2.14).
      while (s.queue.length > s.params.seg_max_count) this.drop(s, s.queue.shift()!, 'cache full');
      s.wake?.();
    });
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
        https: this.options.https === false ? '0' : '1',
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
      const ok = await putSegment(this.http, this.faults, created.url, bytes);
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

  /** One Vr request of a session. */
  private vr(s: Session, form: Record<string, string>): Promise<VrAnswer> {
    return vrRequest(this.http, s.params.cbk_url, s.ctx.mac, form);
  }

  private note(s: Session, kind: RecorderEvent['kind'], name?: string, detail?: string): void {
    this.events.push({ at: Date.now(), session: s.params.session_id, kind, ...(name ? { name } : {}), ...(detail ? { detail } : {}) });
    if (kind !== 'segment') s.ctx.log(`recording ${kind}${name ? ` ${name}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}
