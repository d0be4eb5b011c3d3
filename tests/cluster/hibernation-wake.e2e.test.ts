/**
 * A wake in a cluster (docs/cluster.md; issue #22): a sleeping camera's hibernation link is held by node B, its live
 * request is made on node A; the TOWAKEUP reaches the camera on B's link (the node holding the link writes it, asked
 * through `/api/cluster/wake` when the pu decides elsewhere). Two real platform processes on one PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, type ScratchDatabase } from '../../db/scratch.ts';
import { HibernationLink } from '../../device/hibernation-link.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(60_000);

const ADMIN_TOKEN = 'cluster-admin-token-0123456789';
const CAM = { device_id: 'CAM-WAKE-1', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e8:01' };
const keyFile = join(tmpdir(), `h627-cluster-key-wake-${process.pid}-${Date.now()}`);
let scratch: ScratchDatabase;
let a: TestPlatform;
let b: TestPlatform;

const node = (id: string) => ({
  NODE_ID: id,
  DATABASE_URL: scratch.url,
  PLATFORM_KEY_FILE: keyFile,
  ADMIN_TOKEN,
  CLUSTER_TLS_INSECURE: '1',
  WAKE_TIMEOUT_S: '3',
});

describe.skipIf(!TEST_PG_URL)('waking a sleeping camera in a cluster', () => {
  beforeAll(async () => {
    writeFileSync(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    scratch = await createScratchDatabase(TEST_PG_URL!, 'h627_wake');
    a = await startTestPlatform(node('node-a'));
    b = await startTestPlatform(node('node-b'));
    expect((await a.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await a?.cleanup();
    await b?.cleanup();
    await scratch?.drop();
    rmSync(keyFile, { force: true });
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
    expect(asleep.context.hibernation).toMatchObject({ node: 'node-b', linked: true });
    const asked = a.api(`/api/devices/${CAM.device_id}/channels/0/live`, { method: 'POST', body: '{}' });
    await link.nextWake(0);
    expect(link.wakes).toBe(1);
    clearInterval(beat);
    link.close();
    expect((await asked).status).toBe(503); // it never logs in here: the wait ends with the clear error
  });
});
