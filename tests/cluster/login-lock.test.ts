/**
 * The lock after LOGIN_FAILURES_TO_LOCK failed Vd logins in a row holds across nodes (docs/cluster.md, "Caches that
 * cross nodes"): an attacker who sends every guess to a node that does not serve the device has each failure counted
 * by the node that owns the device's pu actor, so the device is locked there, and on every node.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { LOGIN_FAILURES_TO_LOCK } from '../../actors/machines/pu.actions.ts';
import { PAIR_FREE_FAILURES } from '../../services/devices/throttle.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { tryUpgrade } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

/** Two nodes start, a hundred logins fail: well under a minute. */
setDefaultTimeout(120_000);

/** Source addresses failing at once (each fails PAIR_FREE_FAILURES times, the most before its own slow-down). */
const PARALLEL_ADDRESSES = 10;
const DEVICE = { device_id: 'CAM-LOCK', password: 'cam-lock-password', mac_id: 'a0:b1:c2:d3:e6:01' };

let cluster: TestCluster;
const vdQuery = (password: string) => ({ login_code: DEVICE.device_id, login_passwd: password, hardware_model: 'h', firmware_model: 'f' });

describe.skipIf(!TEST_PG_URL)(`a device's login lock across nodes (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('counts failures sent to a node that does not serve the device on the node that does, and locks it everywhere', async () => {
    const [one, two] = [cluster.node('node-1'), cluster.node('node-2')];
    expect((await one.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(DEVICE) })).status).toBe(201);
    // The device logs in to node-2 once: node-2 takes its pu actor over.
    expect((await tryUpgrade(two.url, vdQuery(DEVICE.password))).status).toBe(101);
    const owner = async () =>
      (await (await one.api(`/api/actors/${encodeURIComponent(`pu:${DEVICE.device_id}`)}`)).json()) as { context: { login: { lockedUntil?: number } } };
    // Every guess goes to node-1, from many addresses (each stays under its own slow-down).
    const from = Array.from({ length: LOGIN_FAILURES_TO_LOCK / PAIR_FREE_FAILURES }, (_, i) => `127.0.2.${i + 1}`);
    const statuses: number[] = [];
    for (let i = 0; i < from.length; i += PARALLEL_ADDRESSES) {
      await Promise.all(
        from.slice(i, i + PARALLEL_ADDRESSES).map(async (addr) => {
          for (let k = 0; k < PAIR_FREE_FAILURES; k++) statuses.push((await tryUpgrade(one.url, vdQuery(`wrong-${addr}-${k}`), { localAddress: addr })).status);
        }),
      );
    }
    expect(statuses).toEqual(Array(LOGIN_FAILURES_TO_LOCK).fill(401));
    console.log(
      one.lines
        .filter((l) => l.includes('not counted') || l.includes('login'))
        .slice(-5)
        .join('\n'),
    );
    console.log(
      two.lines
        .filter((l) => l.includes('cluster') || l.includes('login'))
        .slice(-5)
        .join('\n'),
    );
    const locked = await until(owner, (v) => Boolean(v.context.login.lockedUntil));
    expect(locked.context.login.lockedUntil).toBeGreaterThan(Date.now());
    // node-2 counted them: the lock is the pu actor's, which node-2 wrote, and node-1 lost none.
    expect(one.lines.filter((l) => l.includes('not counted'))).toEqual([]);
    expect(two.lines.some((l) => l.includes('device locked after failed logins in a row'))).toBe(true);
    // The right password is refused on both nodes now.
    expect((await tryUpgrade(one.url, vdQuery(DEVICE.password), { localAddress: '127.0.2.250' })).status).toBe(401);
    expect((await tryUpgrade(two.url, vdQuery(DEVICE.password), { localAddress: '127.0.2.251' })).status).toBe(401);
  });
});
