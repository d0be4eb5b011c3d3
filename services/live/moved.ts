/**
 * A device logged in to this node of a cluster: its active streams and SD-card playbacks this node never ran were
 * another node's (their publisher grants, secrets and viewers are in that node's MDU), so they cannot go on, as after a
 * restart; left alone, a viewer asking again got a URL here with no video (tests/cluster/failover.test.ts). Told so,
 * they fail; the next viewer gets a new one. Both kinds in one query per login; none on a single node, where no device
 * moves (a restart's streams are swept at start: LiveService.sweepStale).
 */
import type { ActorHost } from '../../actors/host/host.ts';
import { streamV1 } from '../../actors/machines/stream.machine.ts';
import type { Db } from '../../db/client.ts';
import { SDPLAY_TYPE } from './sdplay.ts';

/** What ran here: a service holding node-local secrets of actors of one kind. */
export interface RunsHere {
  /** Whether this node runs the actor (its grants are in this node's MDU). */
  ranHere(actorId: string): boolean;
}

/** A device's active actors of two types (a constant text, prepared: every login in a cluster runs it). */
const ACTIVE_SQL = `SELECT id FROM actors WHERE device_id = $1 AND status = 'active' AND type IN ($2, $3)`;

/** Tell the device's active streams and playbacks that no service here ran that they cannot go on. */
export async function sweepMoved(p: { db: Db; host: Pick<ActorHost, 'clustered' | 'send'> }, deviceId: string, services: RunsHere[]): Promise<void> {
  if (!p.host.clustered) return;
  const active = await p.db.prepared<{ id: string }>(ACTIVE_SQL, [deviceId, streamV1.type, SDPLAY_TYPE]);
  for (const a of active) if (!services.some((s) => s.ranHere(a.id))) p.host.send(a.id, { type: 'platform.restarted' });
}
