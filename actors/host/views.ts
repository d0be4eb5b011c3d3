/** What callers and subscribers see of an actor: views, dispatch results and transitions. */
import type { ContextChanges } from './diff.ts';
import type { ActorRow } from './store.ts';
import type { ActorEvent, ActorView, DispatchResult, Resident, Transition } from './types.ts';
import { settled } from './volatile.ts';

/** A resident actor's view (its volatile values folded in). */
export function viewOf(r: Resident): ActorView {
  const s = settled(r);
  return {
    id: r.id,
    type: r.def.type,
    machineId: r.def.machine.id,
    version: r.def.version,
    seq: r.seq,
    status: s.status,
    value: s.value,
    stateKey: r.stateKey,
    context: s.context,
    timers: [...r.timers.values()].map((t) => ({ id: t.id, due: t.due, event: t.event })),
    deviceId: r.deviceId,
    parentId: r.parentId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** The view of an actor read from its row. */
export function viewOfRow(row: ActorRow): ActorView {
  return {
    id: row.id,
    type: row.type,
    machineId: row.machine_id,
    version: row.machine_version,
    seq: row.seq,
    status: row.status,
    value: row.value,
    stateKey: row.state_key,
    context: row.context,
    timers: row.timers.map((t) => ({ id: t.id, due: t.due, event: t.event })),
    deviceId: row.device_id,
    parentId: row.parent_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A transition as subscribers see it. */
export function transitionOf(r: Resident, event: ActorEvent, logged: boolean, at: number, changes: ContextChanges, s = settled(r)): Transition {
  return {
    actorId: r.id,
    type: r.def.type,
    seq: r.seq,
    logged,
    at,
    event,
    value: s.value,
    stateKey: r.stateKey,
    status: s.status,
    context: s.context,
    changes,
  };
}

/** A dispatch's result. */
export function resultOf(r: Resident, accepted: boolean, logged: boolean, s = settled(r)): DispatchResult {
  return {
    accepted,
    logged,
    seq: r.seq,
    value: s.value,
    stateKey: r.stateKey,
    status: s.status,
    context: s.context,
  };
}
