/**
 * The hibernation server end to end (issue #22 points 1 and 2; OVC hibernation.md): Vs and GetServerInfo announce it
 * with the device's hb_token; a heartbeat on a real TCP connection puts a device whose Vd closed to sleep; a wrong
 * token or MAC, garbage and floods change nothing; offline after HIBERNATION_OFFLINE_S without a heartbeat (set low
 * here through the configuration).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { until } from '../helpers/wait.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { asleepCamera, awakeCamera, bare, wokenLogin } from '../helpers/asleep.ts';
import { HibernationLink } from '../../device/hibernation-link.ts';
import { HIBERNATION_HB_INTERVAL_S } from '../../protocol/hibernation.ts';
import { HIBERNATION_CHECKS_MAX, HIBERNATION_FIRST_HEARTBEAT_MS, HIBERNATION_REFUSALS_MAX } from '../../services/hibernation/hibernation-server.ts';

setDefaultTimeout(60_000);

/** The offline time of a sleeping device in this test, seconds (HIBERNATION_OFFLINE_S; OVC's is 135). */
const OFFLINE_S = 4;
/** How long a sleeping camera may take to wake in this test, seconds (WAKE_TIMEOUT_S; 20 by default). */
const WAKE_S = 3;
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ HIBERNATION_OFFLINE_S: String(OFFLINE_S), WAKE_TIMEOUT_S: String(WAKE_S) });
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

const cam = (n: number) => ({ device_id: `CAM-HIB-${n}`, password: `cam-password-${n}`, mac_id: `a0:b1:c2:d3:e5:${String(n).padStart(2, '0')}` });
const actor = async (id: string) => (await p.api(`/api/actors/${id}`)).json();
const stateOf = async (deviceId: string) => (await actor(`pu:${deviceId}`)).stateKey as string;

/** Provision a camera, log it in over Vd, and read its hibernation server and token from GetServerInfo. */
const awake = (n: number) => awakeCamera(p, cam(n));

describe('hibernation server: announced', () => {
  it('is announced by Vs (HibernationDomain, HibernationPort, 60 s heartbeats) and GetServerInfo (IP:port, a 16-character hb_token)', async () => {
    const { c, vd, resp, at } = await awake(1);
    const vs = await (await fetch(`${p.url}/Vs/getServerAddr?macid=${bare(c.mac_id)}`, INSECURE as RequestInit)).json();
    expect(vs).toMatchObject({ HibernationDomain: '127.0.0.1', HibernationPort: at.port, HibernationHBInterval: HIBERNATION_HB_INTERVAL_S });
    expect(at.port).toBeGreaterThan(0);
    expect(resp.hibernation).toBe(`127.0.0.1:${at.port}`);
    expect(resp.hb_token).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const other = await awake(2);
    expect(other.resp.hb_token).not.toBe(resp.hb_token);
    vd.close();
    other.vd.close();
  });
});

describe('hibernation server: heartbeats', () => {
  it('puts a camera to sleep when its Vd closes and heartbeats arrive, keeps it asleep, and offline after the offline time', async () => {
    const { c, vd, resp, at } = await awake(3);
    vd.close();
    await vd.waitClosed();
    const link = await HibernationLink.connect(at.host, at.port);
    link.heartbeat(bare(c.mac_id).toUpperCase(), resp.hb_token); // the MAC in either case
    await until(
      () => stateOf(c.device_id),
      (s) => s === 'hibernating',
    );
    const a = await actor(`pu:${c.device_id}`);
    expect(a.context).toMatchObject({ hibernation: { linked: true, offlineAfterMs: OFFLINE_S * 1000 } });
    expect(a.context.reason).toContain('asleep');
    for (let i = 0; i < 3; i++) {
      await Bun.sleep(((OFFLINE_S * 1000) / 2) | 0);
      link.heartbeat(bare(c.mac_id), resp.hb_token);
    }
    expect(await stateOf(c.device_id)).toBe('hibernating');
    // The TCP link drops: not offline by itself...
    link.close();
    await link.whenClosed();
    await Bun.sleep(500);
    expect(await stateOf(c.device_id)).toBe('hibernating');
    // ...but no heartbeat for the offline time is.
    const gone = await until(
      () => actor(`pu:${c.device_id}`),
      (x) => x.stateKey === 'offline',
      (OFFLINE_S + 5) * 1000,
    );
    expect(gone.context.reason).toBe(`no hibernation heartbeat for ${OFFLINE_S} s`);
  });

  it('drops and logs a heartbeat with a wrong token or an unknown MAC: no state change, and closes a link that keeps at it', async () => {
    const { c, vd } = await awake(4);
    vd.close();
    await vd.waitClosed();
    await until(
      () => stateOf(c.device_id),
      (s) => s.startsWith('online'),
    );
    const link = await HibernationLink.connect('127.0.0.1', (await awake(5)).at.port);
    link.heartbeat(bare(c.mac_id), 'not-the-token');
    await until(
      async () => p.lines.some((l) => l.includes('hibernation input refused') && l.includes('wrong hb_token')),
      (v) => v,
    );
    const history = await (await p.api(`/api/actors/pu:${c.device_id}/history`)).json();
    expect(JSON.stringify(history)).not.toContain('hibernation.heartbeat');
    expect(await stateOf(c.device_id)).toStartWith('online');
    link.heartbeat('a0b1c2d3e6ff', 'whatever-token');
    await until(
      async () => p.lines.some((l) => l.includes('unknown device a0b1c2d3e6ff')),
      (v) => v,
    );
    // Refusals close the link: it keeps sending bad input.
    for (let i = 0; i < HIBERNATION_REFUSALS_MAX; i++) link.heartbeat(bare(c.mac_id), 'still-wrong');
    await link.whenClosed();
    expect(await stateOf(c.device_id)).toStartWith('online');
  });

  it(`takes in more new links at once than it checks identities (${HIBERNATION_CHECKS_MAX} at a time): none is lost`, async () => {
    const { c, vd, resp, at } = await awake(20);
    vd.close();
    await vd.waitClosed();
    const links = await Promise.all(Array.from({ length: HIBERNATION_CHECKS_MAX + 8 }, () => HibernationLink.connect(at.host, at.port)));
    for (const link of links) link.heartbeat(bare(c.mac_id), resp.hb_token);
    // Each link taken in replaces the device's link before it, which is closed as stale: one stays open once all are.
    await until(
      async () => links.filter((l) => !l.closed).length,
      (open) => open === 1,
    );
    expect(await stateOf(c.device_id)).toBe('hibernating');
    for (const link of links) link.close();
  });

  it('reads a heartbeat split over writes, and closes a link that floods or sends garbage', async () => {
    const { c, vd, resp, at } = await awake(6);
    vd.close();
    await vd.waitClosed();
    const link = await HibernationLink.connect(at.host, at.port);
    const { encodeHeartbeat } = await import('../../protocol/hibernation.ts');
    const frame = encodeHeartbeat({ macid: c.device_id, token: resp.hb_token }); // the device id as macid
    link.raw(frame.subarray(0, 7));
    await Bun.sleep(100);
    link.raw(frame.subarray(7, 33));
    await Bun.sleep(100);
    link.raw(frame.subarray(33));
    await until(
      () => stateOf(c.device_id),
      (s) => s === 'hibernating',
    );
    link.close();
    const flood = await HibernationLink.connect(at.host, at.port);
    flood.raw(new Uint8Array(64 * 1024).fill(0x41));
    await flood.whenClosed();
    const garbage = await HibernationLink.connect(at.host, at.port);
    garbage.raw(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8\r\n\r\n')); // more than a heartbeat's worth
    const t0 = Date.now();
    await garbage.whenClosed();
    expect(Date.now() - t0).toBeLessThan(HIBERNATION_FIRST_HEARTBEAT_MS); // closed for its garbage, not for its silence
  });
});

describe('wake, then act', () => {
  /** A camera asleep: Vd closed, heartbeats on a link kept up until the test ends. */
  const asleep = (n: number) => asleepCamera(p, cam(n));
  const watch = (deviceId: string) => p.api(`/api/devices/${deviceId}/channels/0/live`, { method: 'POST', body: '{}' });

  it('sends TOWAKEUP for a live request, waits for the login, then asks the woken camera for PushLive', async () => {
    const s = await asleep(8);
    const asked = watch(s.c.device_id);
    await s.link.nextWake(0);
    expect(await stateOf(s.c.device_id)).toBe('waking');
    const vd = await wokenLogin(p, s.c);
    const push = await vd.next((f) => f.req === 'PushLive');
    expect(push.params).toMatchObject({ channel: 0 });
    vd.answer(push.seq!, {});
    const r = await asked;
    expect(r.status).toBeLessThan(300);
    expect((await r.json()).stream_id).toBe(push.params!.stream_id);
    const woke = await actor(`pu:${s.c.device_id}`);
    expect(woke.stateKey).toStartWith('online');
    expect(woke.context.reason).toBe('woke on TOWAKEUP and logged in');
    s.stop();
    vd.close();
  });

  it('wakes the camera for an RPC (GetConfig through the API), sends it once the camera logs in, and answers', async () => {
    const s = await asleep(10);
    const asked = p.api(`/api/devices/${s.c.device_id}/rpc`, { method: 'POST', body: JSON.stringify({ req: 'GetConfig' }) });
    await s.link.nextWake(0);
    const vd = await wokenLogin(p, s.c);
    const req = await vd.next((f) => f.req === 'GetConfig');
    vd.answer(req.seq!, { log_level: 3 });
    const r = await asked;
    const body = await r.json();
    expect({ status: r.status, body }).toMatchObject({ status: 200 });
    expect(JSON.stringify(body)).toContain('log_level');
    s.stop();
    vd.close();
  });

  it('answers an RPC 503 naming the wake when the camera does not wake within WAKE_TIMEOUT_S', async () => {
    const s = await asleep(11);
    const r = await p.api(`/api/devices/${s.c.device_id}/rpc`, { method: 'POST', body: JSON.stringify({ req: 'GetConfig' }) });
    expect(s.link.wakes).toBe(1);
    expect(r.status).toBe(503);
    expect((await r.json()).detail).toBe(`GetConfig not sent: the camera did not wake within ${WAKE_S} s of TOWAKEUP: asleep (WAKE_TIMEOUT_S)`);
    s.stop();
  });

  it('answers a clear error when the camera does not wake within WAKE_TIMEOUT_S, and it is asleep again', async () => {
    const s = await asleep(9);
    const r = await watch(s.c.device_id);
    expect(s.link.wakes).toBe(1);
    expect(r.status).toBe(503);
    expect((await r.json()).detail).toContain('did not wake');
    const back = await actor(`pu:${s.c.device_id}`);
    expect(back.stateKey).toBe('hibernating');
    expect(back.context.reason).toBe(`did not wake within ${WAKE_S} s of TOWAKEUP: asleep`);
    s.stop();
  });
});
