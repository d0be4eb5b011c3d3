/**
 * kill -9 of a node holding devices (issue #21 point 4; docs/cluster.md): node-2's devices (two recording, one with a
 * live viewer, all with acknowledged alarms) are online on node-1 or node-3 again within a generous bound; no
 * acknowledged alarm is lost; every confirmed segment is still listed and plays; the recordings resume by themselves;
 * the viewer asking again gets a URL on the new node and video; the event log replays (`bun run replay-check`) and
 * shows one writer per actor (tests/helpers/writers.ts).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { join } from 'node:path';
import { ffmpegLive, Recorder } from '../../device/index.ts';
import type { NodeView } from '../../services/cluster/nodes.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';
import { type LiveTicket, playRange, srtFrames } from '../helpers/media.ts';
import { until } from '../helpers/wait.ts';
import { interleavedWriters } from '../helpers/writers.ts';

/** Devices: node-2 gets about four (two to record, one to watch). */
const DEVICES = 12;
/** The issue's generous bound on a killed node's devices being online elsewhere (measured: printed). */
const BACK_ONLINE_MS = 90_000;
/** Seconds per recorded segment: short, so segments are confirmed before and after the kill within seconds. */
const SEG_DURATION_S = 1;
/** Confirmed segments per recording before the kill. */
const SEGMENTS_BEFORE = 2;
/** A confirmed segment takes a segment's length, an upload and the next create: seconds. */
const SEGMENTS_MS = 30_000;
/** After the devices are back: StartRecord again, a segment recorded, uploaded and confirmed. */
const RESUMED_MS = 60_000;
/** Seconds of live video pulled by a viewer. */
const PULL_S = 2;
/** Motion alarm (Table I.7 type 3): a "state" alarm, so it has a start the device raises. */
const MOTION = 3;
const MS_PER_S = 1_000;
const ROOT = join(import.meta.dir, '..', '..');

setDefaultTimeout(300_000);

let cluster: TestCluster;
let fleet: Fleet | undefined;
const recorder = new Recorder({ tls: { rejectUnauthorized: false } });

type Listing = { segments: Array<{ name: string; start: number; end: number }> };
const listing = async (id: string, from: number): Promise<Listing> =>
  (await cluster.node('node-1').api(`/api/devices/${id}/channels/0/recordings?from=${from}`)).json() as Promise<Listing>;
const alarmIds = async (node: string, id: string): Promise<string[]> =>
  ((await (await cluster.node(node).api(`/api/devices/${id}/alarms`)).json()) as { alarms: Array<{ id: string }> }).alarms.map((a) => a.id);
const srtPortOf = async (node: string): Promise<number> => {
  const { nodes } = (await (await cluster.node('node-1').api('/api/admin/nodes')).json()) as { nodes: NodeView[] };
  return nodes.find((n) => n.id === node)!.ports.srt;
};
const watch = async (id: string): Promise<LiveTicket> => {
  const r = await cluster.node('node-1').api(`/api/devices/${id}/channels/0/live`, { method: 'POST', body: '{}' });
  if (r.status !== 201) throw new Error(`watch ${id}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<LiveTicket>;
};

describe.skipIf(!TEST_PG_URL)(`kill -9 of a node holding devices (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
    // Provisioned through node-2, the node that dies: the pu actors' first writer is never written to again, so the
    // writers check cannot mistake a device placed back on its provisioning node for two writers interleaved.
    fleet = await startFleet(cluster, {
      count: DEVICES,
      channels: 1,
      provisionVia: cluster.node('node-2'),
      device: { media: { ...ffmpegLive(), ...recorder.hooks } },
    });
    await fleet.waitAllOnline();
  }, 150_000);
  afterAll(async () => {
    await fleet?.stop();
    await recorder.idle(SEGMENTS_MS).catch(() => {});
    await cluster?.cleanup();
  });

  it('brings back its devices elsewhere, with their alarms, recordings and live video, and a clean event log', async () => {
    const victims = fleet!.byNode().get('node-2')!;
    console.log(`devices per node: ${[...fleet!.byNode()].map(([n, ids]) => `${n} ${ids.length}`).join(', ')}`);
    expect(victims.length).toBeGreaterThanOrEqual(2);
    const recording = victims.slice(0, 2);
    const viewed = victims.at(-1)!;
    const from = Math.floor(Date.now() / MS_PER_S) - 60;

    // Before: recordings with confirmed segments, acknowledged alarms, a viewer getting video from node-2.
    for (const id of recording) {
      const r = await cluster.node('node-1').api(`/api/devices/${id}/channels/0/recording`, {
        method: 'POST',
        body: JSON.stringify({ seg_duration: SEG_DURATION_S }),
      });
      expect(r.status).toBe(201);
    }
    for (const id of victims) await fleet!.device(id).camera.raiseAlarm(MOTION); // resolved: the platform answered it
    const alarmsBefore = new Map<string, string[]>();
    for (const id of victims) alarmsBefore.set(id, await alarmIds('node-1', id));
    for (const ids of alarmsBefore.values()) expect(ids.length).toBeGreaterThan(0);
    const ticket = await watch(viewed);
    expect(Number(new URL(ticket.srt_url).port)).toBe(await srtPortOf('node-2'));
    expect(new URL(ticket.ws_url).port).toBe(String(cluster.node('node-2').port));
    expect(await srtFrames(ticket.srt_url, PULL_S)).toBeGreaterThan(0);
    const confirmedBefore = new Map<string, Listing['segments']>();
    for (const id of recording) {
      const l = await until(
        () => listing(id, from),
        (v) => v.segments.length >= SEGMENTS_BEFORE,
        SEGMENTS_MS,
      );
      confirmedBefore.set(id, l.segments);
    }

    // The kill, with a viewer still pulling from node-2.
    const viewer = Bun.spawn(['ffmpeg', '-loglevel', 'quiet', '-i', (await watch(viewed)).srt_url, '-f', 'null', '-'], { stderr: 'ignore' });
    await cluster.node('node-2').kill9();
    const killedAt = Date.now();
    const killedAtS = killedAt / MS_PER_S;
    await Promise.all(victims.map((id) => fleet!.device(id).waitFor((d) => d.state === 'online' && fleet!.nodeOf(d.id) !== 'node-2', BACK_ONLINE_MS)));
    const backMs = Date.now() - killedAt;
    console.log(
      `node-2's ${victims.length} devices online elsewhere ${backMs} ms after the kill: ${victims.map((id) => `${id} → ${fleet!.nodeOf(id)}`).join(', ')}`,
    );
    viewer.kill('SIGKILL');

    // No acknowledged alarm lost, on either survivor.
    for (const [id, before] of alarmsBefore) {
      for (const node of ['node-1', 'node-3']) expect(await alarmIds(node, id)).toEqual(expect.arrayContaining(before));
    }
    // Every confirmed segment still listed, and the range plays.
    for (const [id, before] of confirmedBefore) {
      const after = await listing(id, from);
      expect(after.segments.map((s) => s.name)).toEqual(expect.arrayContaining(before.map((s) => s.name)));
      const played = await playRange(cluster.node('node-3'), cluster.adminToken, id, before[0]!.start, before.at(-1)!.end);
      expect(played.errors).toEqual([]);
      expect(played.frames).toBeGreaterThan(0);
    }
    // The recordings resume by themselves: a segment recorded after the kill is confirmed.
    for (const id of recording) {
      const l = await until(
        () => listing(id, from),
        (v) => v.segments.some((s) => s.start > killedAtS),
        RESUMED_MS,
      );
      console.log(`${id}: ${l.segments.filter((s) => s.start > killedAtS).length} segments confirmed since the kill`);
    }
    // The viewer asks again: a URL on the node the device is on now, and video.
    const again = await watch(viewed);
    const now = fleet!.nodeOf(viewed)!;
    expect(Number(new URL(again.srt_url).port)).toBe(await srtPortOf(now));
    expect(new URL(again.ws_url).port).toBe(String(cluster.node(now).port));
    expect(await srtFrames(again.srt_url, PULL_S)).toBeGreaterThan(0);

    for (const id of recording) expect((await cluster.node('node-1').api(`/api/devices/${id}/channels/0/recording`, { method: 'DELETE' })).status).toBe(202);
    // The event log: every actor replays to its recorded states, and no two writers interleaved.
    const replay = Bun.spawn(['bun', 'run', 'replay-check'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: cluster.databaseUrl },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [code, out, err] = await Promise.all([replay.exited, new Response(replay.stdout).text(), new Response(replay.stderr).text()]);
    console.log(out.trim().split('\n').at(-1));
    expect({ code, out: code === 0 ? '' : out + err }).toEqual({ code: 0, out: '' });
    expect(await interleavedWriters(cluster.databaseUrl)).toEqual([]);
  });
});
