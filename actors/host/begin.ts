/**
 * A new actor: its initial snapshot made resident at once and its first row queued (the caller
 * checked that the id is free), with the effects of its entry queued behind that row.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { HostCore } from './core.ts';
import { diffContext } from './diff.ts';
import { queueEffects, takeActions } from './effects.ts';
import { ActorEventError } from './errors.ts';
import type { MachineDef } from './registry.ts';
import { newResident } from './resident.ts';
import { pureInitial, type ReturnedAction } from './transition.ts';
import type { ActorEvent } from './types.ts';
import { transitionOf } from './views.ts';

/** Make actor `id` of machine `def` from `input`: resident now, its first row on its way (the returned write). */
export function beginActor(core: HostCore, def: MachineDef, id: string, input: Record<string, unknown>, meta: { deviceId?: string; parentId?: string }) {
  let snapshot: AnyMachineSnapshot;
  let actions: ReturnedAction[];
  try {
    [snapshot, actions] = pureInitial(def.machine, input);
  } catch (err) {
    throw new ActorEventError(id, 'xstate.init', err);
  }
  const now = core.clock.now();
  // In a cluster the actor is this incarnation's: its writes are never sent under another epoch (lane.ts).
  const r = newResident(id, def, snapshot, now, { ...meta, ...(core.owner ? { epoch: core.owner.epoch() } : {}) });
  core.residents.set(id, r);
  const event: ActorEvent = { type: 'xstate.init', input };
  const effects = takeActions(core, r, actions, now);
  const changes = diffContext({}, snapshot.context);
  const w = core.committer.append(r, {
    actor_id: id,
    seq: 0,
    at: now,
    machine_version: def.version,
    event,
    value: snapshot.value,
    changes,
    context: snapshot.context,
  });
  queueEffects(core, w, r, effects, 0);
  w.transitions.push(transitionOf(r, event, true, now, changes));
  return { r, w };
}
