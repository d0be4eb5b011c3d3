import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { createHmac, randomBytes } from 'node:crypto';
import { until } from '../helpers/wait.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice, tryUpgrade } from '../helpers/vd-client.ts';
import { PAIR_DELAY_BASE_MS, PAIR_FREE_FAILURES } from '../../services/devices/throttle.ts';

/** End-to-end steps wait on real processes and sockets. */
setDefaultTimeout(60_000);

let p: TestPlatform;
const HB_S = 1;
beforeAll(async () => {
  p = await startTestPlatform({ HB_INTERVAL_S: String(HB_S) });
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

const MAC = 'a0:b1:c2:d3:e4:10';
const CAM = { device_id: 'CAM-SIG-1', password: 'cam-password-1', mac_id: MAC };
const login = (extra: Record<string, string> = {}) => ({
  login_code: CAM.device_id,
  login_passwd: CAM.password,
  hardware_model: 'HC-C200',
  firmware_model: 'V1.0',
  sdk: '1.0',
  ...extra,
});
const json = async (r: Response) => ({ status: r.status, body: await r.json() });
const actor = async (id: string) => (await p.api(`/api/actors/${id}`)).json();

async function provision(body: Record<string, unknown>) {
  const r = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(body) });
  expect(r.status).toBe(201);
}

async function userToken(username: string): Promise<string> {
  await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username, password: `${username}-password` }) });
  const r = await fetch(`${p.url}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-password` }),
    ...INSECURE,
  } as RequestInit);
  expect(r.status).toBe(201);
  return (await r.json()).token;
}

describe('Vs scheduling', () => {
  beforeAll(() => provision(CAM));

  it('answers a provisioned MAC with the signalling server and the clock in microseconds', async () => {
    const before = Date.now() * 1000;
    const r = await fetch(`${p.url}/Vs/getServerAddr?macid=A0B1C2D3E410`, { headers: { 'Mac-Identity': MAC }, ...INSECURE } as RequestInit);
    const b = await r.json();
    expect(r.status).toBe(200);
    expect(b).toMatchObject({ PassDomain: '127.0.0.1', Secure_PassPort: p.port, PassPort: 0, P2p_passDomain: '', TurnPort: 0, MaxP2PSession: 0 });
    expect(b.SyncTime).toBeGreaterThanOrEqual(before);
    expect(b.SyncTime).toBeLessThan(before + 10_000_000);
    expect((await actor(`pu:${CAM.device_id}`)).stateKey).toBe('scheduled');
  });

  it('refuses an unknown or malformed MAC, and a Mac-Identity that names another device, with {info}', async () => {
    const unknown = await fetch(`${p.url}/Vs/getServerAddr?macid=a0b1c2d3e4ff`, INSECURE as RequestInit);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).info).toContain('a0b1c2d3e4ff');
    const malformed = await fetch(`${p.url}/Vs/getServerAddr?macid=not%20a%20mac`, INSECURE as RequestInit);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).info).toContain('macid');
    const other = await fetch(`${p.url}/Vs/getServerAddr?macid=${MAC}`, { headers: { 'Mac-Identity': 'a0:b1:c2:d3:e4:11' }, ...INSECURE } as RequestInit);
    expect(other.status).toBe(400);
    expect((await other.json()).info).toContain('Mac-Identity');
  });
});

describe('Vd login', () => {
  it('refuses a wrong or missing password before the upgrade, with 401 or 400', async () => {
    const wrong = await tryUpgrade(p.url, login({ login_passwd: 'wrong-password' }));
    expect(wrong.status).toBe(401);
    const missing = await tryUpgrade(p.url, { login_code: CAM.device_id, hardware_model: 'h', firmware_model: 'f' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('login_passwd');
    const unknown = await tryUpgrade(p.url, login({ login_code: 'NO-SUCH-CAM' }));
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body)).toEqual({ info: 'wrong device id or password' }); // the same answer: no probing
    expect(JSON.parse(wrong.body)).toEqual(JSON.parse(unknown.body));
    const a = await until(
      () => actor(`pu:${CAM.device_id}`),
      (v) => v.context.failedLogins === 1,
    );
    expect(a.context.lastLoginFailure).toMatchObject({ reason: 'wrong password', ip: '127.0.0.1' }); // the operator sees why
  });

  it('logs in, hands out hb_interval, takes keepalives, and answers malformed frames with err 400', async () => {
    const d = await RawDevice.connect(p.url, login());
    const info = await d.call('GetServerInfo', { mac_id: MAC, state: 1 });
    // With the hibernation server and this device's token (I.2.2; tests/e2e/hibernation.test.ts).
    expect(info.resp).toEqual({ hb_interval: HB_S, hibernation: expect.stringMatching(/^127\.0\.0\.1:\d+$/), hb_token: expect.any(String) });
    expect((await d.call('Keepalive', { mac_id: MAC, state: 1, channels: [{ channel: 0, state: 1, alarm: 8 }] })).resp).toEqual({});
    const a = await until(
      () => actor(`pu:${CAM.device_id}`),
      (v) => v.context.channelStates?.length === 1,
    );
    expect(a).toMatchObject({
      stateKey: 'online.ready',
      context: { connected: true, reconnect: false, hardwareModel: 'HC-C200', channelStates: [{ channel: 0, state: 1, alarm: 8 }] },
    });
    const bad = await d.call('Keepalive', { mac_id: MAC, state: 1, channels: [{ channel: -1, state: 1 }] });
    expect(bad.err).toMatchObject({ code: 400 });
    expect(bad.err!.msg).toContain('params.channels[0].channel');
    expect((await d.call('Keepalive', { mac_id: 'a0:b1:c2:d3:e4:99', state: 1, channels: [] })).err?.msg).toContain('mac_id');
    expect((await d.call('PushLive', { channel: 0 })).err?.code).toBe(101);
    expect((await d.call('NoSuchThing')).err?.code).toBe(101);
    d.raw('{"req":"Keepalive","seq":77,');
    d.raw('{"req":"Keepalive","seq":"x"}');
    d.raw(JSON.stringify({ req: 'Keepalive', seq: 78 }));
    expect((await d.next((f) => f.seq === 78 && f.req === undefined)).err?.code).toBe(400);
    d.close();
  });

  it('replaces the first connection when the same device logs in again, keeping the actor consistent', async () => {
    const first = await RawDevice.connect(p.url, login());
    const second = await RawDevice.connect(p.url, login({ reconnect: '1' }));
    expect((await first.waitClosed()).code).toBe(4000);
    expect((await second.call('Keepalive', { state: 1, channels: [] })).resp).toEqual({});
    const a = await until(
      () => actor(`pu:${CAM.device_id}`),
      (v) => v.context.reconnect === true,
    );
    expect(a.context).toMatchObject({ connected: true, reconnect: true });
    second.close();
  });

  it('goes offline after three heartbeat intervals of silence, not when the socket closes', async () => {
    const d = await RawDevice.connect(p.url, login());
    await d.call('GetServerInfo');
    d.close();
    await Bun.sleep(HB_S * 1000);
    const reconnected = await RawDevice.connect(p.url, login({ reconnect: '1' }));
    await reconnected.call('Keepalive', { state: 1, channels: [] });
    expect((await actor(`pu:${CAM.device_id}`)).stateKey).toBe('online.ready');
    reconnected.close();
    const off = await until(
      () => actor(`pu:${CAM.device_id}`),
      (v) => v.stateKey === 'offline',
      8000,
    );
    expect(off.stateKey).toBe('offline');
    expect(off.context.reason).toBe('no message for 3 heartbeat intervals');
    const h = await (await p.api(`/api/actors/pu:${CAM.device_id}/history?limit=1000`)).json();
    expect(h.events.filter((e: { value: unknown }) => e.value === 'offline').length).toBe(1);
  });

  it('closes a socket that keeps sending garbage, and one that sends a huge frame', async () => {
    const d = await RawDevice.connect(p.url, login());
    for (let i = 0; i < 12; i++) d.raw(`garbage ${i}`);
    expect((await d.waitClosed()).code).toBe(1008);
    const h = await RawDevice.connect(p.url, login());
    h.raw(JSON.stringify({ event: 'BatteryChange', params: { battery: 1, pad: 'x'.repeat(100_000) } }));
    expect((await h.waitClosed()).code).toBe(1009);
  });

  it('slows down the address whose logins fail, not the device: the right password from another address gets in', async () => {
    await provision({ device_id: 'CAM-LOCK', password: 'lock-password', mac_id: 'a0:b1:c2:d3:e4:20' });
    const q = { login_code: 'CAM-LOCK', hardware_model: 'h', firmware_model: 'f' };
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) expect((await tryUpgrade(p.url, { ...q, login_passwd: `wrong-${i}` })).status).toBe(401);
    const slowed = await tryUpgrade(p.url, { ...q, login_passwd: 'lock-password' });
    expect(slowed.status).toBe(429); // even the right password: the answer must not tell a right guess
    expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(slowed.headers['retry-after'])).toBeLessThanOrEqual(PAIR_DELAY_BASE_MS / 1000);
    expect((await tryUpgrade(p.url, { ...q, login_passwd: 'lock-password' }, { localAddress: '127.0.0.3' })).status).toBe(101);
    const a = await actor('pu:CAM-LOCK');
    expect(a.context.login.lockedUntil).toBeUndefined();
    expect(a.context.failedLogins).toBe(0); // the success started the count again
  });
});

describe('signed login (extension)', () => {
  const sign = (password: string, code: string, ts: number, nonce: string) => createHmac('sha256', password).update(`${code}|${ts}|${nonce}`).digest('hex');

  it('accepts a fresh signature once, and refuses a replay, a stale time and a device without it', async () => {
    await provision({ device_id: 'CAM-SIGNED', password: 'signed-password', mac_id: 'a0:b1:c2:d3:e4:30', signed_login: true });
    const ts = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('hex');
    const q = {
      login_code: 'CAM-SIGNED',
      hardware_model: 'h',
      firmware_model: 'f',
      login_ts: String(ts),
      login_nonce: nonce,
      login_sig: sign('signed-password', 'CAM-SIGNED', ts, nonce),
    };
    const d = await RawDevice.connect(p.url, q);
    d.close();
    expect((await tryUpgrade(p.url, q)).status).toBe(401); // the same nonce again
    const old = ts - 1000;
    const n2 = randomBytes(16).toString('hex');
    expect((await tryUpgrade(p.url, { ...q, login_ts: String(old), login_nonce: n2, login_sig: sign('signed-password', 'CAM-SIGNED', old, n2) })).status).toBe(
      401,
    );
    const n3 = randomBytes(16).toString('hex');
    expect((await tryUpgrade(p.url, { ...q, login_code: CAM.device_id, login_nonce: n3, login_sig: sign(CAM.password, CAM.device_id, ts, n3) })).status).toBe(
      401,
    );
  });
});

describe('users, binding and RPC', () => {
  let alice: string;
  let bob: string;
  const BIND = { device_id: 'CAM-BIND', password: 'bind-password', mac_id: 'a0:b1:c2:d3:e4:40' };
  const q = { login_code: BIND.device_id, login_passwd: BIND.password, hardware_model: 'h', firmware_model: 'f' };

  beforeAll(async () => {
    await provision(BIND);
    alice = await userToken('alice');
    bob = await userToken('bob');
  });

  it('binds a device to the user whose one-time code it sends, and shows it only to that user', async () => {
    const code = await json(await p.api('/api/bind-codes', { method: 'POST', token: alice }));
    expect(code.status).toBe(201);
    expect(code.body.bind_code).toMatch(/^[2-9A-Z]{8}$/);
    const d = await RawDevice.connect(p.url, q);
    d.event('Bind', { mac_id: BIND.mac_id, bind_id: code.body.bind_code });
    const mine = await until(
      async () => json(await p.api('/api/devices', { token: alice })),
      (r) => r.body.devices.length === 1,
    );
    expect(mine.body.devices.map((x: { device_id: string }) => x.device_id)).toEqual([BIND.device_id]);
    expect((await json(await p.api('/api/devices', { token: bob }))).body.devices).toEqual([]);
    expect((await p.api(`/api/devices/${BIND.device_id}`, { token: bob })).status).toBe(404);
    expect((await p.api(`/api/devices/${BIND.device_id}/rpc`, { token: bob, method: 'POST', body: JSON.stringify({ req: 'DevStatus' }) })).status).toBe(404);
    // The code is single-use: the same code again binds nothing and is recorded on the device.
    d.event('Bind', { bind_id: code.body.bind_code });
    const a = await until(
      () => actor(`pu:${BIND.device_id}`),
      (v) => Boolean(v.context.lastBindRejected),
    );
    expect(a.context.ownerId).toBeDefined();
    d.close();
  });

  it('sends an RPC for the owner and returns the answer, the device error (502), or 504 without an answer', async () => {
    const d = await RawDevice.connect(p.url, q);
    const rpc = (body: unknown) => p.api(`/api/devices/${BIND.device_id}/rpc`, { token: alice, method: 'POST', body: JSON.stringify(body) });
    const okCall = rpc({ req: 'QueryTime' });
    const req1 = await d.next((f) => f.req === 'QueryTime');
    d.answer(req1.seq!, { datetime: '2026-11-26T10:00:00', tz: 8 });
    expect(await json(await okCall)).toEqual({ status: 200, body: { resp: { datetime: '2026-11-26T10:00:00', tz: 8 } } });
    const errCall = rpc({ req: 'GetPTZPresetList', params: { channel: 3 } });
    const req2 = await d.next((f) => f.req === 'GetPTZPresetList');
    d.raw(JSON.stringify({ seq: req2.seq, err: { code: 102, msg: 'channel does not exist' } }));
    const e = await json(await errCall);
    expect(e.status).toBe(502);
    expect(e.body.err).toEqual({ code: 102, msg: 'channel does not exist' });
    const bad = await json(await rpc({ req: 'CtrlPTZ', params: { channel: 0, op: 'up' } }));
    expect(bad.status).toBe(400);
    expect((await json(await rpc({ event: 'CtrlPTZ', params: { channel: 0, op: 'sideways' } }))).status).toBe(400);
    const ev = await json(await rpc({ event: 'CtrlPTZ', params: { channel: 0, op: 'up', value: 30 } }));
    expect(ev.status).toBe(200);
    expect((await d.next((f) => f.event === 'CtrlPTZ')).params).toEqual({ channel: 0, op: 'up', value: 30 });
    const silent = rpc({ req: 'DevStatus' });
    await d.next((f) => f.req === 'DevStatus');
    d.answer(9999, {}); // an answer to nothing: logged and dropped
    expect((await silent).status).toBe(504);
    d.close();
  }, 30_000);

  it('refuses an RPC to a device that is not connected', async () => {
    const r = await json(await p.api(`/api/devices/CAM-LOCK/rpc`, { method: 'POST', body: JSON.stringify({ req: 'DevStatus' }) }));
    expect(r.status).toBe(503);
    expect(r.body.detail).toContain('cannot send DevStatus');
  });

  it('takes a snapshot through a single-use upload URL', async () => {
    const d = await RawDevice.connect(p.url, q);
    const call = p.api(`/api/devices/${BIND.device_id}/rpc`, {
      token: alice,
      method: 'POST',
      body: JSON.stringify({ req: 'Snapshot', params: { channel: 0 } }),
    });
    const req = await d.next((f) => f.req === 'Snapshot');
    const url = String(req.params!.url);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    expect((await fetch(url, { method: 'PUT', body: jpeg, ...INSECURE } as RequestInit)).status).toBe(201);
    expect((await fetch(url, { method: 'PUT', body: jpeg, ...INSECURE } as RequestInit)).status).toBe(403);
    d.answer(req.seq!, {});
    const out = await json(await call);
    expect(out.status).toBe(200);
    const pic = await p.api(`/api/devices/${BIND.device_id}/snapshots/${out.body.snapshot_id}`, { token: alice });
    expect(new Uint8Array(await pic.arrayBuffer())).toEqual(jpeg);
    expect((await p.api(`/api/devices/${BIND.device_id}/snapshots/${out.body.snapshot_id}`, { token: bob })).status).toBe(404);
    d.close();
  });
});
