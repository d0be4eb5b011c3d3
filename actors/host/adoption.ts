/**
 * What a cluster node's host does besides its own actors (docs/cluster.md): take a device's actors
 * over when the device logs in here, and adopt dead nodes' actors whose timers fall due.
 */
import type { HostCore } from './core.ts';
import { adoptDueActors, takeOverDevices, writerOf } from './ownership.ts';

/** Most actors adopted by one statement (platform's choice: one load batch). */
export const ADOPT_BATCH_MAX = 1000;

/**
 * Take-overs asked for in one turn of the event loop, made with one statement (a reconnect storm
 * logs thousands of devices in at once).
 */
export class TakeOvers {
  private waiting = new Map<string, Array<{ resolve: () => void; reject: (err: unknown) => void }>>();

  constructor(private core: HostCore) {}

  /** Resolves once the device's actors are this node's. */
  add(deviceId: string): Promise<void> {
    if (!this.core.owner) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = this.waiting.get(deviceId);
      if (w) return w.push({ resolve, reject });
      this.waiting.set(deviceId, [{ resolve, reject }]);
      if (this.waiting.size === 1) setImmediate(() => this.run());
    });
  }

  private run(): void {
    const batch = this.waiting;
    this.waiting = new Map();
    takeOver(this.core, [...batch.keys()]).then(
      () => {
        for (const ws of batch.values()) for (const w of ws) w.resolve();
      },
      (err) => {
        for (const ws of batch.values()) for (const w of ws) w.reject(err);
      },
    );
  }
}

/**
 * Take over every actor of these devices. A resident copy of one that another node owned until
 * now may be stale (that node wrote since): it is dropped, to be loaded afresh on next use.
 */
export async function takeOver(core: HostCore, deviceIds: string[], by: 'device' | 'actor' = 'device'): Promise<number> {
  if (!core.owner) return 0;
  const dormant = core.registry.all().flatMap((d) => (d.dormant ?? []).map((state) => [d.type, state] as const));
  const w = writerOf(core.owner);
  const roots = by === 'device' && core.deviceRoot ? deviceIds.map(core.deviceRoot) : [];
  const taken = await takeOverDevices(core.db, w, deviceIds, by, dormant, roots);
  const byOwner = new Map<string, string[]>();
  for (const { id, from } of taken) {
    const r = core.residents.get(id);
    if (r && !core.committer.isPending(r)) core.residents.delete(id);
    if (!from || from === w.node) continue;
    const ids = byOwner.get(from);
    if (ids) ids.push(id);
    else byOwner.set(from, [id]);
  }
  // The nodes they were taken from hold copies that are stale now: they are told, so that nothing is counted or
  // read from those copies meanwhile (fencing refuses their writes anyway). Awaited, but never failing the take-over.
  await Promise.all(
    [...byOwner].map(([node, ids]) =>
      core.onTaken?.(node, ids).catch((err) => core.log.warn({ node, actors: ids.length, err: String(err) }, 'previous owner not told of a take-over')),
    ),
  );
  return taken.length;
}

/**
 * Adopt dead incarnations' actors whose timers fall due within `horizonMs`: each is queued to
 * load (which arms its timers: one already due fires at once). Returns how many were adopted.
 */
export async function adoptDue(core: HostCore, horizonMs: number): Promise<number> {
  if (!core.owner?.writable()) return 0;
  let total = 0;
  for (;;) {
    const adopted = await adoptDueActors(core.db, writerOf(core.owner), horizonMs, ADOPT_BATCH_MAX);
    for (const a of adopted) {
      // A copy still resident here is from before another node took the actor over (this node created it, or owned it
      // until its device logged in elsewhere): stale. Kept, the load below found it and armed none of the timers the
      // dead node had, so they never fired (tests/cluster/adoption.test.ts: pus online a minute after their due time).
      const r = core.residents.get(a.id);
      if (r && !core.committer.isPending(r)) core.residents.delete(a.id);
      core.queue.push({ due: a.due, actorId: a.id, timerId: null, gen: 0 });
    }
    total += adopted.length;
    if (adopted.length < ADOPT_BATCH_MAX) return total;
  }
}
