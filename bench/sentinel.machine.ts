/** The recovery benchmark's machine: armed with a deadline timer (like a PU's heartbeat timeout), expired when it fires. */
import { assign, setup } from 'xstate';
import type { MachineDef } from '../actors/host/registry.ts';

export const sentinelMachine = setup({
  types: {} as {
    context: { deadlineMs: number; pings: number };
    events: { type: 'ping' } | { type: 'poke' };
    input: { deadlineMs: number };
  },
  delays: { DEADLINE: ({ context }) => context.deadlineMs },
}).createMachine({
  id: 'sentinel',
  context: ({ input }) => ({ deadlineMs: input.deadlineMs, pings: 0 }),
  initial: 'armed',
  states: {
    armed: { after: { DEADLINE: 'expired' }, on: { poke: { actions: assign({ pings: ({ context }) => context.pings + 1 }) } } },
    expired: { on: { poke: { actions: assign({ pings: ({ context }) => context.pings + 1 }) } } },
  },
});

export const sentinelDef: MachineDef = { type: 'sentinel', version: 1, machine: sentinelMachine };
