/**
 * Home Assistant over MQTT (issue #23 point 5, docs/mqtt.md), end to end against the Mosquitto broker of this
 * machine (127.0.0.1:1883) with a real MQTT.js subscriber. The platform reaches the broker through a TCP proxy the
 * test closes and starts again (the broker itself never stops): publications decided while it is away, and across a
 * platform killed with SIGKILL in between, arrive once it is back.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(120_000);

const BROKER = { host: '127.0.0.1', port: 1883 };
/** Short, so that a dropped device is offline within seconds (3 intervals, NOTES 3). */
const HB_INTERVAL_S = 1;
/** Each run has its own topics: the broker is shared and keeps retained messages. */
const RUN = randomUUID().slice(0, 8);
const PREFIX = `h627test-${RUN}`;
const DISCOVERY = `hatest-${RUN}`;
const CAM = { device_id: 'CAM-MQTT-1', password: 'mqtt-password', mac_id: 'a0:b1:c2:d3:e7:01', channels: [0] };
const login = { login_code: CAM.device_id, login_passwd: CAM.password, hardware_model: 'h', firmware_model: 'f' };

interface Received {
  topic: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

/** A subscriber to every topic of this run; `retain` tells a retained message replayed at subscription. */
async function subscriber(): Promise<{ client: MqttClient; got: Received[] }> {
  const client = await mqtt.connectAsync(`mqtt://${BROKER.host}:${BROKER.port}`, { clientId: `h627-test-${randomUUID().slice(0, 8)}` });
  const got: Received[] = [];
  // An empty payload clears a retained message (this test's cleanup): not one of the platform's.
  client.on('message', (topic, payload, packet) => payload.length > 0 && got.push({ topic, payload: JSON.parse(payload.toString()), retain: packet.retain }));
  await client.subscribeAsync([`${PREFIX}/#`, `${DISCOVERY}/#`], { qos: 1 });
  return { client, got };
}

const stateTopic = `${PREFIX}/${CAM.device_id}/state`;
const lastState = (got: Received[]) => got.filter((m) => m.topic === stateTopic).at(-1)?.payload;

/** Log the camera in, with the platform's heartbeat interval (GetServerInfo, I.2.2), so that silence means offline soon. */
async function logIn(url: string): Promise<RawDevice> {
  const d = await RawDevice.connect(url, login);
  expect((await d.call('GetServerInfo', {})).err).toBeUndefined();
  return d;
}

describe('Home Assistant over MQTT', () => {
  let p: TestPlatform;
  let proxy: TcpProxy;
  let sub: { client: MqttClient; got: Received[] };
  let cam: RawDevice | undefined;

  beforeAll(async () => {
    proxy = await startTcpProxy(BROKER);
    p = await startTestPlatform({
      MQTT_URL: `mqtt://127.0.0.1:${proxy.port}`,
      MQTT_TOPIC_PREFIX: PREFIX,
      MQTT_DISCOVERY_PREFIX: DISCOVERY,
      HB_INTERVAL_S: String(HB_INTERVAL_S),
    });
    sub = await subscriber();
    expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  });

  afterAll(async () => {
    cam?.ws.close();
    await p?.cleanup();
    proxy?.close();
    // Leave no retained messages of this run on the shared broker.
    const topics = new Set((sub?.got ?? []).filter((m) => !m.topic.endsWith('/alarm')).map((m) => m.topic));
    for (const t of topics) await sub.client.publishAsync(t, '', { retain: true, qos: 1 });
    await sub?.client.endAsync();
  });

  it('publishes a retained online state and the discovery configs when a camera logs in', async () => {
    cam = await logIn(p.url);
    await until(
      async () => lastState(sub.got),
      (s) => s?.state === 'online',
    );
    expect(lastState(sub.got)).toMatchObject({ state: 'online', reason: 'logged in' });
    await until(
      async () => sub.got.filter((m) => m.topic.startsWith(`${DISCOVERY}/`)).length,
      (n) => n >= 4,
    );
    const configs = sub.got.filter((m) => m.topic.startsWith(`${DISCOVERY}/`));
    const node = 'h627_CAM-MQTT-1';
    expect(configs.map((m) => m.topic).sort()).toEqual(
      [`binary_sensor/${node}/bell`, `binary_sensor/${node}/motion`, `binary_sensor/${node}/person`, `sensor/${node}/battery`]
        .map((t) => `${DISCOVERY}/${t}/config`)
        .sort(),
    );
    const motion = configs.find((m) => m.topic.endsWith('/motion/config'))!.payload;
    expect(motion).toMatchObject({ device_class: 'motion', state_topic: `${PREFIX}/${CAM.device_id}/alarm`, device: { identifiers: [node] } });
    expect((motion.availability as Array<{ topic: string }>)[0]!.topic).toBe(stateTopic);

    // Retained: a subscriber that comes later gets the state and the configs at once.
    const late = await subscriber();
    await until(
      async () => late.got.length,
      (n) => n >= 5,
    );
    expect(late.got.every((m) => m.retain)).toBe(true);
    expect(lastState(late.got)).toMatchObject({ state: 'online' });
    await late.client.endAsync();
  });

  it('publishes an AlarmNotify as an alarm event and a BatteryChange as the retained battery', async () => {
    const time = Date.now();
    const answer = await cam!.call('AlarmNotify', { channel: 0, timestamp: time, type: 3, state: 'start', desc: 'motion' });
    expect(answer.err).toBeUndefined();
    cam!.event('BatteryChange', { battery: 42 });
    const alarmTopic = `${PREFIX}/${CAM.device_id}/alarm`;
    const alarm = await until(
      async () => sub.got.find((m) => m.topic === alarmTopic),
      (m) => m !== undefined,
    );
    expect(alarm!.retain).toBe(false);
    expect(alarm!.payload).toMatchObject({ type: 3, name: 'motion', sensor: 'motion', state: 'start', time: new Date(time).toISOString(), channel: 0 });
    expect(String(alarm!.payload.picture)).toMatch(new RegExp(`^https://.+/api/devices/${CAM.device_id}/alarms/[^/]+/picture$`));
    const battery = await until(
      async () => sub.got.find((m) => m.topic === `${PREFIX}/${CAM.device_id}/battery`),
      (m) => m !== undefined,
    );
    expect(battery!.payload).toEqual({ battery: 42 });
  });

  it('publishes offline with the reason when the camera drops', async () => {
    cam!.ws.close();
    cam = undefined;
    const s = await until(
      async () => lastState(sub.got),
      (v) => v?.state === 'offline',
      (HB_INTERVAL_S * 3 + 10) * 1000,
    );
    expect(s).toMatchObject({ state: 'offline', reason: 'no message for 3 heartbeat intervals' });
  });

  it('keeps what it decided while the broker is away, across a platform killed in between, and publishes it once back', async () => {
    const port = proxy.port;
    proxy.close(); // the broker is unreachable: connections refused
    const before = sub.got.length;
    cam = await logIn(p.url);
    expect((await cam.call('AlarmNotify', { channel: 0, timestamp: Date.now(), type: 10, state: 'pulse', desc: 'bell' })).err).toBeUndefined();
    // Decided and committed: the device's mqtt actor holds both, waiting for the broker.
    const waiting = await until(
      async () => (await (await p.api(`/api/actors/mqtt:${CAM.device_id}`)).json()) as { stateKey: string; context: { pending: Array<{ kind: string }> } },
      (a) => a.context?.pending.some((x) => x.kind === 'alarm') && a.context.pending.some((x) => x.kind === 'state'),
    );
    expect(waiting.stateKey).toBe('waiting');
    await Bun.sleep(2000); // retries while away
    expect(sub.got.length).toBe(before);

    cam.ws.close();
    cam = undefined;
    await p.kill9();
    p = await p.restart();
    proxy = await startTcpProxy(BROKER, { port }); // the broker is back

    const alarm = await until(
      async () => sub.got.slice(before).find((m) => m.topic.endsWith('/alarm')),
      (m) => m !== undefined,
      70_000,
    );
    expect(alarm!.payload).toMatchObject({ type: 10, name: 'bell_ring', sensor: 'bell', state: 'pulse' });
    // The retained state is the latest decided: online ("logged in again"), or offline when the restarted platform's
    // heartbeat timer found the (killed) connection silent before the broker came back.
    const pu = (await (await p.api(`/api/actors/pu:${CAM.device_id}`)).json()) as { context: { reason: string } };
    const s = await until(
      async () => lastState(sub.got.slice(before)),
      (v) => v?.reason === pu.context.reason,
    );
    expect(['logged in again', 'no message for 3 heartbeat intervals']).toContain(String(s!.reason));
    // Everything acknowledged: the actor waits for nothing.
    await until(
      async () => (await (await p.api(`/api/actors/mqtt:${CAM.device_id}`)).json()) as { stateKey: string },
      (a) => a.stateKey === 'idle',
    );
  });
});
