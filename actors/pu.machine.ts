/**
 * The pu actor: one per provisioned device (premises unit). This first version holds the
 * provisioning lifecycle; the signalling states (scheduled, online, offline, …) build on it.
 */
import { assign, setup } from 'xstate';
import type { MachineDef } from './registry.ts';

/** What a pu actor is created with (no secrets: credentials stay in the devices table). */
export interface PuInput {
  deviceId: string;
  macId: string;
  channels: number[];
}

/** The pu actor's context. */
export interface PuContext extends PuInput {
  provisionedAt?: number;
}

/** Events of the pu actor. */
export type PuEvent =
  | { type: 'device.deprovisioned' }
  | { type: 'device.provisioned'; macId: string; channels: number[] };

/** Actor id of a device's pu actor. */
export function puActorId(deviceId: string): string {
  return `pu:${deviceId}`;
}

export const puMachine = setup({
  types: {} as { context: PuContext; events: PuEvent; input: PuInput },
}).createMachine({
  id: 'pu',
  context: ({ input }) => ({ deviceId: input.deviceId, macId: input.macId, channels: input.channels }),
  initial: 'provisioned',
  states: {
    provisioned: { on: { 'device.deprovisioned': 'deprovisioned' } },
    // Not final: a device provisioned again under the same id continues its history.
    deprovisioned: {
      on: {
        'device.provisioned': {
          target: 'provisioned',
          actions: assign({ macId: ({ event }) => event.macId, channels: ({ event }) => event.channels }),
        },
      },
    },
  },
});

/** The pu machine as the host registers it. */
export const puV1: MachineDef = { type: 'pu', version: 1, machine: puMachine };
