/**
 * Where detection events go (issue 25 point 4, docs/detection.md, docs/mqtt.md, docs/webhooks.md), end to end: a real
 * platform with MQTT on (Mosquitto at 127.0.0.1:1883, a real MQTT.js subscriber) and an HTTPS webhook receiver, two
 * users' cameras showing Debian darknet's person.jpg. `GET /api/detections` without `device=` lists each user's
 * cameras' events (a sharee's too, a stranger's never), by zone, a page at a time; a detection is published on MQTT
 * with its picture URL and a Home Assistant binary sensor for its class; a webhook receives it signed; the events page
 * lists it; deprovisioning the camera turns its detector off and deletes its events.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ensureTls } from '../../boot/tls.ts';
import type { SimulatedDevice } from '../../device/index.ts';
import type { Config } from '../../lib/config.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../../services/webhooks/signature.ts';
import { HA_DETECTION_HOLD_S } from '../../services/mqtt/detection-messages.ts';
import { detectionCamera } from '../helpers/detection-cameras.ts';
import { startTestPlatform, type TestPlatform, userToken } from '../helpers/platform.ts';
import { until } from '../recording/helpers.ts';
import { DARKNET_DATA_DIR, DARKNET_PERSON } from '../services/detection/darknet.ts';

setDefaultTimeout(180_000);
const MOTION = 3;
/** Long enough for the first run (the workers load the model) on a busy 2-core machine. */
const FIRST_RUN_MS = 60_000;
/** A later run, and what follows it (the MQTT message, the webhook). */
const RUN_MS = 30_000;
const BROKER = 'mqtt://127.0.0.1:1883';
/** Each run has its own topics: the broker is shared and keeps retained messages. */
const RUN = randomUUID().slice(0, 8);
const PREFIX = `h627det-${RUN}`;
const DISCOVERY = `hadet-${RUN}`;
/** The bottom half of the picture (where the person stands), and a strip at its top (nobody there). */
const ZONES = [
  {
    name: 'door',
    points: [
      [0, 0.5],
      [1, 0.5],
      [1, 1],
      [0, 1],
    ],
  },
  {
    name: 'sky',
    points: [
      [0, 0],
      [1, 0],
      [1, 0.1],
    ],
  },
];

interface Item {
  id: string;
  device: string;
  at: string;
  classes: string[];
  picture: string | null;
  objects: Array<{ class: string; zones?: string[] }>;
}
type Page = { detections: Item[]; next: string | null; truncated: boolean };
interface Msg {
  topic: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

let p: TestPlatform;
let alice: string;
let bob: string;
let carol: string;
let dir: string;
let sub: MqttClient;
const got: Msg[] = [];
const hooks: Array<{ body: string; signature: string | null; timestamp: string | null }> = [];
let receiver: ReturnType<typeof Bun.serve>;
const cams: SimulatedDevice[] = [];
let camA: SimulatedDevice;
let camB: SimulatedDevice;

const page = async (q: string, token = alice): Promise<Page> => {
  const r = await p.api(`/api/detections${q}`, { token });
  const body = await r.json();
  expect({ q, status: r.status, detail: body.detail }).toEqual({ q, status: 200, detail: undefined });
  return body;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h627-detection-rx-'));
  const tls = await ensureTls({ publicHost: '127.0.0.1', tlsDir: dir } as Config);
  writeFileSync(join(dir, 'ca.pem'), tls.cert);
  receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls,
    fetch: async (req) => {
      hooks.push({ body: await req.text(), signature: req.headers.get(SIGNATURE_HEADER), timestamp: req.headers.get(TIMESTAMP_HEADER) });
      return new Response('ok');
    },
  });
  sub = await mqtt.connectAsync(BROKER, { clientId: `h627-det-${RUN}` });
  sub.on('message', (topic, payload, packet) => payload.length > 0 && got.push({ topic, payload: JSON.parse(payload.toString()), retain: packet.retain }));
  await sub.subscribeAsync([`${PREFIX}/#`, `${DISCOVERY}/#`], { qos: 1 });
  p = await startTestPlatform({
    MQTT_URL: BROKER,
    MQTT_TOPIC_PREFIX: PREFIX,
    MQTT_DISCOVERY_PREFIX: DISCOVERY,
    WEBHOOK_CA_FILE: join(dir, 'ca.pem'),
    WEBHOOK_ALLOW_PRIVATE: '1',
  });
  [alice, bob, carol] = await Promise.all([userToken(p, 'alice'), userToken(p, 'bob'), userToken(p, 'carol')]);
  const picture = `${DARKNET_DATA_DIR}/${DARKNET_PERSON}`;
  camA = (await detectionCamera(p, alice, 'CAM-DO-A', 'a0b1c2d3de01', { picture })).dev;
  cams.push(camA);
  camB = (await detectionCamera(p, bob, 'CAM-DO-B', 'a0b1c2d3de02', { picture })).dev;
  cams.push(camB);
  await p.api('/api/devices/CAM-DO-A/shares', { method: 'POST', token: alice, body: JSON.stringify({ username: 'carol', role: 'viewer' }) });
}, 120_000);

afterAll(async () => {
  for (const d of cams) await d.stop();
  await p?.cleanup();
  receiver?.stop(true);
  // clear this run's retained messages from the shared broker
  for (const m of got.filter((g) => g.retain || g.topic.endsWith('/config'))) await sub?.publishAsync(m.topic, '', { retain: true });
  await sub?.endAsync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('detection events out of the platform', () => {
  let secret: string;

  it('sets detection with zones and a webhook for detections', async () => {
    const hook = await p.api('/api/webhooks', {
      method: 'POST',
      token: alice,
      body: JSON.stringify({ url: `https://127.0.0.1:${receiver.port}/h`, kinds: ['detection'] }),
    });
    expect(hook.status).toBe(201);
    secret = (await hook.json()).secret;
    for (const [id, token] of [
      ['CAM-DO-A', alice],
      ['CAM-DO-B', bob],
    ] as const) {
      const r = await p.api(`/api/devices/${id}/channels/0/detection`, { method: 'PUT', token, body: JSON.stringify({ mode: 'alarm', zones: ZONES }) });
      expect(r.status).toBe(200);
    }
  });

  it("lists each user's cameras' detections without device=, a sharee's too, by zone, a page at a time", async () => {
    await camA.camera.raiseAlarm(MOTION);
    await until(
      () => page(''),
      (l) => l.detections.length === 1,
      FIRST_RUN_MS,
      "alice's first detection",
    );
    await camB.camera.raiseAlarm(MOTION);
    await until(
      () => page('', bob),
      (l) => l.detections.length === 1,
      RUN_MS,
      "bob's detection",
    );
    // the detector cools down between runs (DETECT_COOLDOWN_MS): the second alarm waits, then runs
    await camA.camera.raiseAlarm(MOTION);
    const mine = await until(
      () => page(''),
      (l) => l.detections.length === 2,
      RUN_MS,
      "alice's second detection",
    );
    expect(mine.detections.map((d) => d.device)).toEqual(['CAM-DO-A', 'CAM-DO-A']);
    expect(Date.parse(mine.detections[0]!.at)).toBeGreaterThanOrEqual(Date.parse(mine.detections[1]!.at));
    for (const d of mine.detections) {
      expect(d.classes).toEqual(['person']);
      expect(d.objects.every((o) => o.zones?.includes('door'))).toBe(true);
    }
    expect((await page('', bob)).detections.map((d) => d.device)).toEqual(['CAM-DO-B']);
    expect((await page('', carol)).detections.map((d) => d.id)).toEqual(mine.detections.map((d) => d.id));
    expect((await page('', p.adminToken)).detections).toHaveLength(3);
    expect((await page('?zone=door')).detections).toHaveLength(2);
    expect((await page('?zone=sky')).detections).toHaveLength(0);
    expect((await page('?class=animal')).detections).toHaveLength(0);
    expect((await page('?channel=1')).detections).toHaveLength(0);
    const first = await page('?limit=1');
    expect(first.truncated).toBe(true);
    expect(first.next).toBeString();
    const second = await page(`?limit=1&before=${encodeURIComponent(String(first.next))}`);
    expect(second.next).toBeNull();
    expect([...first.detections, ...second.detections].map((d) => d.id)).toEqual(mine.detections.map((d) => d.id));
    expect((await p.api('/api/detections?device=CAM-DO-B', { token: alice })).status).toBe(404);
    for (const bad of ['?limit=500', '?before=soon', '?zone=', '?channel=x']) {
      const r = await p.api(`/api/detections${bad}`, { token: alice });
      expect(r.status).toBe(400);
    }
  });

  it('publishes each detection on MQTT with its picture, and a Home Assistant binary sensor for its class', async () => {
    const topic = `${PREFIX}/CAM-DO-A/detection`;
    const msgs = await until(
      async () => got.filter((m) => m.topic === topic),
      (l) => l.length === 2,
      RUN_MS,
      'two detections on MQTT',
    );
    expect(msgs[0]!.payload).toMatchObject({ channel: 0, classes: ['person'], state: 'pulse' });
    expect(msgs[0]!.retain).toBe(false);
    const ids = (await page('')).detections.map((d) => d.id);
    expect(ids).toContain(msgs[0]!.payload.id as string);
    const picture = String(msgs[0]!.payload.picture);
    expect(picture).toEndWith(`/api/detections/${msgs[0]!.payload.id}/picture`);
    const jpeg = await p.api(new URL(picture).pathname, { token: alice });
    expect(jpeg.status).toBe(200);
    expect(jpeg.headers.get('content-type')).toContain('image/jpeg');
    const config = got.find((m) => m.topic === `${DISCOVERY}/binary_sensor/h627_CAM-DO-A/detected_person/config`);
    expect(config?.payload).toMatchObject({
      name: 'Person detected',
      state_topic: topic,
      off_delay: HA_DETECTION_HOLD_S,
      device: { identifiers: ['h627_CAM-DO-A'] },
    });
    // bob's camera has its own
    expect(got.some((m) => m.topic === `${DISCOVERY}/binary_sensor/h627_CAM-DO-B/detected_person/config`)).toBe(true);
  });

  it("sends alice's webhook each of her detections, signed, and nothing of bob's; the events page lists them", async () => {
    const bodies = await until(
      async () => hooks.map((h) => JSON.parse(h.body) as { kind: string; device_id: string; data: Record<string, unknown> }),
      (l) => l.length >= 2,
      RUN_MS,
      'two webhook deliveries',
    );
    for (const h of hooks) expect(verify(secret, h.signature, h.timestamp, h.body)).toBe(true);
    expect(bodies.every((b) => b.kind === 'detection' && b.device_id === 'CAM-DO-A')).toBe(true);
    expect(bodies[0]!.data).toMatchObject({ classes: ['person'], picture: expect.stringMatching(/^\/api\/detections\/.+\/picture$/) });
    const events = await (await p.api('/api/events/history?kind=detection', { token: alice })).json();
    expect(events.events.map((e: { data: { detection_id: string } }) => e.data.detection_id).sort()).toEqual(
      (await page('')).detections.map((d) => d.id).sort(),
    );
  });

  it("turns a deprovisioned camera's detector off and deletes its detection events", async () => {
    expect((await p.api('/api/admin/devices/CAM-DO-A', { method: 'DELETE' })).status).toBe(204);
    expect((await page('', p.adminToken)).detections.map((d) => d.device)).toEqual(['CAM-DO-B']);
    expect((await page('', carol)).detections).toEqual([]);
    const actor = await (await p.api(`/api/actors/${encodeURIComponent('detector:CAM-DO-A:0')}`)).json();
    expect(JSON.stringify(actor.value)).toContain('deprovisioned');
    expect(actor.context.config.mode).toBe('off');
  });
});
