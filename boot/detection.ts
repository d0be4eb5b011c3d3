/**
 * The detection service with its runtime, started on first use (docs/detection.md): its workers load the model then.
 * `/metrics` shows the runtime's frames in, detected, dropped and failed, and inference time (issue 25 point 5).
 */
import type { Metrics } from '../lib/metrics.ts';
import type { Devices } from '../services/devices/devices.ts';
import { DetectionService, type DetectionDeps } from '../services/detection/detections.ts';
import { type DetectionRuntime, type RuntimeOptions, type RuntimeStats, startDetectionRuntime } from '../services/detection/runtime.ts';

/** Milliseconds per second. */
const MS_PER_S = 1000;

/** The runtime's counters as Prometheus counters, read at scrape time. */
function detectionMetrics(metrics: Pick<Metrics, 'registry' | 'client'>, stats: () => RuntimeStats | undefined): void {
  const counter = (name: string, help: string, read: (s: RuntimeStats) => number) => {
    let seen = 0;
    new metrics.client.Counter({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        const s = stats();
        if (!s) return;
        const now = read(s);
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
  counter('h627_detect_frames_in_total', 'Frames submitted to the detection runtime', (s) => s.framesIn);
  counter('h627_detect_frames_detected_total', 'Frames the model ran on', (s) => s.detected);
  counter('h627_detect_frames_dropped_total', "Frames dropped: a camera's queue was full (oldest first) or too many cameras waited", (s) => s.dropped);
  counter('h627_detect_frames_failed_total', 'Frames that failed (undecodable picture, worker crash)', (s) => s.failed);
  counter('h627_detect_inference_seconds_total', 'Time spent in the model (divide by frames detected for the mean)', (s) => s.inferMsTotal / MS_PER_S);
  new metrics.client.Gauge({
    name: 'h627_detect_frames_queued',
    help: 'Frames waiting for a detector worker',
    registers: [metrics.registry],
    collect() {
      this.set(stats()?.queued ?? 0);
    },
  });
}

/** How often detection events past DETECTIONS_RETENTION_DAYS are deleted. */
export const DETECTIONS_PRUNE_INTERVAL_MS = 3600_000;
/** Milliseconds per day. */
const MS_PER_DAY = 86_400_000;

/**
 * The service, pruning detection events past their retention every DETECTIONS_PRUNE_INTERVAL_MS, forgetting a
 * deprovisioned device's detectors and events, and a stop that ends the pruning and the runtime's workers if they started.
 */
export function detectionServices(
  deps: Omit<DetectionDeps, 'runtime' | 'devices'> & {
    devices: DetectionDeps['devices'] & Pick<Devices, 'deprovisioners'>;
    metrics?: Pick<Metrics, 'registry' | 'client'>;
    cfg?: { detection: RuntimeOptions; detectionsRetentionMs?: number };
  },
): DetectionService & { stop(): Promise<void> } {
  let runtime: Promise<DetectionRuntime> | undefined;
  let started: DetectionRuntime | undefined;
  const start = () => {
    // a runtime that could not start is tried again at the next run (its reason fails this one)
    runtime ??= startDetectionRuntime(deps.cfg?.detection).then(
      (r) => (started = r),
      (err: unknown) => {
        runtime = undefined;
        throw err;
      },
    );
    return runtime;
  };
  if (deps.metrics) detectionMetrics(deps.metrics, () => started?.stats());
  const service = new DetectionService({ ...deps, runtime: start });
  deps.devices.deprovisioners.push((deviceId) =>
    service.forgetDevice(deviceId).then((n) => n > 0 && deps.log.info({ device: deviceId, rows: n }, 'detection events of a deprovisioned device deleted')),
  );
  const retentionMs = deps.cfg?.detectionsRetentionMs;
  const prune = () =>
    retentionMs &&
    service.prune(Date.now() - retentionMs).then(
      (n) => n > 0 && deps.log.info({ rows: n, days: retentionMs / MS_PER_DAY }, 'old detection events pruned'),
      (err) => deps.log.warn({ err: String(err) }, 'pruning of detection events failed'),
    );
  const pruning = retentionMs ? setInterval(prune, DETECTIONS_PRUNE_INTERVAL_MS) : undefined;
  return Object.assign(service, {
    stop: async () => {
      clearInterval(pruning);
      service.feeds.stopAll();
      if (runtime) await (await runtime).stop();
    },
  });
}
