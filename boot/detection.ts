/** The detection service with its runtime, started on first use (docs/detection.md): its workers load the model then. */
import { DetectionService, type DetectionDeps } from '../services/detection/detections.ts';
import { type DetectionRuntime, startDetectionRuntime } from '../services/detection/runtime.ts';

/** The service, and a stop that ends the runtime's workers if they started. */
export function detectionServices(deps: Omit<DetectionDeps, 'runtime'>): DetectionService & { stop(): Promise<void> } {
  let runtime: Promise<DetectionRuntime> | undefined;
  const service = new DetectionService({ ...deps, runtime: () => (runtime ??= startDetectionRuntime()) });
  return Object.assign(service, { stop: async () => (runtime ? (await runtime).stop() : undefined) });
}
