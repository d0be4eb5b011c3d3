/**
 * `bun run bench detection`: frames per second through the platform's detection runtime (JPEG decode in the
 * worker, inference, boxes mapped back; one worker a core, the node budget lifted) against the bare model's
 * rate in the same process and run (decoded frames, inference only), on Debian darknet's person.jpg.
 * Goal (issue 25): the runtime at least 0.8× the bare model per core.
 * Still to add (issue 25): cameras at 1 frame/s one node watches, and alarm → detection event p50/p99
 * with the simulator (goal p99 under 2 s).
 *
 * Options: --seconds 10 --workers 1
 */
import { decodeToModelFrame } from '../services/detection/frames.ts';
import { loadModel } from '../services/detection/model.ts';
import { DETECT_NODE_FPS_MAX, startDetectionRuntime } from '../services/detection/runtime.ts';
import { machineNote, parseArgs, table } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const SECONDS = Number(args.seconds ?? 10);
const WORKERS = Number(args.workers ?? 1);
/** Frames before the clock starts (the first inference compiles kernels). */
const WARMUP_FRAMES = 2;
/** The goal of issue 25: the runtime's rate against the bare model's. */
const GOAL_RATIO = 0.8;
/** Lowest detection score reported. */
const MIN_SCORE = 0.3;
const PHOTO = '/usr/share/darknet/data/person.jpg';

const jpeg = new Uint8Array(await Bun.file(PHOTO).arrayBuffer());

async function bareRate(): Promise<number> {
  const model = await loadModel();
  const frame = await decodeToModelFrame(jpeg);
  for (let i = 0; i < WARMUP_FRAMES; i++) await model.detect(frame.rgb, MIN_SCORE);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await model.detect(frame.rgb, MIN_SCORE);
    n++;
  }
  model.dispose();
  return n / ((performance.now() - t0) / 1000);
}

async function runtimeRate(): Promise<number> {
  const rt = await startDetectionRuntime({ workers: WORKERS, budgetFps: DETECT_NODE_FPS_MAX });
  for (let i = 0; i < WARMUP_FRAMES * WORKERS; i++) await rt.submit(`warm:${i}`, { kind: 'jpeg', bytes: jpeg }, MIN_SCORE);
  let n = 0;
  const t0 = performance.now();
  // one closed loop a worker, each its own camera
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      while (performance.now() - t0 < SECONDS * 1000) {
        const o = await rt.submit(`cam:${w}`, { kind: 'jpeg', bytes: jpeg }, MIN_SCORE);
        if (o.ok) n++;
      }
    }),
  );
  const rate = n / ((performance.now() - t0) / 1000);
  await rt.stop();
  return rate;
}

const bare = await bareRate();
const through = await runtimeRate();
console.log(machineNote());
console.log(
  table([
    { path: 'bare model (decoded frame, inference + NMS)', 'frames/s': bare.toFixed(2), 'per core': bare.toFixed(2) },
    { path: `runtime (JPEG in, ${WORKERS} worker(s))`, 'frames/s': through.toFixed(2), 'per core': (through / WORKERS).toFixed(2) },
  ]),
);
const ratio = through / WORKERS / bare;
console.log(`runtime / bare per core: ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}) ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'}`);
