/**
 * The catalog's bounds end to end, on a running platform: every input of issue #19's list that
 * once gave a 500, an SQL statement or an unwritable actor is now a 4xx (or a Vd `err`) naming the
 * field, in the interface's own error shape; nothing reaches the database.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice, tryUpgrade } from '../helpers/vd-client.ts';
import { captureRecording, onlineCam, until, userToken, VrClient, type TestCam } from '../recording/helpers.ts';

setDefaultTimeout(60_000);

let p: TestPlatform;
let alice: string;
let cam: TestCam;
let vr: VrClient;
const RAW = { device_id: 'CAM-BOUNDS-RAW', password: 'raw-password-1', mac_id: 'a0:b1:c2:d3:e4:71' };
const KB10 = 'x'.repeat(10_240);
const UUID = '0f3c2a1b-0000-4000-8000-00000000abcd';
/** Words that would betray an SQL statement, a stack trace or a file path in an error. */
const LEAKS = /insert|select|update|delete|values|\bat \w+ \(|\/work\/|node_modules|\.ts:\d/i;

beforeAll(async () => {
  p = await startTestPlatform();
  alice = await userToken(p, 'alice');
  const cap = captureRecording();
  cam = await onlineCam(p, 'CAM-BOUNDS', 'a0b1c2d3e470', cap.hooks, alice);
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(RAW) })).status).toBe(201);
  const started = await p.api(`/api/devices/${cam.id}/channels/0/recording`, { method: 'POST', token: alice, body: JSON.stringify({}) });
  expect(started.status).toBe(201);
  await until(
    () => cap.starts.length,
    (n) => n > 0,
    15_000,
    'StartRecord',
  );
  vr = new VrClient(String(cap.starts[0]!.cbk_url), cam.mac);
}, 90_000);

afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
});

/** GET (or another method) on the platform, as alice unless `token` says otherwise. */
async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const r = await p.api(path, { token: alice, ...init });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
}

/** A request without the API's bearer token (device-facing routes). */
async function raw(path: string, init: RequestInit = {}) {
  const r = await fetch(`${p.url}${path}`, { ...init, ...INSECURE } as RequestInit);
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
}

describe('API paths name the parameter instead of reaching the database', () => {
  const cases: Array<[string, string, string]> = [
    ['a NUL device id', '/api/devices/%00', 'id'],
    ['a doubly encoded NUL', '/api/devices/%2500', 'id'],
    ['a traversal device id', '/api/devices/..%2f..', 'id'],
    ['a 10 KB device id', `/api/devices/${KB10}`, 'id'],
    ['an alarm id that is not a UUID', '/api/devices/CAM-BOUNDS/alarms/..%2f..%2fx/picture', 'alarmId'],
    ['a snapshot id that is not a UUID', '/api/devices/CAM-BOUNDS/snapshots/not-a-uuid', 'sid'],
    ['a trans id with a path in it', '/api/devices/CAM-BOUNDS/logs/..%2f..%2fetc%2fpasswd', 'transId'],
    ['a channel that is a word', '/api/devices/CAM-BOUNDS/channels/zero/recording', 'ch'],
    ['a channel over CHANNEL_MAX', '/api/devices/CAM-BOUNDS/channels/4294967296/recordings', 'ch'],
    ['a NUL actor id', '/api/actors/%00', 'id'],
    ['a 10 KB actor id', `/api/actors/pu:${KB10}/history`, 'id'],
  ];
  for (const [what, path, field] of cases) {
    it(`refuses ${what} with a 400 problem naming ${field}`, async () => {
      const r = await call(path, { token: p.adminToken });
      expect(r).toMatchObject({ status: 400, type: 'application/problem+json', body: { field } });
      expect(String(r.body.detail)).toContain(field);
      expect(r.text).not.toMatch(LEAKS);
    });
  }

  it('still finds what is well formed: a UUID that names nothing is a 404', async () => {
    expect((await call(`/api/devices/${cam.id}/snapshots/${UUID}`)).status).toBe(404);
  });
});

describe('API bodies and queries', () => {
  it('refuses a user name with a NUL at sign-in, naming it (it used to be a 500)', async () => {
    const r = await raw('/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"username":"al\\u0000ice","password":"x"}',
    });
    expect(r).toMatchObject({ status: 400, body: { field: 'username' } });
    expect(String(r.body.detail)).toBe('json: username: must not contain NUL or unpaired UTF-16 surrogates');
  });

  it('refuses device ids "..", "." and "%2e%2e" at provisioning, naming device_id', async () => {
    for (const id of ['..', '.', '%2e%2e', 'a/b', 'cam\\1']) {
      const r = await call('/api/admin/devices', {
        method: 'POST',
        token: p.adminToken,
        body: JSON.stringify({ ...RAW, device_id: id, mac_id: 'a0:b1:c2:d3:e4:72' }),
      });
      expect([id, r.status, r.body.field]).toEqual([id, 400, 'device_id']);
    }
  });

  it('refuses RPC params with a lone surrogate anywhere, before anything is stored', async () => {
    const r = await call(`/api/devices/${cam.id}/rpc`, { method: 'POST', body: '{"req":"SetConfig","params":{"extension":{"a":["\\ud800"]}}}' });
    expect(r).toMatchObject({ status: 400 });
    expect(String(r.body.detail)).toContain('params.extension.a[0]: must not contain NUL');
  });

  it('refuses a list query beyond its bounds, naming the parameter', async () => {
    expect((await call(`/api/devices/${cam.id}/alarms?before=9007199254740993`)).body.field).toBe('before');
  });
});

describe('device-facing interfaces answer {"info"} naming the field', () => {
  it('Vr: a NUL or malformed channel id', async () => {
    expect(await raw('/live/cseg/%00', { method: 'POST' })).toMatchObject({ status: 400, body: { info: expect.stringContaining('channelId') } });
    expect(await raw('/live/cseg/short', { method: 'POST' })).toMatchObject({ status: 400, body: { info: expect.stringContaining('channelId') } });
  });

  it('Vr: create with duration 1e300, a size over the largest segment, a negative or far-future start', async () => {
    const create = { op: 'create', content_type: 'video/mp2t', size: '1000', start: '1700000000', duration: '2' };
    for (const [field, value] of [
      ['duration', '1e300'],
      ['duration', '0'],
      ['duration', '99999'],
      ['size', String(2 ** 40)],
      ['start', '-1'],
      ['start', '99999999999'],
    ] as const) {
      const r = await vr.post({ ...create, [field]: value });
      expect([field, value, r.status, String(r.body.info).split(':')[0]]).toEqual([field, value, 400, field]);
    }
  });

  it('Vr: stat with dropped_nb beyond what is real (it overflowed an int4 column)', async () => {
    const r = await vr.post({ op: 'stat', dropped_nb: '9007199254740991', dropped_time: '1' });
    expect([r.status, String(r.body.info).split(':')[0]]).toEqual([400, 'dropped_nb']);
    expect((await vr.post({ op: 'stat', dropped_nb: '3', dropped_time: '2.5' })).status).toBe(200);
  });

  it('uploads: a NUL or malformed token, a malformed signed segment URL', async () => {
    expect(await raw('/upload/%00', { method: 'PUT', body: 'x' })).toMatchObject({ status: 400, body: { info: expect.stringContaining('token') } });
    expect(await raw('/upload/..%2f..%2fx', { method: 'PUT', body: 'x' })).toMatchObject({ status: 403, body: { info: expect.stringContaining('token') } });
    expect(await raw('/cs/up/..%2f..%2fx/%00.ts?e=1&s=x', { method: 'PUT', body: 'x' })).toMatchObject({ status: 400 });
    expect(await raw('/cs/up/AAAAAAAAAAAAAAAA/..%2fx.ts?e=1&s=x', { method: 'PUT', body: 'x' })).toMatchObject({
      status: 403,
      body: { info: expect.stringContaining('name') },
    });
    expect((await raw('/cs/seg/AAAAAAAAAAAAAAAA/x.ts?e=1&s=x')).status).toBe(403);
  });

  it('Vs: a NUL macid', async () => {
    expect(await raw('/Vs/getServerAddr?macid=%00')).toMatchObject({ status: 400, body: { info: expect.stringContaining('macid') } });
  });

  it('the Vd login: a NUL login_code or hardware_model, a login_code that is not a device id', async () => {
    const login = { login_code: RAW.device_id, login_passwd: RAW.password, hardware_model: 'HC-C200', firmware_model: 'V1.0' };
    for (const [field, value] of [
      ['login_code', '\u0000'],
      ['hardware_model', '\u0000'],
      ['login_code', '..'],
      ['firmware_model', 'v'.repeat(129)],
    ] as const) {
      const r = await tryUpgrade(p.url, { ...login, [field]: value });
      expect([field, r.status, String(JSON.parse(r.body).info).split(':')[0]]).toEqual([field, 400, `query.${field}`]);
    }
    expect((await tryUpgrade(p.url, login)).status).toBe(101);
  });
});

describe('Vd frames', () => {
  let dev: RawDevice;
  beforeAll(async () => {
    dev = await RawDevice.connect(p.url, { login_code: RAW.device_id, login_passwd: RAW.password, hardware_model: 'HC-C200', firmware_model: 'V1.0' });
  });
  afterAll(() => dev?.close());

  const alarm = { channel: 0, timestamp: 1_700_000_000, type: 3, state: 'start', desc: 'motion' };

  it('answers an AlarmNotify whose desc is a NUL with err 400 naming params.desc, no SQL in it', async () => {
    const f = await dev.call('AlarmNotify', { ...alarm, desc: '\u0000' });
    expect(f.err).toEqual({ code: 400, msg: 'params.desc: must not contain NUL or unpaired UTF-16 surrogates' });
  });

  it('answers numbers beyond their bounds with err 400 naming the field', async () => {
    for (const [field, value] of [
      ['channel', 2 ** 31],
      ['timestamp', 1e300],
      ['type', 2 ** 31],
    ] as const) {
      const f = await dev.call('AlarmNotify', { ...alarm, [field]: value });
      expect([field, f.err?.code, f.err?.msg.split(':')[0]]).toEqual([field, 400, `params.${field}`]);
    }
    const many = Array.from({ length: 257 }, (_, channel) => ({ channel, state: 1 }));
    expect((await dev.call('Keepalive', { state: 1, channels: many })).err?.msg).toStartWith('params.channels: must be <= 256 items long');
  });

  it('still takes a well-formed alarm, and keeps the device usable', async () => {
    expect(await dev.call('AlarmNotify', alarm)).toMatchObject({ resp: {} });
    expect(await dev.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1 }] })).toMatchObject({ resp: {} });
  });
});
