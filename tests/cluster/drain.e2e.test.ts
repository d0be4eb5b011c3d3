/**
 * A drain on a real cluster (issue #21 point 5; docs/cluster.md "Drain and leave"): asked on node-1, the drain of
 * node-2 is forwarded there; every device of node-2 moves to node-1 or node-3 without an offline stretch longer than
 * one backoff, node-2's process exits 0, its row and node actor are `gone`, and GET /api/admin/nodes says so. A node
 * added afterwards gets new devices first. (tests/cluster/drain.test.ts is the drain's machine on one host.)
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { pgClient } from '../../db/client.ts';
import { backoffCeilingMs } from '../../device/index.ts';
import { SERVED_BY_HEADER } from '../../services/cluster/forward.ts';
import type { NodeView } from '../../services/cluster/nodes.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';
import { until } from '../helpers/wait.ts';

/** Devices before the drain: node-2 gets about a third. */
const DEVICES = 30;
/**
 * Devices started after node-4 joins. Node-4 (no load) wins every random pair it is in (2 of 3) until it has caught up
 * with the others' ~15: about 17 of 30 to it, 6 to each other node; it could get fewer than another only by long odds.
 */
const NEW_DEVICES = 30;
/** The drain's first batch waits DRAIN_BATCH_INTERVAL_MS; the devices ask Vs and log in elsewhere: seconds. */
const DRAINED_MS = 60_000;
/** A device told to Reschedule asks Vs at once: a stretch offline longer than one backoff (the first, 5 s) is a failure. */
const OFFLINE_STRETCH_MAX_MS = backoffCeilingMs(1);
/** A node joins (joining → active) within a heartbeat or two. */
const JOIN_MS = 20_000;

setDefaultTimeout(180_000);

let cluster: TestCluster;
let fleet: Fleet | undefined;
let newcomers: Fleet | undefined;

const nodesOn = async (cluster: TestCluster) => ((await (await cluster.node('node-1').api('/api/admin/nodes')).json()) as { nodes: NodeView[] }).nodes;

describe.skipIf(!TEST_PG_URL)(`draining a node of a real cluster (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
    fleet = await startFleet(cluster, { count: DEVICES, channels: 1 });
    await fleet.waitAllOnline();
  }, 150_000);
  afterAll(async () => {
    await newcomers?.stop();
    await fleet?.stop();
    await cluster?.cleanup();
  });

  it('moves every device of node-2 to the others, then node-2 exits 0 and is gone', async () => {
    const node2 = cluster.node('node-2');
    const moving = fleet!.byNode().get('node-2')!;
    console.log(`devices per node before: ${[...fleet!.byNode()].map(([n, ids]) => `${n} ${ids.length}`).join(', ')}`);
    expect(moving.length).toBeGreaterThan(0);
    const t0 = Date.now();
    const r = await cluster.node('node-1').api('/api/admin/nodes/node-2/drain', { method: 'POST' });
    expect(r.status).toBe(202);
    expect(r.headers.get(SERVED_BY_HEADER)).toBe('node-2'); // asked on node-1, forwarded to the node it drains
    const code = await Promise.race([node2.proc.exited, Bun.sleep(DRAINED_MS).then(() => 'still running')]);
    expect(code).toBe(0);
    console.log(`node-2 drained ${moving.length} devices and exited in ${Date.now() - t0} ms`);
    await fleet!.waitAllOnline(DRAINED_MS);
    const after = fleet!.byNode();
    expect(after.get('node-2')).toEqual([]);
    expect([...after.values()].reduce((n, ids) => n + ids.length, 0)).toBe(DEVICES);

    const view = (await nodesOn(cluster)).find((n) => n.id === 'node-2');
    expect(view).toMatchObject({ state: 'gone', actorState: 'gone' });
    const sql = pgClient(cluster.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const owners = await sql<{ device_id: string; owner_node: string }[]>`
        SELECT device_id, owner_node FROM actors WHERE type = 'pu' AND device_id IN ${sql(moving)}`;
      for (const o of owners) expect(o.owner_node).toBe(fleet!.nodeOf(o.device_id)!);
      // Each moved pu's history: no offline stretch longer than a backoff.
      const events = await sql<{ actor_id: string; offline: boolean; at: number }[]>`
        SELECT actor_id, value::text = '"offline"' AS offline, (extract(epoch FROM at) * 1000)::float8 AS at
        FROM actor_events WHERE actor_id IN ${sql(moving.map((id) => `pu:${id}`))} AND at >= to_timestamp(${t0 / 1000})
        ORDER BY actor_id, seq`;
      const longest = new Map<string, number>();
      let from: number | undefined;
      for (const [i, e] of events.entries()) {
        if (i > 0 && events[i - 1]!.actor_id !== e.actor_id) from = undefined;
        if (e.offline) from ??= e.at;
        else if (from !== undefined) {
          longest.set(e.actor_id, Math.max(longest.get(e.actor_id) ?? 0, e.at - from));
          from = undefined;
        }
        // Still offline at its last event: the stretch runs until now.
        if (e.offline && events[i + 1]?.actor_id !== e.actor_id) longest.set(e.actor_id, Math.max(longest.get(e.actor_id) ?? 0, Date.now() - from!));
      }
      console.log(`offline stretches during the drain: ${longest.size === 0 ? 'none' : [...longest].map(([a, ms]) => `${a} ${Math.round(ms)} ms`).join(', ')}`);
      expect([...longest].filter(([, ms]) => ms > OFFLINE_STRETCH_MAX_MS)).toEqual([]);
      const [nodeActor] = await sql<{ state_key: string }[]>`SELECT state_key FROM actors WHERE id = 'node:node-2'`;
      expect(nodeActor?.state_key).toBe('gone');
    } finally {
      await sql.end();
    }
  });

  it('gives a node added afterwards the new devices first', async () => {
    const node4 = await cluster.addNode();
    expect(cluster.idOf(node4)).toBe('node-4');
    await until(
      () => nodesOn(cluster),
      (nodes) => nodes.some((n) => n.id === 'node-4' && n.state === 'active' && n.live),
      JOIN_MS,
    );
    newcomers = await startFleet(cluster, { count: NEW_DEVICES, channels: 1, prefix: 'NEW' });
    await newcomers.waitAllOnline();
    const per = newcomers.byNode();
    console.log(`new devices per node: ${[...per].map(([n, ids]) => `${n} ${ids.length}`).join(', ')}`);
    const onNode4 = per.get('node-4')!.length;
    for (const other of ['node-1', 'node-3']) expect(onNode4).toBeGreaterThan(per.get(other)!.length);
    expect(onNode4).toBeGreaterThan(NEW_DEVICES / 3); // more than an even share: it was given first
    expect(per.get('node-2')).toEqual([]);
  });
});
