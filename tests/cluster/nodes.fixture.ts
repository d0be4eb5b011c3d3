/** Rows of `cluster_nodes` and owned pu actors, written straight into a test database (before membership writes them). */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';

/** A node row; the lease is in seconds from the database's now (negative: lapsed). */
export interface NodeRowSpec {
  id: string;
  epoch?: number;
  state?: string;
  host?: string;
  httpPort?: number;
  pus?: number;
  leaseS?: number;
}

/** Insert or replace a node row, its heartbeat now. */
export async function putNode(db: Db, n: NodeRowSpec): Promise<void> {
  const load = JSON.stringify({ pus: n.pus ?? 0, streams: 0, uploads: 0, cpu: 0.1 });
  const host = n.host ?? `${n.id}.example`;
  const port = n.httpPort ?? 8443;
  await db.rows(sql`
    INSERT INTO cluster_nodes (id, epoch, state, base_url, public_host, http_port, srt_port, load, lease_until)
    VALUES (${n.id}, ${n.epoch ?? 1}, ${n.state ?? 'active'}, ${`https://${host}:${port}`}, ${host}, ${port}, 9000, ${load}::json,
            now() + make_interval(secs => ${n.leaseS ?? 15}))
    ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, state = excluded.state, base_url = excluded.base_url,
      public_host = excluded.public_host, http_port = excluded.http_port, load = excluded.load,
      heartbeat_at = clock_timestamp(), lease_until = excluded.lease_until`);
}

/** A pu actor row owned by (node, epoch) in `state` (default `online`), as the host's claim would leave it. */
export async function putOwnedPu(db: Db, deviceId: string, node: string, epoch: number, state = 'online'): Promise<void> {
  await db.rows(sql`
    INSERT INTO actors (id, type, machine_id, machine_version, seq, status, state_key, value, context, device_id, owner_node, owner_epoch)
    VALUES (${`pu:${deviceId}`}, 'pu', 'pu', 1, 0, 'active', ${state}, ${JSON.stringify(state)}::json, '{}'::json, ${deviceId}, ${node}, ${epoch})
    ON CONFLICT (id) DO UPDATE SET owner_node = excluded.owner_node, owner_epoch = excluded.owner_epoch,
      state_key = excluded.state_key, value = excluded.value`);
}
