/** Every machine version the platform runs (old versions stay while actors persisted on them live). */
import type { MachineDef } from '../host/registry.ts';
import { detectorV1 } from './detector.machine.ts';
import { mqttV1 } from './mqtt.machine.ts';
import { nodeV1 } from './node.machine.ts';
import { puV1 } from './pu.machine.ts';
import { recordingV1 } from './recording.machine.ts';
import { sdPlayV1 } from './sdplay.machine.ts';
import { segmentV1 } from './segment.machine.ts';
import { streamV1 } from './stream.machine.ts';

/** The registry contents of the platform. */
export const MACHINES: readonly MachineDef[] = [puV1, streamV1, sdPlayV1, recordingV1, segmentV1, nodeV1, mqttV1, detectorV1];
