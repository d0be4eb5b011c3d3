/**
 * The detection runtime: detector workers off the main event loop, a per-node budget in frames/s shared fairly
 * between sources (camera channels, round robin), and per-source queues that drop their oldest frame rather than
 * fall behind (issue 25 point 5). Decisions about *when* to detect live in the detector machine; this only runs
 * frames and counts them.
 */
import { DETECT_NODE_FPS_DEFAULT, DETECT_NODE_FPS_MAX, DETECT_WORKERS_DEFAULT, DETECT_WORKERS_MAX } from '../../lib/config.ts';
import { TokenBucket } from '../../lib/token-bucket.ts';

export { DETECT_NODE_FPS_DEFAULT, DETECT_NODE_FPS_MAX, DETECT_WORKERS_DEFAULT, DETECT_WORKERS_MAX };
import type { FrameInput, FrameResult, WorkerCommand, WorkerReply } from './protocol.ts';

/** Frames a source (camera channel) may have waiting; a new frame past it drops the oldest. */
export const DETECT_QUEUE_PER_SOURCE = 2;
/** Most sources with frames waiting at once; a frame from one more source is dropped at once. */
export const DETECT_SOURCES_MAX = 10_000;
/** Longest a worker may take to load the model before the runtime gives up. */
export const DETECT_LOAD_TIMEOUT_MS = 60_000;

/** What happened to one submitted frame. */
export type Outcome = ({ ok: true } & FrameResult) | { ok: false; reason: 'dropped' | 'failed' | 'stopped'; detail: string };

/** Counters since start (fed to /metrics). */
export interface RuntimeStats {
  framesIn: number;
  detected: number;
  dropped: number;
  failed: number;
  inferMsTotal: number;
  decodeMsTotal: number;
  /** Workers replaced after a crash. */
  restarts: number;
  queued: number;
}

/** Settings of a runtime; every one has a default. */
export interface RuntimeOptions {
  workers?: number;
  budgetFps?: number;
  queuePerSource?: number;
  modelPath?: string;
}

interface Pending {
  frame: FrameInput;
  minScore: number;
  done: (o: Outcome) => void;
}

interface Slot {
  worker: Worker;
  busy?: { id: number; p: Pending };
}

/** Starts the workers (each loads the model once) and resolves when all are ready. */
export async function startDetectionRuntime(opts: RuntimeOptions = {}): Promise<DetectionRuntime> {
  const r = new DetectionRuntime(opts);
  await r.ready;
  return r;
}

/** Runs frames on detector workers under a node budget; see {@link startDetectionRuntime}. */
export class DetectionRuntime {
  readonly ready: Promise<void>;
  readonly budgetFps: number;
  private readonly slots: Slot[] = [];
  private readonly queues = new Map<string, Pending[]>();
  private readonly bucket: TokenBucket;
  private readonly queuePerSource: number;
  private readonly counters: Omit<RuntimeStats, 'queued'> = { framesIn: 0, detected: 0, dropped: 0, failed: 0, inferMsTotal: 0, decodeMsTotal: 0, restarts: 0 };
  private nextId = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly opts: RuntimeOptions = {}) {
    const n = Math.min(DETECT_WORKERS_MAX, Math.max(1, opts.workers ?? DETECT_WORKERS_DEFAULT));
    this.budgetFps = Math.min(DETECT_NODE_FPS_MAX, Math.max(0.1, opts.budgetFps ?? DETECT_NODE_FPS_DEFAULT));
    this.queuePerSource = Math.max(1, opts.queuePerSource ?? DETECT_QUEUE_PER_SOURCE);
    // burst of one frame a worker: a quiet node answers at once, a busy one at the budget's pace
    this.bucket = new TokenBucket({ ratePerS: this.budgetFps, burst: n });
    const loads: Promise<void>[] = [];
    for (let i = 0; i < n; i++) loads.push(this.spawn());
    this.ready = Promise.all(loads).then(() => undefined);
  }

  /** Queues a frame from `source` (e.g. `device:channel`); resolves with its detections or why there are none. */
  submit(source: string, frame: FrameInput, minScore: number): Promise<Outcome> {
    this.counters.framesIn++;
    if (this.stopped) return Promise.resolve({ ok: false, reason: 'stopped', detail: 'detection runtime stopped' });
    return new Promise<Outcome>((done) => {
      let q = this.queues.get(source);
      if (!q) {
        if (this.queues.size >= DETECT_SOURCES_MAX) return this.drop({ frame, minScore, done }, `more than ${DETECT_SOURCES_MAX} sources waiting`);
        q = [];
        this.queues.set(source, q);
      }
      q.push({ frame, minScore, done });
      while (q.length > this.queuePerSource) this.drop(q.shift() as Pending, `queue of ${source} full (${this.queuePerSource}): oldest frame dropped`);
      this.pump();
    });
  }

  /** Counters since start, and frames waiting now. */
  stats(): RuntimeStats {
    let queued = 0;
    for (const q of this.queues.values()) queued += q.length;
    return { ...this.counters, queued };
  }

  /** Stops the workers; waiting frames resolve as stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const q of this.queues.values()) for (const p of q) p.done({ ok: false, reason: 'stopped', detail: 'detection runtime stopped' });
    this.queues.clear();
    for (const s of this.slots) {
      s.busy?.p.done({ ok: false, reason: 'stopped', detail: 'detection runtime stopped' });
      s.worker.terminate();
    }
  }

  private drop(p: Pending, detail: string): void {
    this.counters.dropped++;
    p.done({ ok: false, reason: 'dropped', detail });
  }

  /** Hands frames to idle workers while the budget allows, taking sources in turn (the fair share). */
  private pump(): void {
    if (this.stopped) return;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.queues.entries().next();
      if (next.done) return;
      const wait = this.bucket.waitMs();
      if (wait > 0) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, wait);
        }
        return;
      }
      this.bucket.take();
      const [source, q] = next.value;
      const p = q.shift() as Pending;
      // round robin: the source just served goes to the back of the line (or leaves it when empty)
      this.queues.delete(source);
      if (q.length > 0) this.queues.set(source, q);
      const id = this.nextId++;
      slot.busy = { id, p };
      this.post(slot, { type: 'detect', id, frame: p.frame, minScore: p.minScore });
    }
  }

  private post(slot: Slot, m: WorkerCommand): void {
    slot.worker.postMessage(m);
  }

  private spawn(): Promise<void> {
    const worker = new Worker(new URL('./detector.worker.ts', import.meta.url).href);
    const slot: Slot = { worker };
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`detector model not loaded in ${DETECT_LOAD_TIMEOUT_MS} ms`)), DETECT_LOAD_TIMEOUT_MS);
      worker.onmessage = (e: MessageEvent<WorkerReply>) => {
        const m = e.data;
        if (m.type === 'loaded') {
          clearTimeout(timeout);
          this.slots.push(slot);
          resolve();
          this.pump();
        } else if (m.type === 'load-failed') {
          clearTimeout(timeout);
          worker.terminate();
          reject(new Error(`detector model failed to load: ${m.reason}`));
        } else this.finish(slot, m);
      };
      worker.onerror = (e) => {
        // a crashed worker's frame fails with the reason; the worker is replaced (it loads the model again)
        const busy = slot.busy;
        slot.busy = undefined;
        if (busy) {
          this.counters.failed++;
          busy.p.done({ ok: false, reason: 'failed', detail: `detector worker crashed: ${e.message}` });
        }
        const i = this.slots.indexOf(slot);
        if (i < 0) return;
        this.slots.splice(i, 1);
        worker.terminate();
        this.counters.restarts++;
        if (!this.stopped) this.spawn().catch(() => this.counters.failed++);
      };
      this.post(slot, { type: 'load', modelPath: this.opts.modelPath });
    });
  }

  private finish(slot: Slot, m: Extract<WorkerReply, { id: number }>): void {
    const busy = slot.busy;
    if (!busy || busy.id !== m.id) return;
    slot.busy = undefined;
    if (m.type === 'done') {
      this.counters.detected++;
      this.counters.inferMsTotal += m.inferMs;
      this.counters.decodeMsTotal += m.decodeMs;
      const { type: _t, id: _i, ...result } = m;
      busy.p.done({ ok: true, ...result });
    } else {
      this.counters.failed++;
      busy.p.done({ ok: false, reason: 'failed', detail: m.reason });
    }
    this.pump();
  }
}
