/**
 * The node actor: one per cluster node (`node:<NODE_ID>`, docs/cluster.md), told by membership
 * (services/cluster/membership.ts) what becomes of the node: joining (its row was written with a
 * new epoch) → active (it serves) → draining (an admin asked it to leave: Vs no longer gives it, and
 * every DRAIN_BATCH_INTERVAL_MS a batch of its devices is told to Reschedule, H.627.2 9.3.1.2 / I.2.6)
 * → gone (no device is left: the process may stop), or dead (its lease ran out) from any live state.
 * A node that starts again under the same NODE_ID is a new incarnation: `node.joined` with a newer
 * epoch takes the actor back to joining from any state, gone and dead included.
 */
import { assign, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import { nodeEffects } from './node.effects.ts';
import type { NodeContext, NodeEvent, NodeInput } from './node.types.ts';

export type { NodeContext, NodeDrain, NodeEvent, NodeInput } from './node.types.ts';

/**
 * Devices told to Reschedule per batch (platform's choice): 18,000 devices (one node's load in
 * docs/benchmarks.md) leave in 3 minutes, and the other nodes take 100 logins a second, far below
 * what one node takes after a restart.
 */
export const DRAIN_BATCH = 200;
/**
 * Time between two batches; also the wait before the first, so that every node's placement cache
 * (PLACEMENT_CACHE_MS, services/cluster/placement.ts) has seen the node draining before its devices
 * ask Vs where to go.
 */
export const DRAIN_BATCH_INTERVAL_MS = 2_000;

/** The event's time; the initial event has none, and then the state's own start stands. */
const stamp = (context: NodeContext, e: { at?: number }) => e.at ?? context.since;
const enter = (reason: string) => ({ type: 'enter' as const, params: { reason } });

/** What every live state (joining, active, draining) does when its incarnation dies or leaves. */
const ends = {
  'node.dead': { guard: 'sameEpoch', target: 'dead', actions: enter('declared dead: its lease ran out') },
  'node.left': { target: 'gone', actions: enter('left the cluster') },
} as const;

export const nodeMachine = setup({
  types: {} as { context: NodeContext; events: NodeEvent; input: NodeInput },
  delays: { DRAIN_BATCH_INTERVAL: DRAIN_BATCH_INTERVAL_MS },
  guards: {
    /** A join of a later incarnation (an earlier or the same epoch is a stale or repeated message). */
    newerEpoch: ({ context, event }) => event.type === 'node.joined' && event.epoch > context.epoch,
    /** A death of this incarnation (one of an earlier epoch is stale: that one is gone already). */
    sameEpoch: ({ context, event }) => event.type === 'node.dead' && event.epoch === context.epoch,
    noneRemaining: ({ event }) => event.type === 'node.rescheduled' && event.remaining === 0,
  },
  actions: {
    enter: assign(({ context, event }, p: { reason: string }) => ({ since: stamp(context, event), reason: p.reason })),
    incarnate: assign(({ context, event }) =>
      event.type === 'node.joined' ? { epoch: event.epoch, baseUrl: event.baseUrl, joinedAt: stamp(context, event), drain: null } : {},
    ),
    beginDrain: assign(({ context, event }) => ({ drain: { startedAt: stamp(context, event), batches: 0, remaining: null } })),
    countBatch: assign(({ context }) => (context.drain ? { drain: { ...context.drain, batches: context.drain.batches + 1 } } : {})),
    remaining: assign(({ context, event }) =>
      event.type === 'node.rescheduled' && context.drain ? { drain: { ...context.drain, remaining: event.remaining } } : {},
    ),
    /** Effects: params typed by their catalog (node.effects.ts), run by the host after the commit. */
    'node.draining': effect(nodeEffects, 'node.draining'),
    'node.reschedule': effect(nodeEffects, 'node.reschedule'),
    'node.exit': effect(nodeEffects, 'node.exit'),
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({
    epoch: input.epoch,
    baseUrl: input.baseUrl,
    joinedAt: input.at ?? 0,
    since: input.at ?? 0,
    reason: 'joined',
    drain: null,
  }),
  initial: 'joining',
  on: {
    'node.joined': { guard: 'newerEpoch', target: '.joining', reenter: true, actions: ['incarnate', enter('joined again (a new incarnation)')] },
  },
  states: {
    joining: {
      on: {
        'node.started': { target: 'active', actions: enter('started: serving') },
        'node.drain': { target: 'draining', actions: ['beginDrain', enter('asked to drain while joining'), 'node.draining'] },
        ...ends,
      },
    },
    active: {
      on: {
        'node.drain': { target: 'draining', actions: ['beginDrain', enter('asked to drain'), 'node.draining'] },
        ...ends,
      },
    },
    draining: {
      after: {
        DRAIN_BATCH_INTERVAL: { target: 'draining', reenter: true, actions: ['countBatch', { type: 'node.reschedule', params: { batch: DRAIN_BATCH } }] },
      },
      on: {
        'node.rescheduled': [{ guard: 'noneRemaining', target: 'gone', actions: ['remaining', enter('drained: no device is left')] }, { actions: 'remaining' }],
        ...ends,
      },
    },
    gone: { entry: 'node.exit' },
    dead: {},
  },
});

/**
 * The node machine as the host registers it. Gone and dead wait for a new incarnation, which may
 * never come: they leave memory as soon as they are committed.
 */
export const nodeV1: MachineDef = { type: 'node', version: 1, machine: nodeMachine, dormant: ['gone', 'dead'] };
