/**
 * The mqtt actor (actors/machines/mqtt.machine.ts, docs/mqtt.md) on XState's SimulatedClock: what it publishes and
 * keeps until acknowledged, the latest retained state and battery only, its bound (oldest alarms dropped), its
 * retries with backoff; and on the durable host, a publication waiting across a restart is sent again by the timer.
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import type { EffectCall } from '../../actors/host/types.ts';
import {
  MQTT_PENDING_PER_DEVICE_MAX,
  MQTT_RETRY_BASE_MS,
  MQTT_RETRY_MAX_MS,
  mqttMachine,
  mqttRetryDelayMs,
  mqttV1,
  type MqttEvent,
  type MqttPublication,
} from '../../actors/machines/mqtt.machine.ts';
import { makeHost, T0, useHostDb } from './host.fixture.ts';

function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const published: MqttPublication[][] = [];
  const dropped: number[][] = [];
  const machine = mqttMachine.provide({
    actions: {
      'mqtt.publish': (_, p) => void published.push((p as { publications: MqttPublication[] }).publications),
      'mqtt.dropped': (_, p) => void dropped.push((p as { ids: number[] }).ids),
    },
  });
  const actor = createActor(machine, { input: { deviceId: 'CAM1' }, clock });
  actor.start();
  const send = (e: MqttEvent) => actor.send({ ...e, at: clock.now() } as MqttEvent);
  const ctx = () => actor.getSnapshot().context;
  const state = () => actor.getSnapshot().value;
  return { clock, actor, send, ctx, state, published, dropped };
}

const online = { type: 'mqtt.state', state: 'online', reason: 'logged in', since: T0 } as const;
const alarm = (n: number) => ({ type: 'mqtt.alarm', alarmType: 3, state: 'start', time: T0 + n, channel: 0, alarmId: `a${n}` }) as const;

const detection = (n: number, classes: string[]) =>
  ({ type: 'mqtt.detection', detectionId: `d${n}`, channel: 0, classes, topScore: 0.7, state: 'pulse', time: T0 + n, picture: true }) as const;

describe('mqtt machine', () => {
  it("publishes each detection, with its classes' binary sensors the first time a class is seen (all known so far, the latest waiting wins)", () => {
    const t = start();
    t.send(detection(1, ['person']));
    expect(t.published[0]!.map((p) => p.kind)).toEqual(['sensors', 'detection']);
    expect(t.published[0]![0]).toMatchObject({ kind: 'sensors', classes: ['person'] });
    // person again: no new sensor
    t.send(detection(2, ['person']));
    expect(t.published[1]!.map((p) => p.kind)).toEqual(['detection']);
    t.send(detection(3, ['person', 'dog']));
    expect(t.published[2]![0]).toMatchObject({ kind: 'sensors', classes: ['person', 'dog'] });
    expect(t.ctx().sensors).toEqual(['person', 'dog']);
    // nothing acknowledged: one sensors publication waits (the latest), and every detection
    expect(t.ctx().pending.map((p) => p.kind)).toEqual(['detection', 'detection', 'sensors', 'detection']);
    // past the bound, detections go first as alarms do; the sensors stay
    for (let n = 0; n < MQTT_PENDING_PER_DEVICE_MAX; n++) t.send(detection(10 + n, ['person']));
    expect(t.ctx().pending).toHaveLength(MQTT_PENDING_PER_DEVICE_MAX);
    expect(t.ctx().pending.filter((p) => p.kind === 'sensors')).toHaveLength(1);
    expect(t.ctx().dropped).toBe(4);
  });

  it('publishes the discovery configs with the first state, keeps both until acknowledged, then waits for nothing', () => {
    const t = start();
    t.send(online);
    expect(t.published).toEqual([
      [
        { kind: 'discovery', id: 1 },
        { kind: 'state', state: 'online', reason: 'logged in', since: T0, id: 2 },
      ],
    ]);
    expect(t.state()).toBe('waiting');
    t.send({ type: 'mqtt.acked', ids: [2] });
    expect(t.state()).toBe('waiting');
    t.send({ type: 'mqtt.acked', ids: [1] });
    expect(t.state()).toBe('idle');
    expect(t.ctx().pending).toEqual([]);
    // Acknowledged: no retry comes.
    t.clock.increment(MQTT_RETRY_MAX_MS * 2);
    expect(t.published).toHaveLength(1);
    // Discovery once: the next state comes alone.
    t.send({ ...online, state: 'offline', reason: 'no message for 3 heartbeat intervals' });
    expect(t.published[1]!.map((p) => p.kind)).toEqual(['state']);
  });

  it('keeps only the latest state and battery waiting (retained topics), and every alarm', () => {
    const t = start();
    t.send(online);
    t.send({ ...online, state: 'offline', reason: 'no message for 3 heartbeat intervals' });
    t.send({ type: 'mqtt.battery', battery: 80 });
    t.send({ type: 'mqtt.battery', battery: 79 });
    t.send(alarm(1));
    t.send(alarm(2));
    expect(t.ctx().pending.map((p) => (p.kind === 'state' ? p.state : p.kind === 'battery' ? p.battery : p.kind))).toEqual([
      'discovery',
      'offline',
      79,
      'alarm',
      'alarm',
    ]);
  });

  it(`keeps at most ${MQTT_PENDING_PER_DEVICE_MAX} waiting, dropping the oldest alarms (logged), never the state`, () => {
    const t = start();
    t.send(online);
    for (let n = 0; n < MQTT_PENDING_PER_DEVICE_MAX + 3; n++) t.send(alarm(n));
    expect(t.ctx().pending).toHaveLength(MQTT_PENDING_PER_DEVICE_MAX);
    expect(
      t
        .ctx()
        .pending.slice(0, 2)
        .map((p) => p.kind),
    ).toEqual(['discovery', 'state']);
    const alarms = t.ctx().pending.filter((p) => p.kind === 'alarm');
    expect(alarms[0]).toMatchObject({ alarmId: 'a5' }); // 32 - 2 = 30 alarms kept: the last 30 of 35
    expect(t.dropped.flat()).toHaveLength(5);
    expect(t.ctx().dropped).toBe(5);
  });

  it('drops its oldest alarms when the publisher says too many wait over all devices, and waits for nothing once none is left', () => {
    const t = start();
    for (let n = 0; n < 3; n++) t.send(alarm(n));
    t.send({ type: 'mqtt.shed', count: 2 });
    expect(t.ctx().pending.map((p) => p.id)).toEqual([3]);
    expect(t.dropped).toEqual([[1, 2]]);
    t.send({ type: 'mqtt.shed', count: 5 });
    expect(t.state()).toBe('idle');
    expect(t.ctx().dropped).toBe(3);
  });

  it('sends every waiting publication again on its retry timer, backing off to the maximum', () => {
    const t = start();
    t.send(online);
    const delays: number[] = [];
    let last = t.clock.now();
    for (let i = 0; i < 10; i++) {
      const before = t.published.length;
      while (t.published.length === before) t.clock.increment(MQTT_RETRY_BASE_MS / 10);
      delays.push(t.clock.now() - last);
      last = t.clock.now();
      expect(t.published.at(-1)!.map((p) => p.id)).toEqual([1, 2]);
    }
    expect(delays).toEqual(Array.from({ length: 10 }, (_, i) => mqttRetryDelayMs(i)));
    expect(delays.at(-1)).toBe(MQTT_RETRY_MAX_MS);
    // Acknowledged at last: the backoff starts over for the next outage.
    t.send({ type: 'mqtt.acked', ids: [1, 2] });
    expect(t.ctx().attempt).toBe(0);
  });
});

describe('mqtt actor on the durable host', () => {
  const db = useHostDb();

  it('sends what waited before a restart again when its retry timer fires in the new process', async () => {
    const calls: EffectCall[] = [];
    const effects = { 'mqtt.publish': (c: EffectCall) => void calls.push(c), 'mqtt.dropped': () => {} };
    const a = makeHost(db, { machines: [mqttV1], effects });
    await a.host.create('mqtt', 'mqtt:CAM1', { deviceId: 'CAM1' });
    await a.host.dispatch('mqtt:CAM1', online);
    await a.host.flush();
    expect(calls).toHaveLength(1);
    await a.host.stop(); // never acknowledged: the broker was away
    const b = makeHost(db, { machines: [mqttV1], effects });
    expect((await b.host.start()).timers).toBeGreaterThanOrEqual(1);
    b.clock.increment(MQTT_RETRY_BASE_MS);
    await db.quiet();
    expect(calls).toHaveLength(2);
    expect((calls[1]!.params as { publications: MqttPublication[] }).publications.map((p) => p.kind)).toEqual(['discovery', 'state']);
    await b.host.stop();
  });
});
