import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgClient } from '../../db/client.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { INSECURE } from '../helpers/platform.ts';

/** Three processes start, one is killed and restarted, one is added: real processes on a 2-core machine. */
setDefaultTimeout(90_000);

let cluster: TestCluster;

describe.skipIf(!TEST_PG_URL)(`the test cluster helper (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('starts three nodes, node-1 to node-3, each on its own port and data dir, all healthy', async () => {
    expect(cluster.nodes.map((n) => cluster.idOf(n))).toEqual(['node-1', 'node-2', 'node-3']);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(new Set(cluster.nodes.map((n) => n.dataDir)).size).toBe(3);
    for (const n of cluster.nodes) {
      const r = await fetch(`${n.url}/healthz`, INSECURE as RequestInit);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ status: 'ok', db: 'postgres' });
    }
  });

  it('shares one database, one admin token, one platform key and one recording store', async () => {
    const [a, , c] = cluster.nodes;
    const body = JSON.stringify({ device_id: 'CAM-SHARED', password: 'camera-password', mac_id: '02aa00000001' });
    expect((await a!.api('/api/admin/devices', { method: 'POST', body })).status).toBe(201);
    const { devices } = (await (await c!.api('/api/admin/devices')).json()) as { devices: Array<{ device_id: string }> };
    expect(devices.map((d) => d.device_id)).toContain('CAM-SHARED');
    expect(new Set(cluster.nodes.map((n) => n.adminToken))).toEqual(new Set([cluster.adminToken]));
    const key = join(cluster.sharedDir, 'secret-key');
    expect(readFileSync(key, 'utf8').trim().length).toBeGreaterThan(0);
    for (const n of cluster.nodes) {
      expect(n.env.PLATFORM_KEY_FILE).toBe(key);
      expect(n.env.CS_DIR).toBe(join(cluster.sharedDir, 'cs'));
      expect(existsSync(join(n.dataDir, 'secret-key'))).toBe(false); // the shared key, not one of its own
    }
    const sql = pgClient(cluster.databaseUrl, { max: 1 });
    try {
      const dbs = await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
      expect(dbs[0]!.n).toBeGreaterThanOrEqual(3); // every node holds connections to this one database
    } finally {
      await sql.end();
    }
  });

  it('restarts a killed node on its port, in its place in nodes', async () => {
    const before = cluster.node('node-2');
    await before.kill9();
    expect(before.proc.exitCode ?? before.proc.signalCode).toBeTruthy();
    const after = await before.restart();
    expect(after).not.toBe(before);
    expect(cluster.nodes[1]).toBe(after);
    expect(cluster.node('node-2')).toBe(after);
    expect(after.port).toBe(before.port);
    expect((await fetch(`${after.url}/healthz`, INSECURE as RequestInit)).status).toBe(200);
  });

  it('adds a fourth node on the same database', async () => {
    const d = await cluster.addNode();
    expect(cluster.idOf(d)).toBe('node-4');
    expect(cluster.nodes).toHaveLength(4);
    expect(d.env.NODE_ID).toBe('node-4');
    const { devices } = (await (await d.api('/api/admin/devices')).json()) as { devices: Array<{ device_id: string }> };
    expect(devices.map((x) => x.device_id)).toContain('CAM-SHARED');
  });
});
