/**
 * A sleeping camera's pu is dormant, and its heartbeats stay in the hibernation server's compact map
 * (services/hibernation/asleep.ts): the host folds the last one into the pu's `hbSeenAt`, and its offline timer is
 * postponed in memory until the last heartbeat plus the offline time. State and history stay what they were with every
 * heartbeat sent to the pu: asleep, then offline 135 s after the last heartbeat with the reason.
 */
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { readHistory } from '../../actors/host/store.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { MACHINES } from '../../actors/machines/index.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { HIBERNATION_HB_INTERVAL_S, HIBERNATION_OFFLINE_AFTER_S } from '../../protocol/hibernation.ts';
import { AsleepMap } from '../../services/hibernation/asleep.ts';
import { linkKey, linkText, newLinkNumber } from '../../services/hibernation/link-id.ts';
import { useHostDb } from './host.fixture.ts';
import { T0 } from './pu.harness.ts';

const OFFLINE_MS = HIBERNATION_OFFLINE_AFTER_S * 1000;
const HB_EVERY_MS = HIBERNATION_HB_INTERVAL_S * 1000;
setDefaultTimeout(30_000);

const db = useHostDb();

/**
 * A host on a simulated clock with a hibernation server's map as its volatile source, as boot/start.ts wires it;
 * `links`: the last heartbeat on each link this "node" holds, by pu actor id (the server's links keep it).
 */
function sleepingHost(clock: SimulatedClock, links = new Map<string, number>()) {
  const host = new ActorHost({ db: db.db, machines: MACHINES, clock });
  const asleep = new AsleepMap(OFFLINE_MS, clock.now(), (actorId) => links.get(actorId));
  host.subscribe((t) => asleep.observe(t), { unlogged: false });
  host.addVolatileSource(asleep);
  return { host, asleep };
}

/** Let loads and commits a clock step started finish. */
const settle = () => db.quiet();
/** The simulated clock's step (the timers fire at their due times whatever the step). */
const STEP_MS = 5000;

/** Step the simulated clock by `ms`. */
async function pass(clock: SimulatedClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += STEP_MS) {
    clock.increment(Math.min(STEP_MS, ms - t));
    await settle();
  }
}

describe('pu actor: a sleeping camera kept by the hibernation server', () => {
  it('leaves memory while asleep, keeps its heartbeats out of the actor, and goes offline 135 s after the last one', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const { host, asleep } = sleepingHost(clock);
    const id = puActorId('CAM-ASLEEP-1');
    await host.create('pu', id, { deviceId: 'CAM-ASLEEP-1', macId: 'a0b1c2d3e4a1', channels: [0] });
    await host.dispatch(id, { type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW' });
    await host.dispatch(id, { type: 'vd.disconnected', connId: 'c1', code: 1000, reason: 'sleep' });
    // The first heartbeat on the link is not quiet: the pu is not asleep on it yet. It goes to the pu, which sleeps.
    expect(asleep.heartbeat(id, linkKey('l1'), clock.now())).toBe(false);
    await host.dispatch(id, { type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS });
    await settle();
    expect(host.peek(id)).toBeUndefined(); // dormant: only in the store
    let last = clock.now();
    for (let i = 0; i < 5; i++) {
      await pass(clock, HB_EVERY_MS);
      last = clock.now();
      expect(asleep.heartbeat(id, linkKey('l1'), last)).toBe(true); // quiet: kept in the map, not sent
    }
    expect(host.peek(id)).toBeUndefined(); // the offline timer fell due twice: postponed without loading the pu
    const view = await host.get(id);
    expect([view!.stateKey, (view!.context as unknown as PuContext).hbSeenAt]).toEqual(['hibernating', last]);
    await pass(clock, OFFLINE_MS - 1000);
    expect((await host.get(id))!.stateKey).toBe('hibernating');
    await pass(clock, 1000);
    const offline = await host.get(id);
    const c = offline!.context as unknown as PuContext;
    expect([offline!.stateKey, c.since, c.reason]).toEqual(['offline', last + OFFLINE_MS, `no hibernation heartbeat for ${HIBERNATION_OFFLINE_AFTER_S} s`]);
    // A heartbeat now is not quiet: the pu is offline, it is told, and sleeps again.
    expect(asleep.heartbeat(id, linkKey('l1'), clock.now())).toBe(false);
    await host.stop();
    const history = await readHistory(db.db, id, -1, 100);
    expect(history.map((r) => r.event.type)).toEqual(['xstate.init', 'vd.connected', 'vd.disconnected', 'hibernation.heartbeat', 'hibernation.expired']);
    expect(await replayActor(db.db, new MachineRegistry(MACHINES), id)).toMatchObject({ ok: true, mismatches: [] });
  });

  it("keeps no second copy of a heartbeat its own link holds, and the link's last one once the link has closed", async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const links = new Map<string, number>();
    const { host, asleep } = sleepingHost(clock, links);
    const id = puActorId('CAM-ASLEEP-3');
    await host.create('pu', id, { deviceId: 'CAM-ASLEEP-3', macId: 'a0b1c2d3e4a3', channels: [0] });
    links.set(id, clock.now());
    expect(asleep.heartbeat(id, linkKey('l1'), clock.now(), true)).toBe(false);
    await host.dispatch(id, { type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS });
    await settle();
    let last = clock.now();
    for (let i = 0; i < 3; i++) {
      await pass(clock, HB_EVERY_MS);
      last = clock.now();
      links.set(id, last); // the link's own time, as the server sets it before telling the map
      expect(asleep.heartbeat(id, linkKey('l1'), last, true)).toBe(true);
    }
    expect(asleep.size.heard).toBe(0); // nothing kept twice
    expect(((await host.get(id))!.context as unknown as PuContext).hbSeenAt).toBe(last);
    // The link closes: the server hands its last heartbeat over, and the pu still goes offline from it.
    links.delete(id);
    asleep.remember(id, last);
    expect(asleep.size.heard).toBe(1);
    await pass(clock, OFFLINE_MS - (clock.now() - last) - 1000);
    expect((await host.get(id))!.stateKey).toBe('hibernating');
    await pass(clock, 1000);
    const offline = await host.get(id);
    expect([offline!.stateKey, (offline!.context as unknown as PuContext).since]).toEqual(['offline', last + OFFLINE_MS]);
    await host.stop();
  });

  it('after a restart, counts silence from when the new server began listening, not from the last heartbeat it never heard', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const first = sleepingHost(clock);
    const id = puActorId('CAM-ASLEEP-2');
    await first.host.create('pu', id, { deviceId: 'CAM-ASLEEP-2', macId: 'a0b1c2d3e4a2', channels: [0] });
    await first.host.dispatch(id, { type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS });
    await pass(clock, HB_EVERY_MS);
    first.asleep.heartbeat(id, linkKey('l1'), clock.now());
    await first.host.stop();
    // Down past the pu's offline time; then a new process: its timer is past due.
    clock.increment(OFFLINE_MS * 2);
    const restarted = clock.now();
    const second = sleepingHost(clock);
    await second.host.start();
    await pass(clock, 2000);
    expect((await second.host.get(id))!.stateKey).toBe('hibernating');
    // The camera reconnects on a new link: told, the pu logs the link, and stays asleep.
    await pass(clock, HB_EVERY_MS);
    expect(second.asleep.heartbeat(id, linkKey('l2'), clock.now())).toBe(false);
    await second.host.dispatch(id, { type: 'hibernation.heartbeat', linkId: 'l2', node: 'node-a', offlineAfterMs: OFFLINE_MS });
    const back = clock.now();
    await pass(clock, OFFLINE_MS - 1000);
    expect((await second.host.get(id))!.stateKey).toBe('hibernating');
    expect(restarted + OFFLINE_MS).toBeLessThan(clock.now());
    await pass(clock, 1000);
    const offline = await second.host.get(id);
    expect([offline!.stateKey, (offline!.context as unknown as PuContext).since]).toEqual(['offline', back + OFFLINE_MS]);
    await second.host.stop();
  });
});

describe('hibernation link ids', () => {
  it('keeps a link id of this server as the number it stands for, and any other id as its text', () => {
    const n = newLinkNumber();
    expect(newLinkNumber()).toBe(n + 1);
    expect(Number.isSafeInteger(n)).toBe(true);
    expect(linkKey(linkText(n))).toBe(n);
    // Another format (a UUID, a leading zero, past 2^53) is no number of this server's: compared as text.
    for (const other of ['3f0e2a4c-6a1b-4d8e-9b2f-0c1d2e3f4a5b', '0l1', 'zzzzzzzzzzzzzzzz', '']) expect(linkKey(other)).toBe(other);
  });
});
