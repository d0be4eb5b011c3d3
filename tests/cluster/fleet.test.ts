import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';

/** The fleet the cluster tests need (issue #21: 300 devices over 3 nodes), all in this one test process. */
const DEVICES = 300;
/** Channels per device: two, so stream and recording actors have more than one channel to work on. */
const CHANNELS = 2;
/**
 * Most memory the fleet may add to the test process, bytes. Measured: 51 MiB for 300 devices of 2 channels (about
 * 170 KiB each); four times that still catches a leak per device.
 */
const FLEET_RSS_MAX_BYTES = 256 * 2 ** 20;
/** How long the idle fleet's CPU is measured, ms: a full heartbeat interval (HB_INTERVAL_S, 10 s), so every device keeps alive once. */
const IDLE_WINDOW_MS = 10_000;
/** Most of one core the idle fleet may use in this process: measured 3 % (300 keepalives per 10 s); five times that. */
const IDLE_CPU_MAX_SHARE = 0.15;
const US_PER_MS = 1_000;
const BYTES_PER_MIB = 2 ** 20;

/**
 * Provisioning 300 devices (an argon2id hash each on the node: about 115 ms per device here, 35 s), a paced start (the
 * Vs budget: 12 s), an idle window: about a minute measured, four allowed.
 */
setDefaultTimeout(240_000);

let cluster: TestCluster;
let fleet: Fleet | undefined;
let rssBefore = 0;

describe.skipIf(!TEST_PG_URL)(`a fleet of ${DEVICES} simulated devices on a test cluster (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
    rssBefore = process.memoryUsage().rss;
  }, 120_000);
  afterAll(async () => {
    await fleet?.stop();
    await cluster?.cleanup();
  });

  it(`provisions ${DEVICES} devices through node-1 and brings them all online`, async () => {
    const t0 = performance.now();
    fleet = await startFleet(cluster, { count: DEVICES, channels: CHANNELS });
    await fleet.waitAllOnline();
    const ms = Math.round(performance.now() - t0);
    const { devices } = (await (await cluster.nodes[0]!.api('/api/admin/devices')).json()) as { devices: Array<{ channels: number[] }> };
    expect(devices).toHaveLength(DEVICES);
    expect(devices.every((d) => d.channels.length === CHANNELS)).toBe(true);
    console.log(`${DEVICES} devices provisioned and online in ${ms} ms`);
  });

  it('says which node each device is connected to', () => {
    const byNode = fleet!.byNode();
    expect([...byNode.keys()]).toEqual(['node-1', 'node-2', 'node-3']);
    const counted = [...byNode.values()].reduce((n, ids) => n + ids.length, 0);
    expect(counted).toBe(DEVICES);
    for (const d of fleet!.devices) expect(byNode.get(fleet!.nodeOf(d.id)!)).toContain(d.id);
    console.log(`devices per node: ${[...byNode].map(([node, ids]) => `${node} ${ids.length}`).join(', ')}`);
  });

  it(`holds ${DEVICES} devices in one test process within bounded memory and CPU`, async () => {
    const cpu0 = process.cpuUsage();
    await Bun.sleep(IDLE_WINDOW_MS);
    const cpu = process.cpuUsage(cpu0);
    const cpuShare = (cpu.user + cpu.system) / US_PER_MS / IDLE_WINDOW_MS;
    const rss = process.memoryUsage().rss;
    console.log(
      `fleet: RSS ${Math.round(rss / BYTES_PER_MIB)} MiB (${Math.round((rss - rssBefore) / BYTES_PER_MIB)} MiB over the cluster's start), idle CPU ${(cpuShare * 100).toFixed(1)} % of a core`,
    );
    expect(rss - rssBefore).toBeLessThan(FLEET_RSS_MAX_BYTES);
    expect(cpuShare).toBeLessThan(IDLE_CPU_MAX_SHARE);
    expect(fleet!.devices.every((d) => d.state === 'online')).toBe(true);
  });
});
