/**
 * A device logged in to this node of a cluster: its active streams and SD-card playbacks this node never ran were
 * another node's (their publisher grants, secrets and viewers are in that node's MDU), so they cannot go on, as after a
 * restart; left alone, a viewer asking again got a URL here with no video (tests/cluster/failover.test.ts). Told so,
 * they fail; the next viewer gets a new one. Both kinds in one query per login; none on a single node, where no device
 * moves (a restart's streams are swept at start: LiveService.sweepStale).
 */
import type { ActorHost } from '../../actors/host/host.ts';
import { streamV1 } from '../../actors/machines/stream.machine.ts';
import { sql } from 'drizzle-orm';
import { batchedRead, perDatabase } from '../../db/batched.ts';
import type { Db } from '../../db/client.ts';
import { SDPLAY_TYPE } from './sdplay.ts';

/** What ran here: a service holding node-local secrets of actors of one kind. */
export interface RunsHere {
  /** Whether this node runs the actor (its grants are in this node's MDU). */
  ranHere(actorId: string): boolean;
}

/** The active actors of both types of the devices $1 (a JSON array) names (a constant text, prepared; a login storm's in one). */
const ACTIVE_SQL = `SELECT id, device_id FROM actors WHERE device_id = ANY(ARRAY(SELECT json_array_elements_text($1::text::json)))
  AND status = 'active' AND type IN ('${streamV1.type}', '${SDPLAY_TYPE}')`;

/** Per database, a device's active streams and playbacks: the devices logging in at once are read in one statement. */
const activeOf = perDatabase((db: Pick<Db, 'prepared'>) => batchedRead<string, { id: string; device_id: string }>(db, ACTIVE_SQL, (r) => r.device_id));

/** Tell the device's active streams and playbacks that no service here ran that they cannot go on. */
export async function sweepMoved(p: { db: Db; host: Pick<ActorHost, 'clustered' | 'send'> }, deviceId: string, services: RunsHere[]): Promise<void> {
  if (!p.host.clustered) return;
  const active = await activeOf(p.db)(deviceId);
  for (const a of active) if (!services.some((s) => s.ranHere(a.id))) p.host.send(a.id, { type: 'platform.restarted' });
}

/** Streams this node's previous runs owned (or nobody) cannot resume: their secrets are gone (docs/cluster.md). */
export async function sweepStale(p: { db: Db; host: Pick<ActorHost, 'send'> }, nodeId: string): Promise<void> {
  const stale = await p.db.rows<{ id: string }>(sql`SELECT id FROM actors WHERE type = 'stream' AND status = 'active'
    AND (owner_node IS NULL OR owner_node = ${nodeId})`);
  for (const s of stale) p.host.send(s.id, { type: 'platform.restarted' });
}
