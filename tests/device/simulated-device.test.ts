/**
 * The SimulatedDevice runtime: Vs call, login query, GetServerInfo/Keepalive over the socket,
 * answers to platform frames, failure classification, records and waitFor. The socket is an
 * in-memory stand-in driven by the test (the real platform is in the end-to-end suites).
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { loginSignature } from '../../device/login-url.ts';
import type { DeviceLogLine } from '../../device/logger.ts';
import { SDK_VERSION } from '../../device/simulated-device.ts';
import { deviceRig, settle } from './socket-harness.ts';

let stops: (() => Promise<void>)[] = [];
/** Stopping is immediate; the explicit timeout is because bunfig's does not apply to hooks. */
const STOP_TIMEOUT_MS = 5_000;
afterEach(async () => {
  await Promise.all(stops.map((stop) => stop()));
  stops = [];
}, STOP_TIMEOUT_MS);

/** A started device rig, stopped after the test. */
async function started(options: Parameters<typeof deviceRig>[0] = {}) {
  const rig = deviceRig(options);
  stops.push(() => rig.device.stop());
  await rig.device.start();
  await rig.device.waitFor('connecting', 2_000);
  return rig;
}

/** Open the socket and answer GetServerInfo. */
async function login(rig: ReturnType<typeof deviceRig>, hbInterval = 10) {
  rig.socket().open();
  const ask = rig.socket().lastRequest('GetServerInfo')!;
  rig.socket().deliver({ seq: ask.seq, resp: { hb_interval: hbInterval } });
  await rig.device.waitFor('online', 2_000);
}

describe('SimulatedDevice', () => {
  it('calls Vs with macid and Mac-Identity, then logs in with the Table 9-3 query', async () => {
    const rig = await started({ hardwareModel: 'HW-1', firmwareModel: '3.1.0' });
    expect(rig.vsRequests[0]!.url).toBe('https://vs.test:8443/Vs/getServerAddr?macid=a0b1c2d3e4f5');
    expect(rig.vsRequests[0]!.headers.get('Mac-Identity')).toBe('a0b1c2d3e4f5');
    const url = new URL(rig.socket().url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('wss://vd.test:8443/Vd');
    expect(Object.fromEntries(rig.socket().query)).toEqual({
      login_code: 'cam-1',
      login_passwd: 'secret-pw',
      hardware_model: 'HW-1',
      firmware_model: '3.1.0',
      sdk: SDK_VERSION,
      reconnect: '0',
    });
  });

  it('signs its login instead of sending the password when asked to', async () => {
    const rig = await started({ signedLogin: true });
    const q = rig.socket().query;
    expect(q.has('login_passwd')).toBe(false);
    expect(q.get('login_nonce')).toMatch(/^[0-9a-f]{32}$/);
    expect(Math.abs(Number(q.get('login_ts')) - Date.now() / 1_000)).toBeLessThan(5);
    expect(q.get('login_sig')).toBe(loginSignature('cam-1', Number(q.get('login_ts')), q.get('login_nonce')!, 'secret-pw'));
  });

  it('goes online after GetServerInfo and sends a Keepalive with its channels', async () => {
    const rig = await started({ channels: 2 });
    await login(rig);
    expect(rig.socket().sent[0]).toEqual({ req: 'GetServerInfo', params: { mac_id: 'a0b1c2d3e4f5', state: 1 }, seq: 1 });
    expect(rig.socket().sent[1]).toEqual({
      req: 'Keepalive',
      params: {
        mac_id: 'a0b1c2d3e4f5',
        state: 1,
        channels: [
          { channel: 0, state: 1, alarm: 0 },
          { channel: 1, state: 1, alarm: 0 },
        ],
      },
      seq: 2,
    });
    expect(rig.device.context.hbIntervalS).toBe(10);
  });

  it('goes online at the default heartbeat when GetServerInfo is answered with err, and counts an err to Keepalive as an answer', async () => {
    const rig = await started({ hbOverrideS: undefined });
    rig.socket().open();
    rig.socket().deliver({ seq: rig.socket().lastRequest('GetServerInfo')!.seq, err: { code: 101, msg: 'unsupported' } });
    await rig.device.waitFor('online', 2_000);
    expect(rig.device.context.hbIntervalS).toBe(10);
    rig.socket().deliver({ seq: rig.socket().lastRequest('Keepalive')!.seq, err: { code: 500, msg: 'busy' } });
    await settle();
    expect(rig.device.snapshot.matches({ running: { connection: { online: { heartbeat: 'resting' } } } })).toBe(true);
  });

  it('answers platform requests, records them with their answers, and acts on events', async () => {
    const rig = await started();
    await login(rig);
    rig.socket().deliver({ req: 'QueryTime', seq: 1 });
    rig.socket().deliver({ req: 'Fly', seq: 2 });
    rig.socket().deliver({ event: 'CtrlPTZ', params: { channel: 0, op: 'right_step', value: 100 } });
    await rig.device.waitFor((d) => d.received.filter((m) => m.answer).length === 2, 2_000);
    const answers = rig.socket().sent.filter((f) => 'resp' in f || 'err' in f);
    expect(answers[0]).toMatchObject({ seq: 1, resp: { tz: 8 } });
    expect(answers[1]).toEqual({ seq: 2, err: { code: 101, msg: 'unsupported RPC method "Fly"' } });
    expect(rig.device.received.map((m) => [m.kind, m.name])).toEqual([
      ['request', 'QueryTime'],
      ['request', 'Fly'],
      ['event', 'CtrlPTZ'],
    ]);
    expect(rig.device.received[1]!.answer).toEqual({ err: { code: 101, msg: 'unsupported RPC method "Fly"' } });
    expect(rig.device.camera.ptz(0).position().pan).toBe(10);
  });

  it('backs off with the HTTP status when the login is refused', async () => {
    const rig = await started();
    rig.socket().refuse('WebSocket connection to wss://vd.test:8443/Vd failed: Expected 101 status code: 401');
    await rig.device.waitFor('backoff', 2_000);
    expect(rig.device.context.reason).toContain('login refused (HTTP 401)');
    await rig.device.waitFor('connecting', 2_000); // random 0: tries again at once
    expect(rig.sockets.length).toBe(2);
  });

  it('reads Retry-After of a locked-out login and waits at least that long', async () => {
    const rig = await started();
    rig.socket().refuse('Expected 101 status code: 429');
    await rig.device.waitFor('backoff', 2_000);
    expect(rig.device.context.backoffMs).toBe(45_000);
    expect(rig.device.context.reason).toContain('Retry-After 45 s');
    const probe = rig.extraHttp[0]!;
    expect(probe.url.startsWith('https://vd.test:8443/Vd?')).toBe(true);
    expect(new Headers(probe.init?.headers).has('Sec-WebSocket-Key')).toBe(false);
  });

  it('reconnects with reconnect=1 after the connection drops', async () => {
    const rig = await started();
    await login(rig);
    rig.socket().drop(1006);
    await rig.device.waitFor((d) => d.state === 'connecting' && rig.sockets.length === 2, 2_000);
    expect(rig.socket().query.get('reconnect')).toBe('1');
    expect(rig.vsRequests.length).toBe(1);
  });

  it('reboots on RebootDevice and comes back from Vs with reconnect=0', async () => {
    const rig = await started({ bootMs: 50 });
    await login(rig);
    const first = rig.socket();
    rig.socket().deliver({ event: 'RebootDevice' });
    await rig.device.waitFor('rebooting', 2_000);
    await settle();
    expect(first.closedWith?.code).toBe(1000);
    await rig.device.waitFor('connecting', 2_000);
    expect(rig.vsRequests.length).toBe(2);
    expect(rig.socket().query.get('reconnect')).toBe('0');
  });

  it('moves to the new connection on Reschedule and sends its alarms there, not on the old one', async () => {
    const rig = await started();
    await login(rig);
    const old = rig.socket();
    old.closeEventAtOnce = false;
    old.deliver({ event: 'Reschedule' });
    await rig.device.waitFor((d) => d.state === 'connecting' && rig.sockets.length === 2, 2_000);
    expect(rig.vsRequests.length).toBe(2);
    expect(rig.socket().query.get('reconnect')).toBe('1');
    await login(rig);
    expect(old.closedWith?.code).toBe(1000);
    old.closeHandshakeDone(); // the old socket's close event arrives after the new login
    await settle();
    expect(rig.device.state).toBe('online');
    const alarm = rig.device.camera.raiseAlarm(3);
    const notify = rig.socket().lastRequest('AlarmNotify')!;
    rig.socket().deliver({ seq: notify.seq, resp: {} });
    expect((await alarm).params.type).toBe(3);
    expect(old.sent.some((f) => f.req === 'AlarmNotify')).toBe(false);
  });

  it('comes back from a firmware upgrade with the new firmware_model in its login', async () => {
    const rig = await started({ bootMs: 20, firmwareModel: '1.0.0', timings: { upgradeStepMs: 5, upgradeRebootDelayMs: 5 } });
    await login(rig);
    rig.socket().deliver({ event: 'UpgradeFirmware', params: { firmware_model: '1.1.0', url: 'https://fw.test/1.1.0.bin' } });
    await rig.device.waitFor('rebooting', 2_000);
    await rig.device.waitFor('connecting', 2_000);
    expect(rig.socket().query.get('firmware_model')).toBe('1.1.0');
    expect(rig.socket().query.get('reconnect')).toBe('0');
    expect(rig.extraHttp[0]?.url).toBe('https://fw.test/1.1.0.bin');
  });

  it('resets its clock from SyncTime when it was more than 10 s off', async () => {
    const rig = await started({ clockSkewMs: -3_600_000 });
    expect(Math.abs(rig.device.camera.time.now() - Date.now())).toBeLessThan(5_000);
    expect(rig.device.context.clockResets).toBe(1);
  });

  it('writes one log line per state change, never the password', async () => {
    const lines: DeviceLogLine[] = [];
    const rig = await started({ logger: (line) => lines.push(line) });
    await login(rig, 15);
    expect(lines.map((l) => l.state)).toEqual(['scheduling', 'connecting', 'registering', 'online']);
    expect(lines.at(-1)).toMatchObject({ device: 'cam-1', state: 'online', previous: 'registering', hb_interval_s: 15 });
    expect(typeof lines[0]!.time).toBe('string');
    expect(JSON.stringify(lines)).not.toContain('secret-pw');
    expect(JSON.stringify(rig.device.camera.logs.entries())).not.toContain('secret-pw');
  });

  it('times out a waitFor that never holds', async () => {
    const rig = await started();
    await expect(rig.device.waitFor('online', 50)).rejects.toThrow('timed out after 50 ms in state connecting');
  });

  it('stops: the socket closes and the state is stopped', async () => {
    const rig = await started();
    await login(rig);
    await rig.device.stop();
    await settle();
    expect(rig.device.state).toBe('stopped');
    expect(rig.socket().closedWith?.code).toBe(1000);
  });
});
