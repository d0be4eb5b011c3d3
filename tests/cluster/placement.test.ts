/** Vs placement over the rows of `cluster_nodes` (docs/cluster.md "Vs spreads the devices"), on a fresh database. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { PLACEMENT_CACHE_MS, PLACEMENT_PROBE_TTL_MS, Placement } from '../../services/cluster/placement.ts';
import { putNode, putOwnedPu } from './nodes.fixture.ts';

const SELF = { host: '127.0.0.1', port: 8443 };
let t: TestDb;
let clock = 0;

beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.cleanup();
});
beforeEach(async () => {
  await t.db.rows(sql`DELETE FROM cluster_nodes`);
  await t.db.rows(sql`DELETE FROM actors`);
  refusing.clear();
  probed.length = 0;
});

/** Nodes whose probe fails (a test's stand-in for a killed node: the probe itself is canConnect, tested in forward's tests). */
const refusing = new Set<string>();
/** Probes made, by base URL. */
const probed: string[] = [];
const probe = async (baseUrl: string) => {
  probed.push(baseUrl);
  return !refusing.has(baseUrl);
};
/** A placement for node `me`, on the test clock, drawing from `draws` in turn (then 0). */
function placement(me = 'me', draws: number[] = []) {
  let i = 0;
  return new Placement({ db: t.db, nodeId: me, self: () => SELF, now: () => clock, probe, random: () => draws[i++ % Math.max(1, draws.length)] ?? 0 });
}
/** Let the placement cache lapse. */
const later = () => {
  clock += PLACEMENT_CACHE_MS;
};

describe('placement on one node', () => {
  it('gives this node, as Vs always did, when no node row exists (PGlite, or before membership)', async () => {
    expect(await placement().choose('cam-1')).toEqual({ nodeId: 'me', ...SELF });
  });

  it("answers with this node's own host and port when it is the node chosen, not its row's", async () => {
    await putNode(t.db, { id: 'me', host: 'other-name', httpPort: 1 });
    expect(await placement().choose('cam-1')).toEqual({ nodeId: 'me', ...SELF });
  });

  it('gives this node when no node is active and live', async () => {
    await putNode(t.db, { id: 'a', state: 'draining' });
    await putNode(t.db, { id: 'b', state: 'dead', leaseS: -1 });
    await putNode(t.db, { id: 'c', state: 'joining' });
    await putNode(t.db, { id: 'd', state: 'active', leaseS: -1 });
    expect(await placement().choose('cam-1')).toEqual({ nodeId: 'me', ...SELF });
  });
});

describe('placement in a cluster', () => {
  it('never gives a draining, dead, joining or lapsed node', async () => {
    await putNode(t.db, { id: 'a', state: 'draining', pus: 0 });
    await putNode(t.db, { id: 'b', state: 'dead', pus: 0, leaseS: -1 });
    await putNode(t.db, { id: 'c', state: 'active', pus: 0, leaseS: -1 });
    await putNode(t.db, { id: 'd', state: 'active', pus: 5000, host: 'd.example', httpPort: 9443 });
    const p = placement('me', [0.1, 0.5, 0.9, 0.3]);
    for (let i = 0; i < 20; i++) expect(await p.choose(`cam-${i}`)).toEqual({ nodeId: 'd', host: 'd.example', port: 9443 });
  });

  it('keeps a device on the node that owns its pu actor while that node is active and live (sticky)', async () => {
    await putNode(t.db, { id: 'a', epoch: 4, pus: 9000 });
    await putNode(t.db, { id: 'b', pus: 0 });
    await putOwnedPu(t.db, 'cam-1', 'a', 4);
    expect((await placement().choose('cam-1')).nodeId).toBe('a');
  });

  it('keeps an offline device on its owner too: it reconnects where its actors are', async () => {
    await putNode(t.db, { id: 'a', pus: 9000 });
    await putNode(t.db, { id: 'b', pus: 0 });
    await putOwnedPu(t.db, 'cam-1', 'a', 1, 'offline');
    expect((await placement().choose('cam-1')).nodeId).toBe('a');
  });

  it('does not keep a device that never logged in on the node that created or scheduled its pu actor', async () => {
    await putNode(t.db, { id: 'a', pus: 9000 });
    await putNode(t.db, { id: 'b', pus: 0 });
    await putOwnedPu(t.db, 'cam-1', 'a', 1, 'provisioned');
    expect((await placement().choose('cam-1')).nodeId).toBe('b');
    await putOwnedPu(t.db, 'cam-2', 'a', 1, 'scheduled');
    expect((await placement().choose('cam-2')).nodeId).toBe('b');
  });

  it('does not keep a device on an owner of an older epoch, or one draining', async () => {
    await putNode(t.db, { id: 'a', epoch: 5, pus: 9000 });
    await putNode(t.db, { id: 'b', pus: 0 });
    await putOwnedPu(t.db, 'cam-1', 'a', 4);
    expect((await placement().choose('cam-1')).nodeId).toBe('b');
    await putOwnedPu(t.db, 'cam-1', 'a', 5);
    await putNode(t.db, { id: 'a', epoch: 5, state: 'draining', pus: 9000 });
    later();
    expect((await placement().choose('cam-1')).nodeId).toBe('b');
  });

  it('sends a new device to the less loaded of two, counting the devices it sent since their heartbeats', async () => {
    await putNode(t.db, { id: 'a', pus: 10 });
    await putNode(t.db, { id: 'b', pus: 5 });
    const p = placement('me', [0, 0.5]);
    // b has 5 and gets the next 5 (5+5 = 10 is not less than a's 10: a ties and wins the draw's first pick).
    const given: string[] = [];
    for (let i = 0; i < 8; i++) given.push((await p.choose(`cam-${i}`)).nodeId);
    expect(given.slice(0, 5)).toEqual(['b', 'b', 'b', 'b', 'b']);
    expect(given.slice(5)).toEqual(['a', 'b', 'a']);
  });

  it("forgets its count for a node once that node's next heartbeat reports its load", async () => {
    await putNode(t.db, { id: 'a', pus: 10 });
    await putNode(t.db, { id: 'b', pus: 5 });
    const p = placement('me', [0, 0.5]);
    for (let i = 0; i < 5; i++) await p.choose(`cam-${i}`);
    // Without a new heartbeat a fresh read keeps the count: b is at 10, a tie, and a (drawn first) wins.
    later();
    expect((await p.choose('cam-x')).nodeId).toBe('a');
    // b's heartbeat now reports 6 PUs: the count restarts and b is less loaded again.
    await putNode(t.db, { id: 'b', pus: 6 });
    later();
    expect((await p.choose('cam-y')).nodeId).toBe('b');
  });

  it('gives neither the owner nor a new device a node whose address refuses connections (killed, before its lease ends)', async () => {
    await putNode(t.db, { id: 'a', epoch: 2, pus: 0, host: 'a.example' });
    await putNode(t.db, { id: 'b', pus: 9000, host: 'b.example' });
    await putOwnedPu(t.db, 'cam-1', 'a', 2);
    refusing.add('https://a.example:8443');
    const p = placement();
    expect((await p.choose('cam-1')).nodeId).toBe('b');
    expect((await p.choose('cam-2')).nodeId).toBe('b');
    // Only this node left reachable: it answers itself, as with no live node.
    refusing.add('https://b.example:8443');
    later();
    expect((await p.choose('cam-3')).nodeId).toBe('me');
  });

  it('probes each other node at most once per probe period, never itself, and gives a node again once it answers', async () => {
    await putNode(t.db, { id: 'me', pus: 9000 });
    await putNode(t.db, { id: 'a', pus: 0, host: 'a.example' });
    refusing.add('https://a.example:8443');
    const p = placement();
    for (let i = 0; i < 10; i++) expect((await p.choose(`cam-${i}`)).nodeId).toBe('me');
    expect(probed).toEqual(['https://a.example:8443']);
    refusing.clear();
    clock += PLACEMENT_PROBE_TTL_MS;
    expect((await p.choose('cam-x')).nodeId).toBe('a');
    expect(probed).toEqual(['https://a.example:8443', 'https://a.example:8443']);
  });

  it('reads the nodes at most once per cache period', async () => {
    await putNode(t.db, { id: 'a', pus: 0, host: 'a.example' });
    const p = placement();
    expect((await p.choose('cam-1')).nodeId).toBe('a');
    await putNode(t.db, { id: 'a', state: 'draining' });
    expect((await p.choose('cam-2')).nodeId).toBe('a');
    later();
    expect((await p.choose('cam-3')).nodeId).toBe('me');
  });

  it('spreads devices over many nodes nearly evenly', async () => {
    for (const id of ['a', 'b', 'c', 'd']) await putNode(t.db, { id, pus: 0 });
    const p = new Placement({ db: t.db, nodeId: 'me', self: () => SELF, now: () => clock, probe });
    const per = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const n = (await p.choose(`cam-${i}`)).nodeId;
      per.set(n, (per.get(n) ?? 0) + 1);
    }
    expect([...per.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const n of per.values()) expect(Math.abs(n - 100)).toBeLessThanOrEqual(10);
  });
});
