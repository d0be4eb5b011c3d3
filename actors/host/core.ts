/**
 * The state the host's modules share: one object built by {@link ActorHost}'s constructor and
 * handed to the plain functions of dispatch, rehydration, timers and effects.
 */
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { Committer } from './committer.ts';
import type { OwnerLease } from './ownership.ts';
import type { MachineRegistry } from './registry.ts';
import type { Clock, TimerQueue } from './timer-queue.ts';
import type { Delivery, EffectHandlers, EffectHost, Resident, Transition } from './types.ts';
import type { VolatileSource } from './volatile.ts';

export type { Delivery } from './types.ts';

/** A job waiting for an actor to be resident: given the actor, or why it could not be loaded. */
export type ResidentJob = (r: Resident | Error) => void;

/** What the host's modules read and change. */
export interface HostCore {
  readonly db: Db;
  readonly registry: MachineRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  /** The actors held in memory, by id. */
  readonly residents: Map<string, Resident>;
  readonly queue: TimerQueue;
  readonly committer: Committer;
  /** Every committed transition's listeners. */
  readonly listeners: Set<(t: Transition) => void>;
  /** The listeners that also want unlogged (volatile) changes: a console watching one actor, not the services. */
  readonly unloggedListeners: Set<(t: Transition) => void>;
  readonly effects: EffectHandlers | undefined;
  /** Volatile values kept outside the host (volatile.ts), folded in before transitions and into views. */
  readonly sources: VolatileSource[];
  /** In a cluster: this node's claim to write (docs/cluster.md); absent, the host writes without ownership checks. */
  readonly owner: OwnerLease | undefined;
  /** Tell `node` that this node took these actors over from it (its resident copies are stale). */
  readonly onTaken: ((node: string, actorIds: string[]) => Promise<void>) | undefined;
  /** The actor that places a device's actors (its pu): they follow it to the node that owns it. */
  readonly deviceRoot: ((deviceId: string) => string) | undefined;
  /** Optional machine types turned on (MachineDef.optional). */
  readonly enabled: ReadonlySet<string>;
  /** What effect handlers are handed as their `host`. */
  readonly api: EffectHost;
  /** Deliver a committed message to its receiver (outbox.ts). */
  deliver(d: Delivery): void;
  /** Whether the host is stopping (it takes no new work; undelivered messages wait in the outbox). */
  isStopping(): boolean;
  /**
   * Make a new actor (resident at once, its first row on its way) for a message to it: throws
   * ActorExistsError synchronously when it is resident or loading already.
   */
  spawn(type: string, id: string, input: Record<string, unknown>, meta: { deviceId?: string; parentId?: string }): Promise<unknown>;
  /** Run `job` with the actor resident (rehydrated first when it is not). */
  withResident(id: string, job: ResidentJob): void;
}
