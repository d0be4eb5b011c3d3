/** The benchmark's machine: shaped like a device actor (a few states, a context that changes on every event). */
import { assign, setup } from 'xstate';
import type { MachineDef } from '../actors/host/registry.ts';

export const counterMachine = setup({
  types: {} as {
    context: { deviceId: string; n: number; last: string; channels: Array<{ channel: number; state: number }> };
    events: { type: 'tick'; note: string } | { type: 'toggle' };
    input: { deviceId: string };
  },
}).createMachine({
  id: 'counter',
  context: ({ input }) => ({ deviceId: input.deviceId, n: 0, last: '', channels: [{ channel: 0, state: 1 }] }),
  initial: 'idle',
  states: {
    idle: { on: { toggle: 'active', tick: { actions: assign({ n: ({ context }) => context.n + 1, last: ({ event }) => event.note }) } } },
    active: { on: { toggle: 'idle', tick: { actions: assign({ n: ({ context }) => context.n + 1, last: ({ event }) => event.note }) } } },
  },
});

export const counterDef: MachineDef = { type: 'counter', version: 1, machine: counterMachine };
