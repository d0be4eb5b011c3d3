/**
 * A paused node (docs/cluster.md, "Partitions and pauses"; issue #21 point 7): node-2 is stopped (SIGSTOP) past its
 * lease while devices are connected to it and recording. node-1 declares it dead and adopts its actors; its devices,
 * their keepalives unanswered, ask Vs and log in to node-1. Continued (SIGCONT), node-2 commits nothing for what was
 * adopted, learns it was declared dead, and joins again as a new epoch. The log shows one writer per actor, nothing by
 * node-2's lost epoch after node-1's first event, and every history replays.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { HB_INTERVAL_DEFAULT_S, RPC_TIMEOUT_S } from '../../protocol/index.ts';
import { ADOPT_INTERVAL_MS, NODE_LEASE_MS } from '../../services/cluster/membership.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';
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
/** Devices of node-2 told to record before the pause. */
const RECORDING = 2;
const MS_PER_S = 1_000;
/** Slack over a deadline for a poll and a loaded 2-core machine. */
const SLACK_MS = 3_000;
/**
 * How long node-2's devices take to be online at node-1 after the pause: a Keepalive sent up to a heartbeat interval
 * after it, unanswered for the RPC timeout, the first backoff (at most 5 s, 9.3.1.3), Vs, a login (argon2id).
 */
const MOVE_MS = (HB_INTERVAL_DEFAULT_S + RPC_TIMEOUT_S) * MS_PER_S + 5_000 + 10_000;
/** How long node-2 may take to rejoin once continued: its next heartbeat (every second while lapsed) and a join. */
const REJOIN_MS = 10_000;
/** Recording sessions are failed when their PU goes offline and start again once it is back (lifecycle tests). */
const RECORD_AGAIN_MS = 30_000;

/** Two nodes start, two fleets provision, a node sleeps past its lease and its devices move: about a minute and a half. */
setDefaultTimeout(180_000);

let cluster: TestCluster;
let fleet: Fleet | undefined;
let paused: TestPlatform;
let pausedAt = 0;
let moved: string[] = [];
/** The devices node-1 had before: they never notice. */
let stay: string[] = [];

describe.skipIf(!TEST_PG_URL)(`a node paused past its lease (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2, env: { CLUSTER_TLS_INSECURE: '1' } });
    paused = cluster.node('node-2');
    // Both fleets ask node-1's Vs (node-2's Vs sleeps with it).
    // One fleet, spread by Vs over both nodes (placement: the less loaded of the two for each new device).
    // Provisioned through node-2, the node that is lost: its actors' first writer (a device placed on node-1 then
    // reads node-2#1, node-1#1; never back, which interleavedWriters would take for two writers).
    fleet = await startFleet(cluster, { count: 2 * DEVICES, channels: 1, prefix: 'CAM', provisionVia: paused, device: { media: RECORDING_HOOKS } });
    await fleet.waitAllOnline();
  }, 180_000);
  afterAll(async () => {
    if (paused?.proc.exitCode === null) paused.proc.kill('SIGCONT');
    await fleet?.stop();
    await cluster?.cleanup();
  });

  it('has devices on both nodes, some of node-2 recording', async () => {
    moved = onNode(fleet!, 'node-2');
    stay = onNode(fleet!, 'node-1');
    expect(moved.length).toBeGreaterThan(RECORDING);
    expect(stay.length).toBeGreaterThan(0);
    expect(moved.length + stay.length).toBe(2 * DEVICES);
    await startRecording(cluster.nodes[0]!, moved.slice(0, RECORDING), RECORD_AGAIN_MS);
  });

  it('stopped, is declared dead by node-1 once its lease ends, and answers nothing meanwhile', async () => {
    paused.proc.kill('SIGSTOP');
    pausedAt = performance.now();
    const dead = await waitFor('node-2 declared dead', NODE_LEASE_MS + ADOPT_INTERVAL_MS + SLACK_MS, async () => {
      const row = await nodeRow(cluster.databaseUrl, 'node-2');
      return row?.state === 'dead' ? row : undefined;
    });
    expect(dead.epoch).toBe(1);
    console.log(`node-2#1 declared dead ${Math.round(performance.now() - pausedAt)} ms after SIGSTOP`);
    expect(await health(paused)).toBe('silent');
  });

  it('loses its devices to node-1, which owns their actors and records again', async () => {
    await waitFor(
      'devices of node-2 online at node-1',
      MOVE_MS - (performance.now() - pausedAt),
      async () => (moved.every((id) => fleet!.nodeOf(id) === 'node-1') ? true : undefined),
      () => moved.map((id) => `${id}: ${fleet!.nodeOf(id) ?? `${fleet!.device(id).state} (${fleet!.device(id).context.reason})`}`),
    );
    console.log(`${moved.length} devices of node-2 online at node-1 ${Math.round(performance.now() - pausedAt)} ms after SIGSTOP`);
    const own = await owners(
      cluster.databaseUrl,
      moved.map((id) => `pu:${id}`),
    );
    for (const id of moved) expect(own.get(`pu:${id}`)).toBe('node-1#1');
    for (const id of moved.slice(0, RECORDING)) {
      await waitFor(`${id} recording at node-1`, RECORD_AGAIN_MS, async () =>
        (await recordingState(cluster.nodes[0]!, id)) === 'recording' ? true : undefined,
      );
    }
    expect(performance.now() - pausedAt).toBeGreaterThan(NODE_LEASE_MS);
  });

  it('continued, commits nothing as its old epoch, learns it was declared dead and joins again as a new epoch', async () => {
    const before = await eventsBy(cluster.databaseUrl, 'node-2#1');
    paused.proc.kill('SIGCONT');
    const continuedAt = performance.now();
    const first = await health(paused);
    console.log(`node-2 /healthz right after SIGCONT: ${JSON.stringify(first)}`);
    expect(first === 'silent' || first.status === 503 || first.status === 200).toBe(true);
    await waitFor('node-2 active as epoch 2', REJOIN_MS, async () => {
      const r = await nodeRow(cluster.databaseUrl, 'node-2');
      return r?.epoch === 2 && r.state === 'active' ? r : undefined;
    });
    await waitFor('node-2 healthy', REJOIN_MS, async () => {
      const h = await health(paused);
      return h !== 'silent' && h.status === 200 ? true : undefined;
    });
    console.log(`node-2 healthy as epoch 2 ${Math.round(performance.now() - continuedAt)} ms after SIGCONT`);
    expect(paused.lines.some((l) => l.includes('this node was declared dead by the cluster'))).toBe(true);
    expect(await eventsBy(cluster.databaseUrl, 'node-2#1')).toBe(before);
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
