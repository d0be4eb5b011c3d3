/**
 * The node machine's effects (actors/machines/node.effects.ts): a draining node marks its row so Vs
 * stops giving it, tells its devices to Reschedule (H.627.2 9.3.1.2, I.2.6) a batch at a time, and
 * once none is left lets the process stop. Each device told asks Vs again (it is given another node,
 * services/cluster/placement.ts) and logs in there, which takes its actors over (docs/cluster.md).
 *
 * An effect runs only on the node its actor stands for, in the incarnation it stands for: an actor
 * adopted by a survivor must neither reschedule the survivor's devices nor stop it.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { NodeEffectCall, NodeEffectHandlers } from '../../actors/machines/node.effects.ts';
import { nodeIdOf } from '../../actors/machines/ids.ts';
import { CLOSE_DROPPED, type VdConnection, type VdConnections } from '../vd/vd-connections.ts';

/**
 * A device told to Reschedule is told again after this (platform's choice): a device asks Vs and
 * logs in elsewhere within seconds; one still here after 30 s lost the event or ignored it.
 */
export const DRAIN_RETELL_MS = 30_000;
/**
 * A device told this many times and still connected is disconnected instead (platform's choice):
 * its SDK reconnects with backoff and, failing to reach this node, asks Vs again (device/backoff.ts).
 */
export const DRAIN_TELLS_BEFORE_CLOSE = 3;
/** Close reason a drained device is given (RFC 6455 reason text). */
export const DRAIN_CLOSE_REASON = 'node draining: ask Vs for another node';

/** Which node and incarnation this process is; `epoch` is unknown until membership joined. */
export interface NodeSelf {
  id: string;
  epoch?: number;
}

/** What the drain needs. */
export interface DrainDeps {
  db: Db;
  log: Logger;
  vd: Pick<VdConnections, 'connections' | 'event' | 'close' | 'size'>;
  /** This process's node id and epoch (membership's). */
  self: () => NodeSelf;
  /** Let the process stop (boot/start.ts wires it: stop, then exit 0). */
  onExit: () => void;
  /** The clock for the re-tell spacing (tests may pass another). */
  now?: () => number;
}

/** How often each connection was told, and when last. */
interface Told {
  at: number;
  times: number;
}

/** The node machine's effect handlers, and the state of a drain on this node. */
export class Drain {
  /** Per connection (a device that logs in again is a new connection, told afresh). */
  private told = new WeakMap<VdConnection, Told>();
  private exited = false;

  constructor(private p: DrainDeps) {}

  /** The handlers of the node machine's effects. */
  effects(): NodeEffectHandlers {
    return {
      'node.draining': (call) => this.ifSelf(call, () => this.markDraining(call.context.epoch)),
      'node.reschedule': (call) => this.ifSelf(call, () => this.reschedule(call)),
      'node.exit': (call) => this.ifSelf(call, () => this.exit()),
    };
  }

  /** Run `f` only on the node and incarnation the actor stands for. */
  private async ifSelf(call: NodeEffectCall<keyof NodeEffectHandlers>, f: () => void | Promise<void>): Promise<void> {
    const self = this.p.self();
    const node = nodeIdOf(call.actorId);
    if (node !== self.id || (self.epoch !== undefined && self.epoch !== call.context.epoch)) {
      this.p.log.info({ actor: call.actorId, effect: call.type, epoch: call.context.epoch, self }, 'node effect for another node or incarnation; not run here');
      return;
    }
    await f();
  }

  /** Set this incarnation's row draining (only from joining or active: a dead or gone row stays so). */
  private async markDraining(epoch: number): Promise<void> {
    const id = this.p.self().id;
    await this.p.db.rows(sql`UPDATE cluster_nodes SET state = 'draining' WHERE id = ${id} AND epoch = ${epoch} AND state IN ('joining', 'active')`);
  }

  /** Tell up to `batch` devices not told lately to Reschedule, then report how many are still connected. */
  private async reschedule(call: NodeEffectCall<'node.reschedule'>): Promise<void> {
    await this.markDraining(call.context.epoch);
    const now = (this.p.now ?? Date.now)();
    let told = 0;
    let closed = 0;
    for (const conn of this.p.vd.connections()) {
      if (told + closed >= call.params.batch) break;
      const before = this.told.get(conn);
      if (before && now - before.at < DRAIN_RETELL_MS) continue;
      if (before && before.times >= DRAIN_TELLS_BEFORE_CLOSE) {
        this.p.vd.close(conn.deviceId, CLOSE_DROPPED, DRAIN_CLOSE_REASON);
        this.told.set(conn, { at: now, times: before.times + 1 });
        closed++;
        continue;
      }
      this.p.vd.event(conn.deviceId, 'Reschedule', {});
      this.told.set(conn, { at: now, times: (before?.times ?? 0) + 1 });
      told++;
    }
    const remaining = this.p.vd.size;
    this.p.log.info({ node: nodeIdOf(call.actorId), told, closed, remaining }, 'drain: devices told to Reschedule');
    call.host.send(call.actorId, { type: 'node.rescheduled', remaining });
  }

  /** Every device left: let the process stop, once. */
  private exit(): void {
    if (this.exited) return;
    this.exited = true;
    this.p.log.info({ node: this.p.self().id }, 'node gone: stopping the process');
    this.p.onExit();
  }
}
