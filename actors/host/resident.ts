/**
 * Residents: the in-memory actor, as created, as rebuilt from its stored row, and as the committer's
 * results update what it knows of that row.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { HostCore } from './core.ts';
import type { MachineDef } from './registry.ts';
import type { ActorRow } from './store.ts';
import { stateKeyOf } from './state-key.ts';
import type { Resident, Written } from './types.ts';

/** A new actor's resident, before its first row is written. */
export function newResident(
  id: string,
  def: MachineDef,
  snapshot: AnyMachineSnapshot,
  now: number,
  meta: { deviceId?: string; parentId?: string; epoch?: number },
): Resident {
  return {
    id,
    def,
    snapshot,
    volatile: null,
    stateKey: stateKeyOf(snapshot.value),
    timersGen: 0,
    seq: 0,
    dbSeq: null,
    ctxSeq: 0,
    ctxWrittenAt: now,
    loggedContext: snapshot.context,
    timers: new Map(),
    gen: 0,
    deviceId: meta.deviceId ?? null,
    parentId: meta.parentId ?? null,
    epoch: meta.epoch ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The resident of a stored actor row, on the machine version it was written with. */
export function residentOfRow(row: ActorRow, def: MachineDef): Resident {
  const snapshot = def.machine.resolveState({
    value: row.value as never,
    context: row.context,
    ...(row.history_value ? { historyValue: row.history_value as never } : {}),
    status: row.status as never,
  }) as AnyMachineSnapshot;
  // loggedContext may include volatile changes written after the last row; the next row's
  // diff against it still rebuilds exactly the context recorded at that row.
  return {
    id: row.id,
    def,
    snapshot,
    volatile: null,
    stateKey: row.state_key,
    timersGen: 0,
    row: { stateKey: row.state_key, status: row.status, timersGen: 0 },
    seq: row.seq,
    dbSeq: row.row_seq,
    ctxSeq: row.row_seq,
    ctxWrittenAt: row.updated_at,
    loggedContext: row.context,
    timers: new Map(row.timers.map((t) => [t.id, t] as const)),
    gen: Math.max(0, ...row.timers.map((t) => t.gen)),
    deviceId: row.device_id,
    parentId: row.parent_id,
    // Loaded rows are this writer's (claimed, or read again after the claim): the epoch they name is the one loading.
    epoch: row.owner_epoch,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Apply what a committed write stored (the committer's result) to the resident it was for. */
export function applyWritten(r: Resident, written: Written): void {
  if (written.row) {
    r.dbSeq = written.row.seq;
    r.row = written.row.state;
  }
  if (written.context) {
    r.ctxSeq = written.context.seq;
    r.ctxWrittenAt = written.context.at;
    r.volatileDirty = false;
  }
}

/** Note an unlogged change of the resident (volatile values, its timers) for the committer to write. */
export function touch(core: HostCore, r: Resident): void {
  r.volatileDirty = true;
  core.committer.touch(r);
}
