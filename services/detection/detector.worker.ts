/**
 * A detector worker: loads the model once, then answers one frame at a time (decode, infer, map boxes).
 * Runs in a Bun Worker so inference (~200 ms a frame) never blocks the platform's event loop.
 */
import { decodeToModelFrame, toPicture } from './frames.ts';
import { loadModel, type Model } from './model.ts';
import type { FrameInput, WorkerCommand, WorkerReply } from './protocol.ts';

declare const self: Worker;

let model: Model | undefined;
const reply = (m: WorkerReply) => self.postMessage(m);

async function detect(id: number, frame: FrameInput, minScore: number): Promise<void> {
  if (!model) return reply({ type: 'failed', id, reason: 'model not loaded' });
  const t0 = performance.now();
  const f = frame.kind === 'jpeg' ? await decodeToModelFrame(frame.bytes) : { rgb: frame.bytes, width: frame.width, height: frame.height };
  const t1 = performance.now();
  const found = await model.detect(f.rgb, minScore);
  const t2 = performance.now();
  reply({ type: 'done', id, detections: toPicture(found, f.width, f.height), width: f.width, height: f.height, decodeMs: t1 - t0, inferMs: t2 - t1 });
}

self.onmessage = async (e: MessageEvent<WorkerCommand>) => {
  const m = e.data;
  if (m.type === 'load') {
    const t0 = performance.now();
    try {
      model = await loadModel(m.modelPath);
      reply({ type: 'loaded', loadMs: performance.now() - t0 });
    } catch (err) {
      reply({ type: 'load-failed', reason: String((err as Error)?.message ?? err) });
    }
  } else if (m.type === 'detect') {
    try {
      await detect(m.id, m.frame, m.minScore);
    } catch (err) {
      reply({ type: 'failed', id: m.id, reason: String((err as Error)?.message ?? err) });
    }
  } else {
    model?.dispose();
    process.exit(0);
  }
};
