/** Every machine version the platform runs (old versions stay while actors persisted on them live). */
import type { MachineDef } from './registry.ts';
import { puV1 } from './pu.machine.ts';

/** The registry contents of the platform. */
export const MACHINES: readonly MachineDef[] = [puV1];
