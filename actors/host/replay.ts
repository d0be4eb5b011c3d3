/**
 * The replay check: re-run an actor's logged events through its machine, from the first
 * (`xstate.init` with the actor's input), and compare every produced state and context with
 * the recorded one. Volatile context keys (changed by unlogged events) are taken from the
 * record, never compared.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { pureInitial, pureTransition } from './transition.ts';
import type { Db } from '../../db/client.ts';
import { jsonEqual, omitKeys, toJson } from './diff.ts';
import type { MachineRegistry } from './registry.ts';
import { loadActorRow, readHistory, type HistoryEntry } from './store.ts';

/** History rows read per page during a replay. */
export const REPLAY_PAGE_ROWS = 1000;

/** One row where the replay disagrees with the record. */
export interface ReplayMismatch {
  seq: number;
  event: string;
  what: 'value' | 'context' | 'error' | 'final';
  expected: unknown;
  got: unknown;
}

/** The verdict of replaying one actor. */
export interface ReplayVerdict {
  actorId: string;
  ok: boolean;
  events: number;
  mismatches: ReplayMismatch[];
  error?: string;
}

/** Replay a recorded history (rows in seq order starting at seq 0) through the registry's machines. */
export function replayHistory(
  actorId: string,
  type: string,
  rows: Iterable<HistoryEntry>,
  registry: MachineRegistry,
  final?: { value: unknown; context: Record<string, unknown> },
): ReplayVerdict {
  const mismatches: ReplayMismatch[] = [];
  let snap: AnyMachineSnapshot | undefined;
  let events = 0;
  let volatile: readonly string[] = [];
  try {
    for (const row of rows) {
      const def = registry.get(actorId, type, row.machineVersion);
      volatile = def.volatile ?? [];
      if (row.seq === 0) {
        if (row.event.type !== 'xstate.init') throw new Error('the log does not start with xstate.init');
        [snap] = pureInitial(def.machine, (row.event as { input?: unknown }).input);
      } else if (!snap) {
        // History before a retention cutoff is gone: the first kept row is a checkpoint, and the
        // replay starts from the state it recorded.
        if (!row.checkpoint) throw new Error(`the log starts at seq ${row.seq} without a checkpoint`);
        snap = def.machine.resolveState({ value: row.value, context: row.context } as never) as AnyMachineSnapshot;
        events++;
        continue;
      } else {
        [snap] = pureTransition(def.machine, snap, row.event);
      }
      events++;
      compare(row.seq, row.event.type, snap, row.value, row.context, volatile, mismatches);
      // Volatile keys come from unlogged events: carry the recorded values forward.
      if (volatile.length) {
        const ctx = { ...snap.context };
        for (const k of volatile) if (k in row.context) ctx[k] = row.context[k];
        snap = def.machine.resolveState({
          value: snap.value,
          context: ctx,
          status: snap.status,
          historyValue: snap.historyValue,
        } as never) as AnyMachineSnapshot;
      }
    }
    if (final && snap) compare(-1, 'final', snap, final.value, final.context, volatile, mismatches, 'final');
  } catch (err) {
    return { actorId, ok: false, events, mismatches, error: err instanceof Error ? err.message : String(err) };
  }
  return { actorId, ok: mismatches.length === 0, events, mismatches };
}

function compare(
  seq: number,
  event: string,
  snap: AnyMachineSnapshot,
  value: unknown,
  context: Record<string, unknown>,
  volatile: readonly string[],
  out: ReplayMismatch[],
  what?: 'final',
) {
  const gotValue = toJson(snap.value);
  if (!jsonEqual(gotValue, value)) out.push({ seq, event, what: what ?? 'value', expected: value, got: gotValue });
  const gotCtx = omitKeys(toJson(snap.context), volatile);
  const wantCtx = omitKeys(context, volatile);
  if (!jsonEqual(gotCtx, wantCtx)) out.push({ seq, event, what: what ?? 'context', expected: wantCtx, got: gotCtx });
}

/** Replay one stored actor from its log and compare with its log and its current row. */
export async function replayActor(db: Db, registry: MachineRegistry, actorId: string): Promise<ReplayVerdict> {
  const row = await loadActorRow(db, actorId);
  if (!row) return { actorId, ok: false, events: 0, mismatches: [], error: 'no such actor' };
  const all: HistoryEntry[] = [];
  for (let after = -1; ; ) {
    const page = await readHistory(db, actorId, after, REPLAY_PAGE_ROWS);
    all.push(...page);
    if (page.length < REPLAY_PAGE_ROWS) break;
    after = page[page.length - 1]!.seq;
  }
  if (all.length === 0 || all[all.length - 1]!.seq !== row.seq) {
    return { actorId, ok: false, events: all.length, mismatches: [], error: `log ends at seq ${all.at(-1)?.seq ?? 'none'} but the actor is at seq ${row.seq}` };
  }
  return replayHistory(actorId, row.type, all, registry, { value: row.value, context: row.context });
}
