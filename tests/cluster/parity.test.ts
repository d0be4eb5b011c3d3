/**
 * Any node serves any request (issue #21 point 3; docs/cluster.md): for a device node-2 owns, its owner gets the same
 * answers on node-1 and node-3 as on node-2 for an RPC, a live watch (whose URLs name node-2, and which a real SRT and
 * WSS viewer play), recording start, show, list and stop, and playback of a confirmed segment. A user who does not
 * own the device is refused (404, as on one node) on every node.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { ffmpegLive, Recorder } from '../../device/index.ts';
import { SERVED_BY_HEADER } from '../../services/cluster/forward.ts';
import type { NodeView } from '../../services/cluster/nodes.ts';
import { bindTo } from '../helpers/bind.ts';
import { CLUSTER_SKIP_REASON, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { type Fleet, startFleet } from '../helpers/fleet.ts';
import { type LiveTicket, playRange, srtFrames, TS_PACKET_BYTES, wsPackets } from '../helpers/media.ts';
import { userToken } from '../helpers/platform.ts';
import { until } from '../helpers/wait.ts';

/** Devices: enough that node-2 has one (placement spreads them). */
const DEVICES = 6;
const NODES = ['node-1', 'node-2', 'node-3'] as const;
/** Seconds of live video an SRT viewer pulls. */
const PULL_S = 2;
/** TS packets a WSS viewer waits for: a few hundred, some frames' worth. */
const WS_PACKETS = 500;
/** Seconds per recorded segment. */
const SEG_DURATION_S = 1;
/** Confirmed segments wanted before playback. */
const SEGMENTS = 2;
/** Segments of a second each, uploaded and confirmed by the next create: seconds. */
const SEGMENTS_MS = 30_000;
/** The start of the listed range: a minute before the test, device clocks being the platform's (Vs SyncTime). */
const RANGE_BEFORE_S = 60;
const MS_PER_S = 1_000;

setDefaultTimeout(120_000);

let cluster: TestCluster;
let fleet: Fleet | undefined;
const recorder = new Recorder({ tls: { rejectUnauthorized: false } });
let id: string;
let alice: string;
let bob: string;
const from = Math.floor(Date.now() / MS_PER_S) - RANGE_BEFORE_S;

/** `path` asked on every node with `token`: the responses, node-1 first. */
const onEvery = (path: string, token: string, init: RequestInit = {}) => Promise.all(NODES.map((n) => cluster.node(n).api(path, { ...init, token })));
/** A non-owner is refused on every node: 404, as another user's camera always is (README). */
const refusedEverywhere = async (path: string, init: RequestInit = {}) => {
  for (const r of await onEvery(path, bob, init)) expect(r.status).toBe(404);
};
const servedBy = (rs: Response[]) => rs.map((r) => r.headers.get(SERVED_BY_HEADER));

describe.skipIf(!TEST_PG_URL)(`any node serves any request (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
    fleet = await startFleet(cluster, { count: DEVICES, channels: 1, device: { media: { ...ffmpegLive(), ...recorder.hooks } } });
    await fleet.waitAllOnline();
    id = fleet.byNode().get('node-2')![0]!;
    alice = await userToken(cluster.node('node-1'), 'alice');
    bob = await userToken(cluster.node('node-3'), 'bob');
    await bindTo(cluster.node('node-3'), alice, fleet.device(id));
  }, 150_000);
  afterAll(async () => {
    await fleet?.stop();
    await recorder.idle(SEGMENTS_MS).catch(() => {});
    await cluster?.cleanup();
  });

  it("answers an RPC and the device's status the same on every node, from node-2", async () => {
    const body = JSON.stringify({ req: 'GetPTZPresetList', params: { channel: 0 } });
    const rs = await onEvery(`/api/devices/${id}/rpc`, alice, { method: 'POST', body });
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(servedBy(rs)).toEqual(['node-2', null, 'node-2']);
    const [a, b, c] = await Promise.all(rs.map((r) => r.json()));
    expect(a).toEqual(b);
    expect(c).toEqual(b);
    const status = await Promise.all((await onEvery(`/api/devices/${id}`, alice)).map((r) => r.json()));
    for (const s of status)
      expect({ state: s.state, owner: s.owner_id, channels: s.channels }).toEqual({ state: status[1].state, owner: status[1].owner_id, channels: [0] });
    await refusedEverywhere(`/api/devices/${id}/rpc`, { method: 'POST', body });
    await refusedEverywhere(`/api/devices/${id}`);
  });

  it('gives the same live stream on every node, with URLs naming node-2, and real viewers get video', async () => {
    const rs = await onEvery(`/api/devices/${id}/channels/0/live`, alice, { method: 'POST', body: '{}' });
    expect(rs.map((r) => r.status)).toEqual([201, 201, 201]);
    const tickets = (await Promise.all(rs.map((r) => r.json()))) as LiveTicket[];
    expect(new Set(tickets.map((t) => t.stream_id)).size).toBe(1); // one stream of the channel, wherever asked
    const { nodes } = (await (await cluster.node('node-1').api('/api/admin/nodes')).json()) as { nodes: NodeView[] };
    const node2 = nodes.find((n) => n.id === 'node-2')!;
    for (const t of tickets) {
      expect(new URL(t.srt_url).port).toBe(String(node2.ports.srt));
      expect(new URL(t.ws_url).host).toBe(`${node2.publicHost}:${node2.ports.http}`);
    }
    expect(await srtFrames(tickets[2]!.srt_url, PULL_S)).toBeGreaterThan(0); // asked on node-3
    const ts = await wsPackets(tickets[0]!.ws_url, WS_PACKETS); // asked on node-1
    for (let i = 0; i + TS_PACKET_BYTES <= ts.length; i += TS_PACKET_BYTES) expect(ts[i]).toBe(0x47);
    await refusedEverywhere(`/api/devices/${id}/channels/0/live`, { method: 'POST', body: '{}' });
  });

  it('starts, shows, lists and stops a recording the same on every node, and plays a confirmed segment from each', async () => {
    await refusedEverywhere(`/api/devices/${id}/channels/0/recording`, { method: 'POST', body: '{}' });
    const start = await cluster.node('node-3').api(`/api/devices/${id}/channels/0/recording`, {
      token: alice,
      method: 'POST',
      body: JSON.stringify({ seg_duration: SEG_DURATION_S }),
    });
    expect(start.status).toBe(201);
    expect(start.headers.get(SERVED_BY_HEADER)).toBe('node-2');
    const session = (await start.json()).session_id as string;
    const shown = await Promise.all((await onEvery(`/api/devices/${id}/channels/0/recording`, alice)).map((r) => r.json()));
    for (const s of shown) expect(s.session_id).toBe(session);
    const listPath = `/api/devices/${id}/channels/0/recordings?from=${from}`;
    await until(
      async () => (await (await cluster.node('node-1').api(listPath, { token: alice })).json()).segments.length,
      (n) => n >= SEGMENTS,
      SEGMENTS_MS,
    );
    const stop = await cluster.node('node-1').api(`/api/devices/${id}/channels/0/recording`, { token: alice, method: 'DELETE' });
    expect(stop.status).toBe(202);
    await until(
      async () => (await (await cluster.node('node-3').api(`/api/devices/${id}/channels/0/recording`, { token: alice })).json()).state,
      (s) => s === 'stopped',
      SEGMENTS_MS,
    );
    await recorder.idle(SEGMENTS_MS);
    const lists = await Promise.all((await onEvery(listPath, alice)).map((r) => r.json()));
    expect(lists[0]).toEqual(lists[1]);
    expect(lists[2]).toEqual(lists[1]);
    const segs = lists[1].segments as Array<{ start: number; end: number }>;
    expect(segs.length).toBeGreaterThanOrEqual(SEGMENTS);
    const plays = await Promise.all(NODES.map((n) => playRange(cluster.node(n), alice, id, segs[0]!.start, segs.at(-1)!.end)));
    for (const p of plays) {
      expect(p.errors).toEqual([]);
      expect(p.frames).toBeGreaterThan(0);
    }
    expect(new Set(plays.map((p) => p.frames)).size).toBe(1); // the same video, wherever asked
    await refusedEverywhere(listPath);
    await refusedEverywhere(`/api/devices/${id}/channels/0/playback.m3u8?from=${segs[0]!.start}&to=${segs.at(-1)!.end}`);
    await refusedEverywhere(`/api/devices/${id}/channels/0/recording`, { method: 'DELETE' });
  });
});
