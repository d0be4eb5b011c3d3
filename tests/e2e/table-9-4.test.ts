/**
 * Every message of H.627.2 Table 9-4 in its direction, end to end: the device simulator
 * (device/) against a real platform process, over Vs (HTTPS) and Vd (WSS).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { SimulatedDevice } from '../../device/index.ts';
import { until } from '../helpers/wait.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** End-to-end steps wait on real processes and sockets. */
setDefaultTimeout(60_000);

let p: TestPlatform;
let dev: SimulatedDevice;
let alice: string;
let firmware: ReturnType<typeof Bun.serve>;
const ID = 'CAM-9-4';
const MAC = 'a0b1c2d3e450';

const rpc = (body: unknown) => p.api(`/api/devices/${ID}/rpc`, { token: alice, method: 'POST', body: JSON.stringify(body) });
const call = async (body: unknown) => {
  const r = await rpc(body);
  return { status: r.status, body: await r.json() };
};
const device = async () => (await p.api(`/api/devices/${ID}`, { token: alice })).json();
const actor = async () => (await p.api(`/api/actors/pu:${ID}`)).json();
const received = (name: string) => dev.received.filter((m) => m.name === name);

beforeAll(async () => {
  p = await startTestPlatform({ HB_INTERVAL_S: '2' });
  // A firmware image for UpgradeFirmware, served by a plain local file server.
  firmware = Bun.serve({ port: 0, fetch: () => new Response(new Uint8Array(64 * 1024).fill(7)) });
  const prov = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: ID, password: 'camera-password', mac_id: MAC, channels: [0, 1] }),
  });
  expect(prov.status).toBe(201);
  await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
  alice = (
    await (
      await fetch(`${p.url}/api/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
        ...INSECURE,
      } as RequestInit)
    ).json()
  ).token;
  dev = new SimulatedDevice({
    server: p.url,
    id: ID,
    password: 'camera-password',
    mac: MAC,
    channels: 2,
    tls: { rejectUnauthorized: false },
    hardwareModel: 'SIM-CAM',
    firmwareModel: 'FW1',
    bootMs: 500,
    timings: { upgradeStepMs: 500, upgradeRebootDelayMs: 200, channelRebootMs: 5000 },
    capabilities: { ptz: true, battery: true },
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  firmware?.stop(true);
  await p?.cleanup();
});

describe('PU → platform', () => {
  it('Keepalive and GetServerInfo: the device gets hb_interval and the platform its channel states', async () => {
    expect(received('GetServerInfo').length).toBe(0); // it is the device's request, not the platform's
    expect(dev.context.hbIntervalS).toBe(2);
    const a = await until(actor, (v) => v.context.channelStates?.length === 2);
    expect(a.stateKey).toBe('online.ready');
    expect(a.context).toMatchObject({ hbIntervalS: 2, hardwareModel: 'SIM-CAM', firmwareModel: 'FW1', deviceState: 1 });
    expect(a.context.scheduledAt).toBeGreaterThan(0); // it came through Vs first
  });

  it('Bind: a one-time code from the user binds the device to them', async () => {
    const adminView = await (await p.api(`/api/devices/${ID}`)).json();
    expect(adminView.owner_id).toBeNull();
    const code = (await (await p.api('/api/bind-codes', { method: 'POST', token: alice })).json()).bind_code;
    await dev.bind(code);
    const list = await until(
      async () => (await p.api('/api/devices', { token: alice })).json(),
      (v) => v.devices.length === 1,
    );
    expect(list.devices[0]).toMatchObject({ device_id: ID, online: true, connected: true });
  });

  it('AlarmNotify: stored, answered with a picture URL, the picture uploaded and served', async () => {
    const out = await dev.camera.raiseAlarm(3, 'start', { channel: 1, desc: 'motion at the door' });
    expect(out).toBeDefined();
    const alarms = await until(
      async () => (await p.api(`/api/devices/${ID}/alarms`, { token: alice })).json(),
      (v) => v.alarms[0]?.picture,
    );
    expect(alarms.alarms[0]).toMatchObject({ channel: 1, type: 3, state: 'start', desc: 'motion at the door' });
    const pic = new Uint8Array(await (await p.api(alarms.alarms[0].picture, { token: alice })).arrayBuffer());
    expect([pic[0], pic[1]]).toEqual([0xff, 0xd8]);
    expect((await device()).active_alarms).toEqual([expect.objectContaining({ channel: 1, type: 3 })]);
  });

  it('BatteryChange: the level reaches the device status', async () => {
    dev.camera.battery!.set(37);
    await until(device, (v) => v.battery === 37);
  });
});

describe('platform → PU, answered by the simulated camera', () => {
  it('DevStatus and GetCap', async () => {
    const s = await call({ req: 'DevStatus' });
    expect(s.status).toBe(200);
    expect(s.body.resp).toMatchObject({ dev_id: ID, hardware_model: 'SIM-CAM', firmware_model: 'FW1' });
    const cap = await call({ req: 'GetCap' });
    expect(cap.body.resp).toMatchObject({ ptz: true, battery: true });
    await until(device, (v) => v.capabilities?.ptz === true);
  });

  it('Settime and QueryTime', async () => {
    expect((await call({ req: 'Settime', params: { datetime: '2030-01-02T03:04:05', tz: 0, offset: 5 } })).status).toBe(200);
    const t = await call({ req: 'QueryTime' });
    expect(t.body.resp.datetime.slice(0, 15)).toBe('2030-01-02T03:0');
  });

  it('CtrlPTZ moves and presets, and GetPTZPresetList', async () => {
    const before = dev.camera.ptz(0).position();
    expect((await call({ event: 'CtrlPTZ', params: { channel: 0, op: 'left', value: 80 } })).status).toBe(200);
    await until(
      async () => dev.camera.ptz(0).position(),
      (pos) => JSON.stringify(pos) !== JSON.stringify(before),
    );
    await call({ event: 'CtrlPTZ', params: { channel: 0, op: 'stop' } });
    await call({ event: 'CtrlPTZ', params: { channel: 0, op: 'set_preset', value: 7 } });
    const list = await until(
      () => call({ req: 'GetPTZPresetList', params: { channel: 0 } }),
      (r) => r.body.resp?.presetList?.length > 0,
    );
    expect(list.body.resp.presetList).toContainEqual({ ptzId: 7 });
    await call({ event: 'CtrlPTZ', params: { channel: 0, op: 'goto_preset', value: 7 } });
    await call({ event: 'CtrlPTZ', params: { channel: 0, op: 'clear_preset', value: 7 } });
    await until(
      () => call({ req: 'GetPTZPresetList', params: { channel: 0 } }),
      (r) => !r.body.resp.presetList.some((x: { ptzId: number }) => x.ptzId === 7),
    );
    expect(received('CtrlPTZ').length).toBe(5);
  });

  it('GetConfig, SetConfig (and its error codes) and ResetConfig', async () => {
    const cfg = await call({ req: 'GetConfig' });
    expect(cfg.status).toBe(200);
    const original = cfg.body.resp.log_level;
    const next = original === 2 ? 3 : 2;
    expect((await call({ req: 'SetConfig', params: { log_level: next } })).body.resp.log_level).toBe(next);
    expect((await call({ req: 'GetConfig' })).body.resp.log_level).toBe(next);
    const unknown = await call({ req: 'SetConfig', params: { no_such_setting: 1 } });
    expect(unknown.status).toBe(502);
    expect(unknown.body.err.code).toBe(13);
    const channel = await call({ req: 'SetConfig', params: { channls: { 9: { on: true } } } });
    expect(channel.body.err.code).toBe(102);
    expect((await call({ req: 'ResetConfig' })).status).toBe(200);
    expect((await call({ req: 'GetConfig' })).body.resp.log_level).toBe(original);
  });

  it('Snapshot: the picture is uploaded before the answer and served to the owner', async () => {
    const s = await call({ req: 'Snapshot', params: { channel: 0 } });
    expect(s.status).toBe(200);
    const pic = new Uint8Array(await (await p.api(`/api/devices/${ID}/snapshots/${s.body.snapshot_id}`, { token: alice })).arrayBuffer());
    expect([pic[0], pic[1], pic.at(-2), pic.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
  });

  it('PlayVideo, CtrlVideo and QueryVideoStatus', async () => {
    expect((await call({ event: 'PlayVideo', params: { channel: 0, url: 'https://example.invalid/doorbell.mp3' } })).status).toBe(200);
    await until(
      () => call({ req: 'QueryVideoStatus', params: { channel: 0 } }),
      (r) => r.body.resp?.status === 'playing',
    );
    await call({ event: 'CtrlVideo', params: { channel: 0, op: 'pause' } });
    await until(
      () => call({ req: 'QueryVideoStatus', params: { channel: 0 } }),
      (r) => r.body.resp?.status === 'pausing',
    );
    await call({ event: 'CtrlVideo', params: { channel: 0, op: 'stop' } });
    await until(
      () => call({ req: 'QueryVideoStatus', params: { channel: 0 } }),
      (r) => r.body.resp?.status === 'stopped',
    );
  });

  it('KeepAwaken', async () => {
    expect((await call({ req: 'KeepAwaken', params: { channel: 0, expired: 120 } })).status).toBe(200);
    expect(dev.camera.awakeUntil(0)).toBeGreaterThan(0);
  });

  it('GetDiskInfo and FormatDisk (state 3 while formatting)', async () => {
    expect((await call({ req: 'GetDiskInfo' })).body.resp.state).toBe(0);
    expect((await call({ req: 'FormatDisk' })).status).toBe(200);
    expect((await call({ req: 'GetDiskInfo' })).body.resp.state).toBe(3);
    await until(
      () => call({ req: 'GetDiskInfo' }),
      (r) => r.body.resp.state === 0,
      20_000,
    );
  });

  it('LogUploadAsync, the PUT of the log, and LogDone', async () => {
    const r = await call({ req: 'LogUploadAsync', params: { start: '2026-01-01T00:00:00', end: '2030-12-31T00:00:00' } });
    expect(r.status).toBe(200);
    const a = await until(actor, (v) => v.context.lastLog?.transId === r.body.trans_id);
    expect(a.context.lastLog.status).toBe('success');
    const log = await p.api(`/api/devices/${ID}/logs/${r.body.trans_id}`, { token: alice });
    expect(log.status).toBe(200);
    expect((await log.text()).length).toBe(a.context.lastLog.size);
  });

  it('RebootChannel: the channel goes away for a moment and comes back', async () => {
    expect((await call({ event: 'RebootChannel', params: { channel: 1 } })).status).toBe(200);
    await until(device, (v) => v.channel_states.find((c: { channel: number }) => c.channel === 1)?.state === 0, 10_000);
    await until(device, (v) => v.channel_states.find((c: { channel: number }) => c.channel === 1)?.state === 1, 10_000);
  });

  it("PushLive, StopLive, StartRecord and StopRecord are the stream and recording actors' (admins may send them raw)", async () => {
    expect((await call({ req: 'PushLive', params: { channel: 0, url: 'srt://127.0.0.1:1?streamid=x', stream_id: 's1', max_bitrate: 1000 } })).status).toBe(403);
    const raw = await p.api(`/api/devices/${ID}/rpc`, { method: 'POST', body: JSON.stringify({ req: 'StopLive', params: { channel: 0, stream_id: 's1' } }) });
    expect(raw.status).toBe(200); // no such stream: "Stop pushing is completed, or the stream does not exist" (I.2.13)
    const rec = await p.api(`/api/devices/${ID}/rpc`, {
      method: 'POST',
      body: JSON.stringify({ req: 'StopRecord', params: { channel: 0, session_id: 'r1' } }),
    });
    expect(rec.status).toBe(200);
  });
});

describe('lifecycle commands', () => {
  it('UpgradeFirmware: QueryUpgrade polled to done, the restart, and back with the new firmware', async () => {
    const r = await call({ event: 'UpgradeFirmware', params: { firmware_model: 'FW2', url: `http://127.0.0.1:${firmware.port}/fw2.bin` } });
    expect(r.status).toBe(200);
    await until(device, (v) => v.state === 'online.upgrading' || v.state === 'online.rebooting', 5000);
    const done = await until(device, (v) => v.state === 'online.ready' && v.firmware_model === 'FW2', 30_000);
    expect(done.upgrade).toMatchObject({ firmwareModel: 'FW2', status: 'done', progress: 100 });
    const h = await (await p.api(`/api/actors/pu:${ID}/history?limit=1000`)).json();
    const polls = h.events.filter((e: { event: { type: string; name?: string } }) => e.event.type === 'cmd.result' && e.event.name === 'QueryUpgrade');
    expect(polls.length).toBeGreaterThan(0);
  }, 40_000);

  it('RebootDevice: rebooting until the device logs in again', async () => {
    await call({ event: 'RebootDevice' });
    expect((await device()).state).toBe('online.rebooting');
    await until(device, (v) => v.state === 'online.ready' && v.connected, 20_000);
    expect((await actor()).context.reason).toBe('back after a reboot');
  }, 30_000);

  it('Reschedule: the device asks Vs again and comes back', async () => {
    const scheduledBefore = (await actor()).context.scheduledAt;
    await call({ event: 'Reschedule' });
    const a = await until(actor, (v) => v.stateKey === 'online.ready' && v.context.scheduledAt > scheduledBefore, 20_000);
    expect(a.context.reason).toBe('back after rescheduling');
  }, 30_000);

  it('replays the whole history of the device to the recorded states', async () => {
    expect(await p.stop()).toBe(0);
    const proc = Bun.spawn(['bun', 'run', 'replay-check'], { env: { ...process.env, ...p.env }, stdout: 'pipe', stderr: 'pipe' });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toMatch(/replay-check: (\d+) of \1 actors reproduce their history/);
    p = await p.restart();
  }, 60_000);
});
