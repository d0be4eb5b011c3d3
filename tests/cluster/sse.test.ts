/**
 * One console feed for the whole cluster (issue #21 point 9; docs/cluster.md "Server-sent events"): `/api/events`
 * opened on node-1 carries the transitions of actors that node-2 and node-3 own (their devices going offline), and a
 * plain user's feed on node-1 carries their own device only.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { pgClient } from '../../db/client.ts';
import { CLUSTER_FEED_REFRESH_MS } from '../../services/cluster/cluster-feed.ts';
import { bindTo } from '../helpers/bind.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';
import { userToken } from '../helpers/platform.ts';
import { openFeed } from '../helpers/sse.ts';
import { until } from '../helpers/wait.ts';

/** Devices: enough that Vs gives node-2 and node-3 two each (placement spreads them; tests/cluster/spread.test.ts). */
const DEVICES = 12;
/** Slack after the feed refresh for node-1 to connect to the other nodes' feeds. */
const FOLLOW_SLACK_MS = 1_500;
/** A stopped device's socket closes at once; its pu goes offline and the transition crosses two nodes: seconds. */
const OFFLINE_SEEN_MS = 30_000;
/** After the last expected frame: room for a frame that should not come (an echo, a foreign device). */
const QUIET_MS = 1_500;

setDefaultTimeout(150_000);

let cluster: TestCluster;
let fleet: Fleet | undefined;

describe.skipIf(!TEST_PG_URL)(`a console feed on node-1 carries the whole cluster (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
    fleet = await startFleet(cluster, { count: DEVICES, channels: 1 });
    await fleet.waitAllOnline();
  }, 150_000);
  afterAll(async () => {
    await fleet?.stop();
    await cluster?.cleanup();
  });

  it("carries node-2's and node-3's transitions to node-1's consoles, and a user sees only their own device's", async () => {
    const node1 = cluster.node('node-1');
    const byNode = fleet!.byNode();
    console.log(`devices per node: ${[...byNode].map(([n, ids]) => `${n} ${ids.length}`).join(', ')}`);
    const [mine, other2] = byNode.get('node-2')!;
    const [theirs, other3] = byNode.get('node-3')!;
    expect([mine, other2, theirs, other3].every(Boolean)).toBe(true);
    const alice = await userToken(node1, 'alice');
    const bob = await userToken(node1, 'bob');
    await bindTo(node1, alice, fleet!.device(mine!));
    await bindTo(node1, bob, fleet!.device(theirs!));

    const admin = await openFeed(node1, '/api/events?topic=actors&type=pu');
    const adminDevices = await openFeed(node1, '/api/events');
    const aliceDevices = await openFeed(node1, '/api/events', alice);
    const aliceActors = await openFeed(node1, `/api/events?topic=actors&device=${mine}`, alice);
    const aliceSpying = await openFeed(node1, `/api/events?topic=actors&device=${theirs}`, alice);
    await Bun.sleep(CLUSTER_FEED_REFRESH_MS + FOLLOW_SLACK_MS); // node-1 now follows node-2's and node-3's feeds

    const stopped = [mine!, other2!, theirs!, other3!];
    for (const id of stopped) await fleet!.device(id).stop();
    const offlineIn = (feed: typeof admin, id: string) =>
      feed.of('transition').some((f) => f.data.actorId === `pu:${id}` && String(f.data.stateKey).startsWith('offline'));
    await until(
      async () => stopped.filter((id) => !offlineIn(admin, id)),
      (missing) => missing.length === 0,
      OFFLINE_SEEN_MS,
    );
    await until(
      async () => stopped.filter((id) => !adminDevices.of('device').some((f) => f.data.device_id === id && f.data.state === 'offline')),
      (missing) => missing.length === 0,
      OFFLINE_SEEN_MS,
    );
    await until(async () => aliceDevices.of('device').some((f) => f.data.device_id === mine && f.data.state === 'offline'), Boolean, OFFLINE_SEEN_MS);
    await until(async () => offlineIn(aliceActors, mine!), Boolean, OFFLINE_SEEN_MS);
    await Bun.sleep(QUIET_MS);

    // Those transitions were node-2's and node-3's, not node-1's: the actors are owned there.
    const sql = pgClient(cluster.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const owners = await sql<{ device_id: string; owner_node: string }[]>`
        SELECT device_id, owner_node FROM actors WHERE type = 'pu' AND device_id IN ${sql(stopped)} ORDER BY device_id`;
      expect(Object.fromEntries(owners.map((o) => [o.device_id, o.owner_node]))).toEqual({
        [mine!]: 'node-2',
        [other2!]: 'node-2',
        [theirs!]: 'node-3',
        [other3!]: 'node-3',
      });
    } finally {
      await sql.end();
    }
    // Each transition once: node-1 relays the others' feeds and never echoes them back to itself.
    const seqs = admin.of('transition').map((f) => `${f.data.actorId}#${f.data.seq}`);
    expect(seqs.length).toBe(new Set(seqs).size);
    // Alice: her device only, on both topics; asking for Bob's device gives her nothing of it.
    expect(new Set(aliceDevices.of('device').map((f) => f.data.device_id))).toEqual(new Set([mine]));
    expect(new Set(aliceActors.of('transition').map((f) => f.data.actorId))).toEqual(new Set([`pu:${mine}`]));
    expect(aliceSpying.of('transition')).toEqual([]);
    for (const f of [admin, adminDevices, aliceDevices, aliceActors, aliceSpying]) f.close();
  });
});
