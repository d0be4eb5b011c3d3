/**
 * The MQTT publisher (services/mqtt/publisher.ts) running the mqtt actors' effects on the durable host, against the
 * Mosquitto broker of this machine (127.0.0.1:1883) with a real subscriber: a publication is forgotten only once the
 * broker acknowledged it; while the broker is unreachable alarms wait, and past the bound over all devices the actor
 * that adds one drops its oldest.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { bindEffects } from '../../../actors/host/effect-catalog.ts';
import type { EffectHandlers } from '../../../actors/host/types.ts';
import { mqttEffects } from '../../../actors/machines/mqtt.effects.ts';
import { mqttV1, type MqttContext } from '../../../actors/machines/mqtt.machine.ts';
import { silentLog } from '../../../lib/log.ts';
import { MqttPublisher } from '../../../services/mqtt/publisher.ts';
import { makeHost, useHostDb } from '../../actors/host.fixture.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';
import { until } from '../../helpers/wait.ts';

setDefaultTimeout(60_000);

const BROKER = { host: '127.0.0.1', port: 1883 };
const RUN = randomUUID().slice(0, 8);
const settings = (port: number) => ({
  url: `mqtt://127.0.0.1:${port}`,
  topicPrefix: `h627pub-${RUN}`,
  discoveryPrefix: `hapub-${RUN}`,
});
const t = useHostDb();

/** A durable host running the mqtt machine, its effects run by a publisher to `port`. */
function publishing(port: number, waitingAlarmsMax?: number) {
  const effects: EffectHandlers = {};
  const h = makeHost(t, { machines: [mqttV1], effects });
  const publisher = new MqttPublisher(settings(port), {
    host: h.host,
    log: silentLog,
    baseUrl: () => 'https://cams.example',
    clientId: `h627-pub-test-${randomUUID().slice(0, 8)}`,
    ...(waitingAlarmsMax ? { waitingAlarmsMax } : {}),
  });
  Object.assign(effects, bindEffects(mqttEffects, publisher.effects(), silentLog));
  return { ...h, publisher };
}

const ctx = async (host: ReturnType<typeof makeHost>['host'], id: string) => (await host.get(id))!.context as unknown as MqttContext;
const alarm = (n: number) => ({ type: 'mqtt.alarm', alarmType: 3, state: 'start', time: n, channel: 0, alarmId: `a${n}` });

describe('MQTT publisher', () => {
  let sub: MqttClient;
  const got: Array<{ topic: string; payload: string }> = [];

  beforeAll(async () => {
    sub = await mqtt.connectAsync(`mqtt://${BROKER.host}:${BROKER.port}`, { clientId: `h627-pub-sub-${RUN}` });
    sub.on('message', (topic, payload) => payload.length > 0 && got.push({ topic, payload: payload.toString() }));
    await sub.subscribeAsync(`${settings(0).topicPrefix}/#`, { qos: 1 });
  });

  afterAll(async () => {
    for (const topic of new Set(got.map((m) => m.topic))) await sub.publishAsync(topic, '', { retain: true, qos: 1 });
    await sub.endAsync();
  });

  it('forgets a publication once the broker acknowledged it', async () => {
    const p = publishing(BROKER.port);
    await p.host.create('mqtt', 'mqtt:P1', { deviceId: 'P1' });
    await p.host.dispatch('mqtt:P1', { type: 'mqtt.state', state: 'online', reason: 'logged in', since: 0 });
    await until(
      async () => (await p.host.get('mqtt:P1'))!.stateKey,
      (s) => s === 'idle',
    );
    expect(JSON.parse(got.find((m) => m.topic === `${settings(0).topicPrefix}/P1/state`)!.payload)).toMatchObject({ state: 'online' });
    expect(p.publisher.inFlightCount).toBe(0);
    await p.publisher.stop();
    await p.host.stop();
  });

  it('keeps alarms waiting while the broker is unreachable, at most the bound over all devices', async () => {
    const proxy = await startTcpProxy(BROKER);
    const port = proxy.port;
    proxy.close(); // nothing listens there now: connections refused
    const p = publishing(port, 4);
    for (const id of ['mqtt:A', 'mqtt:B']) await p.host.create('mqtt', id, { deviceId: id.slice(5) });
    for (let n = 0; n < 3; n++) await p.host.dispatch('mqtt:A', alarm(n));
    for (let n = 0; n < 3; n++) await p.host.dispatch('mqtt:B', alarm(10 + n));
    await p.host.flush();
    await t.quiet();
    await p.host.flush();
    const a = await ctx(p.host, 'mqtt:A');
    const b = await ctx(p.host, 'mqtt:B');
    expect(a.pending.length + b.pending.length).toBe(4);
    // B's third alarm went past the bound: B dropped its oldest two, logged, and counted them.
    expect(b.dropped).toBe(2);
    expect(b.pending.map((x) => (x as { alarmId?: string }).alarmId)).toEqual(['a12']);
    expect(p.publisher.waitingAlarmTotal).toBe(4);
    await p.publisher.stop();
    await p.host.stop();
  });
});
