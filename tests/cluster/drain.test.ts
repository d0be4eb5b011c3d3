/**
 * A drain end to end through the host (docs/cluster.md "Drain and leave"): the node actor marks its
 * row draining, tells its connected devices to Reschedule (I.2.6) a batch per interval, and once
 * none is left is gone and lets the process stop; an actor of another node runs none of it here.
 */
import { describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { bindEffects } from '../../actors/host/effect-catalog.ts';
import { nodeEffects } from '../../actors/machines/node.effects.ts';
import { DRAIN_BATCH, DRAIN_BATCH_INTERVAL_MS, nodeV1 } from '../../actors/machines/node.machine.ts';
import { nodeActorId } from '../../actors/machines/ids.ts';
import { silentLog } from '../../lib/log.ts';
import { Drain, DRAIN_RETELL_MS, DRAIN_TELLS_BEFORE_CLOSE } from '../../services/cluster/drain.ts';
import { VdConnection, VdConnections } from '../../services/vd/vd-connections.ts';
import { makeHost, T0, useHostDb } from '../actors/host.fixture.ts';
import { putNode } from './nodes.fixture.ts';

const t = useHostDb();

/** Devices connected to `vd` whose sockets record what they are sent; `leave` makes a told device go as a real one would. */
function connect(vd: VdConnections, n: number, leave: boolean) {
  const frames = new Map<string, string[]>();
  const closes: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `cam-${i}`;
    frames.set(id, []);
    const conn: VdConnection = new VdConnection(
      `c${i}`,
      id,
      `mac${i}`,
      {
        send: (data) => {
          frames.get(id)?.push(data);
          if (leave) vd.detach(conn, 'rescheduled');
          return data.length;
        },
        close: () => {
          closes.push(id);
          vd.detach(conn, 'closed');
        },
      },
      undefined,
    );
    vd.attach(conn);
  }
  return { frames, closes };
}

async function drainRig(self: { id: string; epoch?: number }, devices: number, leave: boolean) {
  const vd = new VdConnections(silentLog);
  const rig = connect(vd, devices, leave);
  let exits = 0;
  let now = T0;
  const drain = new Drain({ db: t.db, log: silentLog, vd, self: () => self, onExit: () => exits++, now: () => now });
  const { host, clock } = makeHost(t, { machines: [nodeV1], effects: bindEffects(nodeEffects, drain.effects(), silentLog) });
  await host.start();
  const step = async (ms: number) => {
    clock.increment(ms);
    now += ms;
    await t.quiet();
  };
  return { ...rig, vd, host, clock, step, exits: () => exits };
}

const rowState = async (id: string) => (await t.db.rows<{ state: string }>(sql`SELECT state FROM cluster_nodes WHERE id = ${id}`))[0]?.state;
const reschedules = (frames: Map<string, string[]>) => [...frames.values()].filter((f) => f.some((x) => x.includes('Reschedule'))).length;

describe('drain', () => {
  it('marks the row draining, reschedules a batch per interval until no device is left, then is gone and stops the process', async () => {
    await putNode(t.db, { id: 'n1', epoch: 2 });
    const r = await drainRig({ id: 'n1', epoch: 2 }, DRAIN_BATCH + 50, true);
    await r.host.create('node', nodeActorId('n1'), { epoch: 2, baseUrl: 'https://n1:8443' });
    await r.host.dispatch(nodeActorId('n1'), { type: 'node.started' });
    await r.host.dispatch(nodeActorId('n1'), { type: 'node.drain' });
    await t.quiet();
    expect(await rowState('n1')).toBe('draining');
    expect(reschedules(r.frames)).toBe(0);
    await r.step(DRAIN_BATCH_INTERVAL_MS);
    expect(reschedules(r.frames)).toBe(DRAIN_BATCH);
    expect((await r.host.get(nodeActorId('n1')))?.stateKey).toBe('draining');
    await r.step(DRAIN_BATCH_INTERVAL_MS);
    expect(reschedules(r.frames)).toBe(DRAIN_BATCH + 50);
    const view = await r.host.get(nodeActorId('n1'));
    expect(view?.stateKey).toBe('gone');
    expect(view?.context).toMatchObject({ drain: { batches: 2, remaining: 0 } });
    expect(r.exits()).toBe(1);
    await r.host.stop();
  });

  it('tells a device that stays again after a while, and disconnects it after telling it a few times', async () => {
    await putNode(t.db, { id: 'n2' });
    const r = await drainRig({ id: 'n2' }, 1, false);
    await r.host.create('node', nodeActorId('n2'), { epoch: 1, baseUrl: 'https://n2:8443' });
    await r.host.dispatch(nodeActorId('n2'), { type: 'node.started' });
    await r.host.dispatch(nodeActorId('n2'), { type: 'node.drain' });
    const tells = () => r.frames.get('cam-0')?.length ?? 0;
    await r.step(DRAIN_BATCH_INTERVAL_MS);
    expect(tells()).toBe(1);
    await r.step(DRAIN_BATCH_INTERVAL_MS);
    expect(tells()).toBe(1); // told lately: not again yet
    for (let waited = 0; waited < DRAIN_RETELL_MS * DRAIN_TELLS_BEFORE_CLOSE && r.closes.length === 0; waited += DRAIN_BATCH_INTERVAL_MS) {
      await r.step(DRAIN_BATCH_INTERVAL_MS);
    }
    expect(tells()).toBe(DRAIN_TELLS_BEFORE_CLOSE);
    expect(r.closes).toEqual(['cam-0']);
    await r.step(DRAIN_BATCH_INTERVAL_MS);
    expect((await r.host.get(nodeActorId('n2')))?.stateKey).toBe('gone');
    expect(r.exits()).toBe(1);
    await r.host.stop();
  });

  it('keeps draining after a restart: the batch timer is persisted with the actor', async () => {
    await putNode(t.db, { id: 'n5' });
    const a = await drainRig({ id: 'n5' }, 2, true);
    await a.host.create('node', nodeActorId('n5'), { epoch: 1, baseUrl: 'https://n5:8443' });
    await a.host.dispatch(nodeActorId('n5'), { type: 'node.drain' });
    await a.step(DRAIN_BATCH_INTERVAL_MS / 2);
    await a.host.stop(); // nothing in memory survives
    const b = await drainRig({ id: 'n5' }, 2, true);
    b.clock.set(T0 + DRAIN_BATCH_INTERVAL_MS / 2);
    expect((await b.host.start()).timers).toBeGreaterThanOrEqual(1);
    expect((await b.host.get(nodeActorId('n5')))?.stateKey).toBe('draining');
    await b.step(DRAIN_BATCH_INTERVAL_MS / 2);
    expect(reschedules(b.frames)).toBe(2);
    expect((await b.host.get(nodeActorId('n5')))?.stateKey).toBe('gone');
    await b.host.stop();
  });

  it("runs no effect of another node's actor, nor of an earlier incarnation of its own", async () => {
    await putNode(t.db, { id: 'n3' });
    await putNode(t.db, { id: 'n4', epoch: 7 });
    const r = await drainRig({ id: 'n4', epoch: 7 }, 3, true);
    await r.host.create('node', nodeActorId('n3'), { epoch: 1, baseUrl: 'https://n3:8443' });
    await r.host.create('node', nodeActorId('n4'), { epoch: 6, baseUrl: 'https://n4:8443' });
    for (const id of ['n3', 'n4']) await r.host.dispatch(nodeActorId(id), { type: 'node.drain' });
    for (let i = 0; i < 3; i++) await r.step(DRAIN_BATCH_INTERVAL_MS);
    expect(await rowState('n3')).toBe('active');
    expect(await rowState('n4')).toBe('active');
    expect(reschedules(r.frames)).toBe(0);
    expect(r.vd.size).toBe(3);
    await r.host.dispatch(nodeActorId('n3'), { type: 'node.left' });
    expect(r.exits()).toBe(0);
    await r.host.stop();
  });
});
