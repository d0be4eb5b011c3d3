/**
 * The node machine's effects (see actors/host/effect-catalog.ts): marking the node's row draining,
 * rescheduling a batch of its devices (H.627.2 9.3.1.2, I.2.6), and letting the process stop once
 * it is gone. Each runs only on the node the actor stands for (services/cluster/drain.ts): an
 * actor adopted by another node never reschedules that node's devices nor stops it.
 */
import { z } from 'zod';
import { type EffectCallOf, type EffectCatalog, type EffectHandlersFor, NoEffectParams } from '../host/effect-catalog.ts';
import type { NodeContext } from './node.types.ts';

/** Every effect the node machine emits (its setup declares each with `effect()`; tests/actors/effect-catalogs.test.ts checks both ways). */
export const nodeEffects = {
  'node.draining': {
    params: NoEffectParams,
    does: "Set the node's `cluster_nodes` row to draining (its id and epoch, while joining or active): Vs stops giving it (services/cluster/placement.ts).",
    idempotent: 'The update changes only a row of this epoch still joining or active: a second run changes nothing.',
    ifLost: 'Every `node.reschedule` sets the row draining again before it sends anything.',
  },
  'node.reschedule': {
    params: z.strictObject({
      /** How many of the node's connected devices to tell (DRAIN_BATCH). */
      batch: z.int().positive(),
    }),
    does: 'Send Reschedule (I.2.6) to up to `batch` devices connected to this node that were not told lately; answers `node.rescheduled` with the devices still connected.',
    idempotent:
      'A connection is told again only after DRAIN_RETELL_MS: a second run of the same batch tells the next devices, which the drain would tell anyway.',
    ifLost: 'The DRAIN_BATCH_INTERVAL timer sends the next batch; the devices not told are told then.',
  },
  'node.exit': {
    params: NoEffectParams,
    does: 'Let the process stop (exit 0): every device has left it (boot/start.ts wires the callback).',
    idempotent: 'Stopping a process that is stopping already does nothing more.',
    ifLost: 'The process was stopping anyway (it died); its row is marked dead or gone by membership.',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the node machine's effects. */
export type NodeEffectHandlers = EffectHandlersFor<typeof nodeEffects, NodeContext>;

/** What the handler of the node machine's effect `K` is given. */
export type NodeEffectCall<K extends keyof typeof nodeEffects> = EffectCallOf<typeof nodeEffects, NodeContext, K>;
