import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { ClusterDirectory } from '../../services/cluster/directory.ts';
import { deviceTarget } from '../../routes/forward.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
  const db = t.db;
  await db.rows(sql`INSERT INTO cluster_nodes (id, epoch, state, base_url, public_host, http_port, srt_port, lease_until) VALUES
    ('live', 2, 'active', 'https://10.0.0.1:8443', '10.0.0.1', 8443, 9710, now() + interval '1 hour'),
    ('lapsed', 1, 'active', 'https://10.0.0.2:8443', '10.0.0.2', 8443, 9710, now() - interval '1 second'),
    ('dead', 1, 'dead', 'https://10.0.0.3:8443', '10.0.0.3', 8443, 9710, now() + interval '1 hour')`);
  const actor = (id: string, node: string | null, epoch: number | null) =>
    db.rows(sql`INSERT INTO actors (id, type, machine_id, machine_version, seq, status, state_key, value, context, owner_node, owner_epoch)
      VALUES (${id}, 'pu', 'pu', 1, 0, 'active', 'offline', '"offline"', '{}', ${node}, ${epoch})`);
  await actor('pu:on-live', 'live', 2);
  await actor('pu:old-epoch', 'live', 1);
  await actor('pu:on-lapsed', 'lapsed', 1);
  await actor('pu:on-dead', 'dead', 1);
  await actor('pu:unowned', null, null);
});
afterAll(async () => {
  await t?.cleanup();
});

describe('the cluster directory', () => {
  it("names an actor's owner and judges its liveness in the database: same epoch, serving, lease not ended", async () => {
    const dir = new ClusterDirectory({ db: t.db });
    const [live, old, lapsed, dead, unowned, missing] = await Promise.all(
      ['pu:on-live', 'pu:old-epoch', 'pu:on-lapsed', 'pu:on-dead', 'pu:unowned', 'pu:nobody'].map((id) => dir.ownerOfActor(id)),
    );
    expect(live).toEqual({ node: 'live', baseUrl: 'https://10.0.0.1:8443', live: true });
    expect(old).toMatchObject({ node: 'live', live: false });
    expect(lapsed).toMatchObject({ node: 'lapsed', live: false });
    expect(dead).toMatchObject({ node: 'dead', live: false });
    expect(unowned).toBeNull();
    expect(missing).toBeNull();
  });

  it('keeps an answer for a moment, and reads the database again once invalidated', async () => {
    const dir = new ClusterDirectory({ db: t.db }, 60_000);
    expect((await dir.ownerOfActor('pu:unowned'))?.node).toBeUndefined();
    await t.db.rows(sql`UPDATE actors SET owner_node = 'live', owner_epoch = 2 WHERE id = 'pu:unowned'`);
    expect(await dir.ownerOfActor('pu:unowned')).toBeNull(); // cached
    dir.invalidate('pu:unowned');
    expect(await dir.ownerOfActor('pu:unowned')).toMatchObject({ node: 'live', live: true });
  });

  it('lists the live nodes but this one, and reads one node', async () => {
    const dir = new ClusterDirectory({ db: t.db });
    expect((await dir.liveNodes()).map((n) => n.id)).toEqual(['live']);
    expect(await dir.liveNodes('live')).toEqual([]);
    expect(await dir.node('dead')).toMatchObject({ id: 'dead', epoch: 1, live: false });
    expect(await dir.node('nope')).toBeNull();
  });
});

describe('which requests address a device', () => {
  it('finds the device or token in every device route, and nothing elsewhere', () => {
    expect(deviceTarget('/api/devices/cam-1')).toEqual({ kind: 'device', deviceId: 'cam-1' });
    expect(deviceTarget('/api/devices/cam%3A1/channels/0/live')).toEqual({ kind: 'device', deviceId: 'cam:1' });
    expect(deviceTarget('/api/admin/devices/cam-1/unlock')).toEqual({ kind: 'device', deviceId: 'cam-1' });
    expect(deviceTarget('/live/cseg/abc')).toEqual({ kind: 'vr-channel', token: 'abc' });
    expect(deviceTarget('/cs/up/sess/1-abcd.ts')).toEqual({ kind: 'record-session', sessionId: 'sess' });
    expect(deviceTarget('/cs/seg/sess/1-abcd.ts')).toEqual({ kind: 'record-session', sessionId: 'sess' });
    expect(deviceTarget('/upload/tok')).toEqual({ kind: 'upload-grant', token: 'tok' });
    for (const p of ['/api/devices', '/api/devices/', '/api/admin/devices', '/api/events', '/media/live/s1', '/Vd', '/api/devices/%E0%A4%A'])
      expect(deviceTarget(p)).toBeUndefined();
  });
});
