/**
 * A device whose actors a live node owns logs in to another node (docs/cluster.md, "Placement": a drain, a move by
 * Vs, the device's own choice): the login is checked against the owner's stored row and the actors follow the
 * device. Found by `bun run bench cluster`: the login's lock check loaded the pu actor, which another live node owns,
 * and every such login was answered 503 until that node died.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { pgClient } from '../../db/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import type { TestPlatform } from '../helpers/platform.ts';

setDefaultTimeout(60_000);

const device = { device_id: 'CAM-MOVE-1', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e4:31' };
/** How long a login's effects (the take-over, the pu actor's row) may take to be visible, ms. */
const SETTLE_MS = 10_000;
const POLL_MS = 100;

/** Open a Vd session of the device on `node`: the WebSocket once open, or the error that closed it first. */
function login(node: TestPlatform): Promise<WebSocket> {
  const q = new URLSearchParams({ login_code: device.device_id, login_passwd: device.password, hardware_model: 'T', firmware_model: '1', reconnect: '0' });
  const ws = new WebSocket(`${node.url.replace(/^https/, 'wss')}/Vd?${q}`, { tls: { rejectUnauthorized: false } } as never);
  return new Promise((resolve, reject) => {
    let error = '';
    ws.onerror = (e) => {
      error = (e as ErrorEvent).message;
    };
    ws.onopen = () => resolve(ws);
    ws.onclose = (e) => reject(new Error(`login on ${node.url} closed before it opened: ${e.code} ${error}`));
  });
}

describe.skipIf(!TEST_PG_URL)('a device moving between live nodes (skipped without PostgreSQL)', () => {
  let cluster: TestCluster;
  let sql: ReturnType<typeof pgClient>;

  const ownerOf = async () => (await sql`SELECT owner_node FROM actors WHERE id = ${`pu:${device.device_id}`}`)[0]?.owner_node as string | undefined;
  const until = async (want: string) => {
    const t0 = performance.now();
    while ((await ownerOf()) !== want && performance.now() - t0 < SETTLE_MS) await Bun.sleep(POLL_MS);
    return ownerOf();
  };

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2, env: { CLUSTER_TLS_INSECURE: '1', LOG_LEVEL: 'warn' } });
    sql = pgClient(cluster.databaseUrl, { max: 1, onnotice: () => {} });
    const r = await cluster.nodes[0]!.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(device) });
    expect(r.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await cluster?.cleanup();
  });

  it('logs in to another node while the first still owns its actors, and the actors follow it there', async () => {
    const first = await login(cluster.node('node-1'));
    expect(await until('node-1')).toBe('node-1');
    const second = await login(cluster.node('node-2'));
    expect(await until('node-2')).toBe('node-2');
    first.close();
    second.close();
  });
});
