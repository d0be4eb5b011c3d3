/**
 * A device that sleeps (pu.hibernation.ts; OVC hibernation.md, NOTES 20): asleep when its Vd connection closes while
 * its hibernation link is open, or when a heartbeat comes while it has no Vd; online when it logs in again; offline
 * only after the hibernation offline time without a heartbeat (135 s, OVC 2.2), whatever its TCP link does.
 */
import { describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { readHistory } from '../../actors/host/store.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { MACHINES } from '../../actors/machines/index.ts';
import { puActorId, puMachine, puV1 } from '../../actors/machines/pu.machine.ts';
import { pureTransition } from '../../actors/host/transition.ts';
import {
  ASLEEP_ON_CLOSE_REASON,
  ASLEEP_ON_HEARTBEAT_REASON,
  WAKE_PENDING_MAX,
  WAKING_REASON,
  WOKE_REASON,
  WOKEN_REASON,
} from '../../actors/machines/pu.hibernation.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { HIBERNATION_HB_INTERVAL_S, HIBERNATION_OFFLINE_AFTER_S } from '../../protocol/hibernation.ts';
import { useHostDb } from './host.fixture.ts';
import { start, T0, type PuHarness } from './pu.harness.ts';

const OFFLINE_MS = HIBERNATION_OFFLINE_AFTER_S * 1000;
const HB_EVERY_MS = HIBERNATION_HB_INTERVAL_S * 1000;
const heartbeat = (t: PuHarness, linkId = 'l1', node = 'node-a') => t.send({ type: 'hibernation.heartbeat', linkId, node, offlineAfterMs: OFFLINE_MS });
/** Let simulated time pass second by second (the lazy timers re-arm when they come due). */
const pass = (t: PuHarness, ms: number) => {
  for (let s = 0; s < ms; s += 1000) t.clock.increment(Math.min(1000, ms - s));
};

describe('pu machine: sleeping devices', () => {
  it('falls asleep when its Vd connection closes while its hibernation link is open, with the reason', () => {
    const t = start();
    t.login('c1');
    heartbeat(t); // awake, and its network chip already holds the hibernation link
    expect(t.state()).toBe('{"online":"ready"}');
    t.clock.increment(5000);
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1000, reason: 'going to sleep' });
    expect(t.state()).toBe('"hibernating"');
    expect(t.ctx()).toMatchObject({ reason: ASLEEP_ON_CLOSE_REASON, since: T0 + 5000, connected: false, hibernation: { node: 'node-a', linked: true } });
  });

  it('falls asleep when a heartbeat comes after its Vd connection closed', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1000, reason: 'going to sleep' });
    expect(t.state()).toBe('{"online":"ready"}');
    t.clock.increment(200);
    heartbeat(t);
    expect(t.state()).toBe('"hibernating"');
    expect(t.ctx().reason).toBe(ASLEEP_ON_HEARTBEAT_REASON);
  });

  it('falls asleep from offline, provisioned or scheduled when a heartbeat comes', () => {
    const t = start();
    heartbeat(t);
    expect(t.state()).toBe('"hibernating"');
    const u = start();
    u.send({ type: 'vs.scheduled', ip: '10.0.0.2' });
    heartbeat(u);
    expect(u.state()).toBe('"hibernating"');
    const v = start();
    v.login('c1');
    v.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'gone' });
    pass(v, 30_000);
    expect(v.state()).toBe('"offline"');
    heartbeat(v);
    expect(v.state()).toBe('"hibernating"');
  });

  it('stays asleep while heartbeats come every 60 s, and goes offline 135 s after the last one', () => {
    const t = start();
    heartbeat(t);
    for (let i = 0; i < 5; i++) {
      pass(t, HB_EVERY_MS);
      heartbeat(t);
    }
    const last = t.clock.now();
    pass(t, OFFLINE_MS - 1000);
    expect(t.state()).toBe('"hibernating"');
    pass(t, 1000);
    expect(t.state()).toBe('"offline"');
    expect(t.ctx()).toMatchObject({ reason: `no hibernation heartbeat for ${HIBERNATION_OFFLINE_AFTER_S} s`, since: last + OFFLINE_MS });
  });

  it('is not offline when only its TCP link drops: the device reconnects and heartbeats on a new link', () => {
    const t = start();
    heartbeat(t, 'l1');
    pass(t, 30_000);
    t.send({ type: 'hibernation.linkClosed', linkId: 'l1' });
    expect(t.state()).toBe('"hibernating"');
    expect(t.ctx().hibernation?.linked).toBe(false);
    pass(t, 90_000);
    heartbeat(t, 'l2', 'node-b'); // reconnected after a random delay, to another node
    expect(t.ctx().hibernation).toMatchObject({ linkId: 'l2', node: 'node-b', linked: true });
    pass(t, OFFLINE_MS - 1000);
    expect(t.state()).toBe('"hibernating"');
  });

  it('ignores the close of a link that was already replaced', () => {
    const t = start();
    heartbeat(t, 'l1');
    heartbeat(t, 'l2');
    t.send({ type: 'hibernation.linkClosed', linkId: 'l1' });
    expect(t.ctx().hibernation).toMatchObject({ linkId: 'l2', linked: true });
  });

  it('wakes: online when it logs in, and the hibernation timer no longer runs', () => {
    const t = start();
    heartbeat(t);
    pass(t, 10_000);
    t.login('c2', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().reason).toBe(WOKE_REASON);
    for (let i = 0; i < 20; i++) {
      pass(t, 10_000);
      t.keepalive();
    }
    expect(t.state()).toBe('{"online":"ready"}');
  });

  it('does not sleep when its Vd closes after its hibernation link closed: the heartbeat rule applies', () => {
    const t = start();
    t.login('c1');
    heartbeat(t, 'l1');
    t.send({ type: 'hibernation.linkClosed', linkId: 'l1' });
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'gone' });
    expect(t.state()).toBe('{"online":"ready"}');
    pass(t, 30_000);
    expect(t.state()).toBe('"offline"');
  });
});

const db = useHostDb();

describe('pu actor: a sleeping device in the host', () => {
  it('logs the link once, not every heartbeat, goes offline on the volatile heartbeat time, and replays the same', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const host = new ActorHost({ db: db.db, machines: MACHINES, clock });
    const id = puActorId('CAM-HIB-1');
    await host.create('pu', id, { deviceId: 'CAM-HIB-1', macId: 'a0b1c2d3e4f5', channels: [0] });
    await host.dispatch(id, { type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW' });
    await host.dispatch(id, { type: 'vd.disconnected', connId: 'c1', code: 1000, reason: 'sleep' });
    const hb = { type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS };
    expect((await host.dispatch(id, hb)).logged).toBe(true);
    let unlogged = 0;
    // The pu is dormant while asleep: a timer or a heartbeat loads it (let each load finish before the clock moves on).
    for (let ms = 1000; ms <= 10 * HB_EVERY_MS; ms += 1000) {
      clock.increment(1000);
      await db.quiet();
      if (ms % HB_EVERY_MS === 0 && !(await host.dispatch(id, hb)).logged) unlogged++;
    }
    expect(unlogged).toBe(10);
    expect((await host.get(id))!.value).toBe('hibernating');
    const last = clock.now();
    for (let ms = 0; ms < OFFLINE_MS; ms += 1000) {
      clock.increment(1000);
      await db.quiet();
    }
    const offline = await host.get(id);
    expect([offline!.value, (offline!.context as unknown as PuContext).since]).toEqual(['offline', last + OFFLINE_MS]);
    await host.stop();
    const history = await readHistory(db.db, id, -1, 100);
    expect(history.map((r) => r.event.type)).toEqual(['xstate.init', 'vd.connected', 'vd.disconnected', 'hibernation.heartbeat', 'hibernation.expired']);
    expect(await replayActor(db.db, new MachineRegistry(MACHINES), id)).toMatchObject({ ok: true, mismatches: [] });
  });
});

describe('pu machine: waking a sleeping device for a viewer', () => {
  const watch = (t: PuHarness, viewerId: string, streamId: string, channel = 0) =>
    t.send({ type: 'live.watch', viewerId, channel, streamId, maxBitrateKbps: 2000, lingerMs: 30_000, wakeTimeoutMs: 20_000 });

  it('holds the viewer, sends TOWAKEUP from the node holding the link, and routes the viewer once the device logs in', () => {
    const t = start();
    heartbeat(t, 'l1', 'node-b');
    // What the durable host runs after the commit: the wake, from the node whose link the heartbeats came on.
    const ask = { type: 'live.watch', viewerId: 'v1', channel: 0, streamId: 's1', maxBitrateKbps: 2000, lingerMs: 30_000, at: t.clock.now() };
    const [, actions] = pureTransition(puMachine, t.actor.getSnapshot(), ask);
    expect(actions.find((a) => a.type === 'hibernation.wake')?.params).toEqual({ node: 'node-b' });
    watch(t, 'v1', 's1');
    expect(t.state()).toBe('"waking"');
    expect(t.ctx().reason).toBe(WAKING_REASON);
    expect(t.ctx().wake?.pending.map((w) => w.viewerId)).toEqual(['v1']);
    watch(t, 'v2', 's2'); // a second viewer while it wakes: held too, joins the same stream
    pass(t, 3000);
    t.login('c9', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().reason).toBe(WOKEN_REASON);
    expect(t.ctx().wake).toBeUndefined();
    expect(Object.keys(t.ctx().streams ?? {})).toEqual(['stream:s1']);
  });

  it('goes back to sleep when the device does not log in within the wake timeout the request carries, with the reason', () => {
    const t = start();
    heartbeat(t);
    t.send({ type: 'live.watch', viewerId: 'v1', channel: 0, streamId: 's1', maxBitrateKbps: 2000, lingerMs: 30_000, wakeTimeoutMs: 7000 });
    pass(t, 6000);
    expect(t.state()).toBe('"waking"');
    pass(t, 1000);
    expect(t.state()).toBe('"hibernating"');
    expect(t.ctx().reason).toBe('did not wake within 7 s of TOWAKEUP: asleep');
    expect(t.ctx().wake).toBeUndefined();
  });

  it('refuses viewers past WAKE_PENDING_MAX while it wakes (bounded)', () => {
    const t = start();
    heartbeat(t);
    for (let i = 0; i < WAKE_PENDING_MAX + 5; i++) watch(t, `v${i}`, `s${i}`);
    expect(t.ctx().wake?.pending.length).toBe(WAKE_PENDING_MAX);
  });
});

describe('pu machine: waking a sleeping device for a command', () => {
  it('holds a command (e.g. Snapshot), wakes the device, and sends it once the device logs in', () => {
    const t = start();
    heartbeat(t);
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'Snapshot', by: 'alice' });
    expect(t.state()).toBe('"waking"');
    expect(t.ctx().reason).toBe('Snapshot asked for: TOWAKEUP sent, waiting for its login');
    expect(t.sent).toEqual([]);
    t.login('c2', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.sent).toEqual([{ reqId: 'r1', name: 'Snapshot' }]);
  });

  it('refuses held commands with the reason when the wake fails (the RPC service answers their callers 503), and refuses state-changing ones', () => {
    const t = start();
    heartbeat(t);
    t.send({ type: 'cmd.request', reqId: 'r0', name: 'RebootDevice' });
    expect(t.state()).toBe('"hibernating"'); // not accepted: the API answers 503 at once
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'GetConfig' });
    pass(t, 20_000);
    expect(t.state()).toBe('"hibernating"');
    expect(t.ctx().reason).toBe('did not wake within 20 s of TOWAKEUP: asleep');
    expect(t.sent).toEqual([{ reqId: 'r1', name: 'GetConfig', refused: 'did not wake within 20 s of TOWAKEUP: asleep' }]);
  });
});

describe('pu machine: the quiet heartbeat shortcut', () => {
  it('agrees with the machine wherever it answers: asleep or waking, on the link the context holds; else it runs the machine', () => {
    const snaps: Array<[string, PuHarness]> = [];
    const asleep = start();
    heartbeat(asleep, 'l1', 'node-a');
    snaps.push(['hibernating', asleep]);
    const waking = start();
    heartbeat(waking, 'l1', 'node-a');
    waking.send({ type: 'live.watch', viewerId: 'v1', channel: 0, streamId: 's1', maxBitrateKbps: 2000, lingerMs: 30_000 });
    snaps.push(['waking', waking]);
    const online = start();
    online.login('c1');
    heartbeat(online, 'l1', 'node-a');
    snaps.push(['online', online]);
    const events = [
      { type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS },
      { type: 'hibernation.heartbeat', linkId: 'l2', node: 'node-a', offlineAfterMs: OFFLINE_MS },
      { type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-b', offlineAfterMs: OFFLINE_MS },
    ];
    let answered = 0;
    for (const [label, t] of snaps) {
      const snap = t.actor.getSnapshot();
      for (const e of events) {
        const event = { ...e, at: T0 + 60_000 };
        const quiet = puV1.quiet!(snap, event);
        if (!quiet) continue;
        answered++;
        const [next, actions] = pureTransition(puMachine, snap, event);
        expect({ label, value: next.value, actions: actions.length }).toEqual({ label, value: snap.value, actions: 0 });
        expect({ label, context: next.context }).toEqual({ label, context: { ...snap.context, ...quiet } });
        expect(Object.keys(quiet).every((k) => puV1.volatile!.includes(k))).toBe(true);
      }
    }
    expect(answered).toBe(2); // the same link, asleep and waking
  });
});
