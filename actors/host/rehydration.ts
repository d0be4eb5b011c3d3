/**
 * Rehydration: an actor not in memory is loaded from its row on first use. Every actor asked for
 * in one turn of the event loop comes with one query (a reconnect storm loads thousands), and jobs
 * waiting for the same actor share its load.
 */
import type { HostCore, ResidentJob } from './core.ts';
import { ActorElsewhereError, ActorNotFoundError } from './errors.ts';
import { claimActors, writerOf } from './ownership.ts';
import type { MachineDef } from './registry.ts';
import { residentOfRow } from './resident.ts';
import { loadActorRows, type ActorRow } from './store.ts';
import { armLoadedTimers } from './timers.ts';
import type { Resident } from './types.ts';

/** Most actors rehydrated by one query. */
export const LOAD_BATCH_MAX = 1000;

/** Loads actors into the host's residents, batched per turn of the event loop. */
export class ResidentLoader {
  /** Actors being loaded, and the jobs waiting for each. */
  private loading = new Map<string, ResidentJob[]>();
  private queue: string[] = [];

  constructor(private core: HostCore) {}

  /** Whether the actor is being loaded now. */
  isLoading(id: string): boolean {
    return this.loading.has(id);
  }

  /** Run `job` with the actor resident, loading it first when it is not. */
  withResident(id: string, job: ResidentJob): void {
    const r = this.core.residents.get(id);
    if (r) return job(r);
    const waiting = this.loading.get(id);
    if (waiting) {
      waiting.push(job);
      return;
    }
    this.loading.set(id, [job]);
    this.queue.push(id);
    // After this turn of the event loop: every actor asked for meanwhile (the logins of a storm,
    // each its own request) comes with one query.
    if (this.queue.length === 1) setImmediate(() => this.loadQueued());
  }

  /** Rehydrate every actor asked for in this turn with one query. */
  private loadQueued(): void {
    const ids = this.queue.splice(0, LOAD_BATCH_MAX);
    if (this.queue.length > 0) queueMicrotask(() => this.loadQueued()); // the rest at once: the turn is over
    const settle = (id: string, res: Resident | Error) => {
      const jobs = this.loading.get(id) ?? [];
      this.loading.delete(id);
      if (!(res instanceof Error)) this.core.residents.set(id, res);
      for (const j of jobs) j(res);
    };
    this.fetch(ids).then(
      ({ rows, elsewhere }) => {
        const byId = new Map(rows.map((row) => [row.id, row] as const));
        for (const id of ids) {
          const row = byId.get(id);
          const owner = elsewhere.get(id);
          // The resident keeps the id string it was asked for, not the row's equal copy: a service that holds it (the
          // hibernation server's sleeping cameras) and the timer queue then share one string per actor.
          settle(id, row ? this.rehydrate({ ...row, id }) : owner !== undefined ? new ActorElsewhereError(id, owner) : new ActorNotFoundError(id));
        }
      },
      (err) => {
        for (const id of ids) settle(id, err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /**
   * The rows of `ids`. In a cluster only those this node owns: one it does not is claimed when no live node owns
   * it (and read again, now that nobody else can write it), else named with its owner.
   */
  private async fetch(ids: string[]): Promise<{ rows: ActorRow[]; elsewhere: Map<string, string> }> {
    const rows = await loadActorRows(this.core.db, ids);
    const owner = this.core.owner;
    if (!owner) return { rows, elsewhere: new Map() };
    const w = writerOf(owner);
    const mine = rows.filter((r) => r.owner_node === w.node && r.owner_epoch === w.epoch);
    const root = this.core.deviceRoot;
    const others = rows
      .filter((r) => !(r.owner_node === w.node && r.owner_epoch === w.epoch))
      .map((r) => ({ id: r.id, root: r.device_id && root ? root(r.device_id) : null }));
    if (others.length === 0) return { rows: mine, elsewhere: new Map() };
    const { claimed, elsewhere } = await claimActors(this.core.db, w, others);
    const reread = claimed.size > 0 ? await loadActorRows(this.core.db, [...claimed]) : [];
    return { rows: [...mine, ...reread], elsewhere };
  }

  /** The resident of a stored row, its timers armed; an error when its machine version is gone. */
  private rehydrate(row: ActorRow): Resident | Error {
    let def: MachineDef;
    try {
      def = this.core.registry.get(row.id, row.type, row.machine_version);
    } catch (err) {
      this.core.log.error({ actor: row.id, err: String(err) }, 'actor cannot be rehydrated');
      return err as Error;
    }
    const r = residentOfRow(row, def);
    armLoadedTimers(this.core, r);
    return r;
  }
}
