/** The options an {@link ActorHost} is made with (host.ts). */
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { MachineDef } from './registry.ts';
import type { Clock } from './timer-queue.ts';
import type { CommitMetrics } from './committer.ts';
import type { BeforeDeliver } from './outbox.ts';
import type { OwnerLease } from './ownership.ts';
import type { EffectHandlers } from './types.ts';
import type { ActorHost } from './host.ts';

/** Options of {@link ActorHost}. */
export interface HostOptions {
  db: Db;
  machines: readonly MachineDef[];
  effects?: EffectHandlers;
  clock?: Clock;
  log?: Logger;
  metrics?: CommitMetrics;
  /** Most events in one commit statement. */
  maxBatchEvents?: number;
  /** How long an unlogged (volatile) snapshot change may wait before it is written. */
  volatileFlushMs?: number;
  /** Parallel commit lanes (default: one per core on PostgreSQL, DEFAULT_COMMIT_LANES_POSTGRES; 1 on PGlite). */
  commitLanes?: number;
  /** Optional machine types turned on (MachineDef.optional): `mqtt` when MQTT_URL is set. */
  enabled?: readonly string[];
  /** Called before each message to an actor is delivered, after its commit (a test's crash point). */
  beforeDeliver?: BeforeDeliver;
  /** In a cluster: this node's claim to write (docs/cluster.md). Absent: one host, no ownership checks. */
  owner?: OwnerLease;
  /** In a cluster: the actor whose owner a device's other actors follow (its pu), by device id. */
  deviceRoot?: (deviceId: string) => string;
  /** This node took these actors over from `node` (a device logged in here): tell it, its copies are stale. */
  onTaken?: (node: string, actorIds: string[]) => Promise<void>;
  /** An actor's write was refused and its resident dropped (another node took it over, say). */
  onFenced?: (actorId: string, err: Error) => void;
}
