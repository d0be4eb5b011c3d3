/**
 * A network partition (docs/cluster.md, "Partitions and pauses"; issue #21 point 2): node-2 reaches PostgreSQL
 * through a TCP proxy the test cuts (silence, not a reset) while devices are connected to it and recording. node-2
 * stops writing and says so on /healthz before its lease ends; node-1 declares it dead and takes its actors; node-2
 * hands its devices over (Reschedule: they ask Vs, which gives node-1); restored, node-2 learns it was declared dead
 * and joins again as a new epoch. Throughout, the log shows one writer per actor, nothing by node-2's lost epoch after
 * node-1's first event, and every history replays.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { ADOPT_INTERVAL_MS, LAPSED_RESCHEDULE_AFTER_MS, LEASE_SAFETY_MARGIN_MS, NODE_LEASE_MS } from '../../services/cluster/membership.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { interleavedWriters } from '../helpers/writers.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import {
  eventsBy,
  health,
  nodeRow,
  onNode,
  owners,
  RECORDING_HOOKS,
  recordingState,
  replayCheck,
  startRecording,
  waitFor,
  writesAfterSuccessor,
} from './split.fixture.ts';

/** Devices per node: the fleet has twice as many, spread over the two nodes by Vs. */
const DEVICES = 5;
/** Devices of node-2 told to record before the cut. */
const RECORDING = 2;
/** Slack over a deadline for a poll, a /healthz's own database probe (1 s) and a loaded 2-core machine. */
const SLACK_MS = 3_000;
/** How long a device takes from Reschedule to online elsewhere: Vs, a login (argon2id) and GetServerInfo. */
const MOVE_MS = 20_000;
/** How long node-2 may take to rejoin once restored: its next heartbeat (every second while lapsed) and a join. */
const REJOIN_MS = 10_000;
/** Recording sessions are failed when their PU goes offline and start again once it is back (lifecycle tests). */
const RECORD_AGAIN_MS = 30_000;

/** Two nodes start, a fleet provisions, a lease lapses and a partition heals: about a minute and a half. */
setDefaultTimeout(180_000);

let cluster: TestCluster;
let proxy: TcpProxy;
let fleet: Fleet | undefined;
let cut: TestPlatform;
let cutAt = 0;
let moved: string[] = [];
/** The devices node-1 had before: they never notice. */
let stay: string[] = [];

describe.skipIf(!TEST_PG_URL)(`a node cut off from the database (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1, env: { CLUSTER_TLS_INSECURE: '1' } });
    const u = new URL(cluster.databaseUrl);
    proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
    cut = await cluster.addNode({ DATABASE_URL: proxy.via(cluster.databaseUrl) });
    // Both fleets ask node-1's Vs; node-2's devices must find a healthy node through it once node-2 is cut off.
    // One fleet, spread by Vs over both nodes (placement: the less loaded of the two for each new device).
    // Provisioned through node-2, the node that is lost: its actors' first writer (a device placed on node-1 then
    // reads node-2#1, node-1#1; never back, which interleavedWriters would take for two writers).
    fleet = await startFleet(cluster, { count: 2 * DEVICES, channels: 1, prefix: 'CAM', provisionVia: cut, device: { media: RECORDING_HOOKS } });
    await fleet.waitAllOnline();
  }, 180_000);
  afterAll(async () => {
    await fleet?.stop();
    await cluster?.cleanup();
    proxy?.close();
  });

  it('has devices on both nodes, some of node-2 recording', async () => {
    moved = onNode(fleet!, 'node-2');
    stay = onNode(fleet!, 'node-1');
    console.log(`devices per node: node-1 ${stay.length}, node-2 ${moved.length}`);
    expect(moved.length).toBeGreaterThan(RECORDING);
    expect(stay.length).toBeGreaterThan(0);
    expect(moved.length + stay.length).toBe(2 * DEVICES);
    await startRecording(cluster.nodes[0]!, moved.slice(0, RECORDING), RECORD_AGAIN_MS);
    expect(await health(cut)).toEqual({ status: 200 });
  });

  it('answers /healthz 503 naming the lost lease before the lease ends', async () => {
    proxy.cut();
    cutAt = performance.now();
    const lost = await waitFor('node-2 /healthz naming the lost lease', NODE_LEASE_MS - LEASE_SAFETY_MARGIN_MS + SLACK_MS, async () => {
      const h = await health(cut);
      return h !== 'silent' && h.status === 503 && h.error?.includes('lease lost') ? h : undefined;
    });
    console.log(`node-2 /healthz ${lost.status} "${lost.error}" ${Math.round(performance.now() - cutAt)} ms after the cut`);
  });

  it('is declared dead by node-1 once its lease ends', async () => {
    const dead = await waitFor('node-2 declared dead', NODE_LEASE_MS + ADOPT_INTERVAL_MS + SLACK_MS - (performance.now() - cutAt), async () => {
      const row = await nodeRow(cluster.databaseUrl, 'node-2');
      return row?.state === 'dead' ? row : undefined;
    });
    expect(dead.epoch).toBe(1);
    console.log(`node-2#1 declared dead ${Math.round(performance.now() - cutAt)} ms after the cut`);
  });

  it('hands its devices over: they move to node-1, which owns their actors and records again', async () => {
    const limit = LAPSED_RESCHEDULE_AFTER_MS + MOVE_MS - (performance.now() - cutAt);
    await waitFor(
      'devices of node-2 online at node-1',
      limit,
      async () => (moved.every((id) => fleet!.nodeOf(id) === 'node-1') ? true : undefined),
      () => moved.map((id) => `${id}: ${fleet!.nodeOf(id) ?? fleet!.device(id).state}`),
    );
    console.log(`${moved.length} devices of node-2 online at node-1 ${Math.round(performance.now() - cutAt)} ms after the cut`);
    const own = await owners(
      cluster.databaseUrl,
      moved.map((id) => `pu:${id}`),
    );
    for (const id of moved) expect(own.get(`pu:${id}`)).toBe('node-1#1');
    expect(cut.lines.some((l) => l.includes('lease lapsed: handing the devices to healthy nodes'))).toBe(true);
    for (const id of moved.slice(0, RECORDING)) {
      await waitFor(`${id} recording at node-1`, RECORD_AGAIN_MS, async () =>
        (await recordingState(cluster.nodes[0]!, id)) === 'recording' ? true : undefined,
      );
    }
    expect(proxy.isCut).toBe(true);
  });

  it('restored, learns it was declared dead and joins again as a new epoch', async () => {
    const before = await eventsBy(cluster.databaseUrl, 'node-2#1');
    proxy.restore();
    const restoredAt = performance.now();
    const row = await waitFor('node-2 active as epoch 2', REJOIN_MS, async () => {
      const r = await nodeRow(cluster.databaseUrl, 'node-2');
      return r?.epoch === 2 && r.state === 'active' ? r : undefined;
    });
    expect(row.epoch).toBe(2);
    await waitFor('node-2 healthy', REJOIN_MS, async () => {
      const h = await health(cut);
      return h !== 'silent' && h.status === 200 ? true : undefined;
    });
    console.log(`node-2 healthy as epoch 2 ${Math.round(performance.now() - restoredAt)} ms after the restore`);
    expect(cut.lines.some((l) => l.includes('this node was declared dead by the cluster'))).toBe(true);
    expect(await eventsBy(cluster.databaseUrl, 'node-2#1')).toBe(before); // what it held during the cut was refused
    for (const id of moved) expect(fleet!.nodeOf(id)).toBe('node-1');
    for (const id of stay) expect(fleet!.nodeOf(id)).toBe('node-1'); // node-1's own devices never noticed
  });

  it('leaves a log with one writer per actor, nothing by node-2#1 after its successor, and every history replaying', async () => {
    expect(await interleavedWriters(cluster.databaseUrl)).toEqual([]);
    expect(await writesAfterSuccessor(cluster.databaseUrl, 'node-2#1')).toEqual([]);
    const replay = await replayCheck(cluster);
    console.log(replay.summary);
    expect(replay.code).toBe(0);
  });
});
