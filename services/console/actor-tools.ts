/**
 * What the console's actor page offers engineers and QA besides reading: the whole history of an
 * actor as one JSON document a test can replay (`replayExport`), and the replay check of one actor.
 */
import { readHistory, type HistoryEntry } from '../../actors/host/store.ts';
import { replayActor, replayHistory, REPLAY_PAGE_ROWS, type ReplayVerdict } from '../../actors/host/replay.ts';
import type { MachineRegistry } from '../../actors/host/registry.ts';
import type { ActorView } from '../../actors/host/host.ts';
import { type ActorReadDeps, requireActor } from './actors.ts';

/** The `format` of an exported history. */
export const HISTORY_EXPORT_FORMAT = 'h627.actor-history/1';

/** An actor's history as exported: the actor as it is now, and every kept event with the state after it. */
export interface HistoryExport {
  format: typeof HISTORY_EXPORT_FORMAT;
  exportedAt: string;
  actor: Omit<ActorView, 'timers' | 'createdAt' | 'updatedAt'>;
  events: HistoryEntry[];
}

/** Export an actor's whole (kept) history. */
export async function exportActorHistory(p: ActorReadDeps, id: string): Promise<HistoryExport> {
  const a = await requireActor(p, id);
  await p.host.flush();
  const events: HistoryEntry[] = [];
  for (let after = -1; ; ) {
    const page = await readHistory(p.db, id, after, REPLAY_PAGE_ROWS);
    events.push(...page);
    if (page.length < REPLAY_PAGE_ROWS) break;
    after = page[page.length - 1]!.seq;
  }
  const last = events.at(-1);
  return {
    format: HISTORY_EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    actor: {
      id: a.id,
      type: a.type,
      machineId: a.machineId,
      version: a.version,
      seq: last?.seq ?? a.seq,
      status: a.status,
      value: last?.value ?? a.value,
      stateKey: a.stateKey,
      context: last?.context ?? a.context,
      deviceId: a.deviceId,
      parentId: a.parentId,
    },
    events,
  };
}

/**
 * Replay an exported history through the machines of `registry` (a test's, or the platform's):
 * every recorded state and context must come out again.
 * @example expect(replayExport(await res.json(), new MachineRegistry(MACHINES)).ok).toBe(true)
 */
export function replayExport(doc: HistoryExport, registry: MachineRegistry): ReplayVerdict {
  if (doc.format !== HISTORY_EXPORT_FORMAT) throw new Error(`not an actor history export (format ${String(doc.format)})`);
  return replayHistory(doc.actor.id, doc.actor.type, doc.events, registry, { value: doc.actor.value, context: doc.actor.context });
}

/** The replay check of one actor, on what is stored once everything pending is written. */
export async function replayOneActor(p: ActorReadDeps, id: string): Promise<ReplayVerdict & { checkedAt: string }> {
  await requireActor(p, id);
  await p.host.flush();
  return { ...(await replayActor(p.db, p.host.registry, id)), checkedAt: new Date().toISOString() };
}
