/**
 * A wake in a cluster (docs/cluster.md; issue #22): a sleeping camera's hibernation link is held by node B, its live
 * request is made on node A; the TOWAKEUP reaches the camera on B's link (the node holding the link writes it, asked
 * through `/api/cluster/wake` when the pu decides elsewhere). Two real platform processes on one PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { HibernationLink } from '../../device/hibernation-link.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { INSECURE, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(60_000);

const CAM = { device_id: 'CAM-WAKE-1', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e8:01' };
let cluster: TestCluster;
let a: TestPlatform;
let b: TestPlatform;

describe.skipIf(!TEST_PG_URL)('waking a sleeping camera in a cluster', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2, env: { WAKE_TIMEOUT_S: '3' } });
    [a, b] = cluster.nodes as [TestPlatform, TestPlatform];
    expect((await a.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('sends TOWAKEUP on the link node B holds when the live request comes to node A', async () => {
    const vd = await RawDevice.connect(a.url, {
      login_code: CAM.device_id,
      login_passwd: CAM.password,
      hardware_model: 'HW',
      firmware_model: 'FW',
      sdk: '1.0',
    });
    const token = ((await vd.call('GetServerInfo', { mac_id: CAM.mac_id, state: 1 })).resp as { hb_token: string }).hb_token;
    vd.close();
    await vd.waitClosed();
    // The camera's network chip reaches node B's hibernation server (the one B's Vs announces).
    const vs = await (await fetch(`${b.url}/Vs/getServerAddr?macid=${CAM.mac_id}`, INSECURE as RequestInit)).json();
    const link = await HibernationLink.connect('127.0.0.1', vs.HibernationPort);
    link.heartbeat(CAM.mac_id.replaceAll(':', ''), token); // the same token on every node: derived from the shared key
    const beat = setInterval(() => link.heartbeat(CAM.mac_id.replaceAll(':', ''), token), 2000);
    const asleep = await until(
      async () => (await a.api(`/api/actors/pu:${CAM.device_id}`)).json(),
      (x) => x.stateKey === 'hibernating',
    );
    expect(asleep.context.hibernation).toMatchObject({ node: cluster.idOf(b), linked: true });
    const asked = a.api(`/api/devices/${CAM.device_id}/channels/0/live`, { method: 'POST', body: '{}' });
    await link.nextWake(0);
    expect(link.wakes).toBe(1);
    clearInterval(beat);
    link.close();
    expect((await asked).status).toBe(503); // it never logs in here: the wait ends with the clear error
  });
});
