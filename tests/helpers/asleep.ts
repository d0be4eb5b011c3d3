/**
 * A camera over raw Vd and a raw hibernation link, for the end-to-end tests of sleeping cameras (issue #22): logged
 * in with its hibernation server and token from GetServerInfo, or asleep (Vd closed, heartbeats every second).
 */
import { expect } from 'bun:test';
import { HTTP_IDLE_TIMEOUT_S } from '../../boot/start.ts';
import { DEFAULT_WAKE_TIMEOUT_S } from '../../lib/config.ts';
import { RPC_TIMEOUT_S } from '../../protocol/constants.ts';
import { SERVED_BY_HEADER } from '../../services/cluster/forward.ts';
import { HibernationLink } from '../../device/hibernation-link.ts';
import type { TestPlatform } from './platform.ts';
import { RawDevice } from './vd-client.ts';
import { until } from './wait.ts';

/** A camera's credentials and MAC as the admin API provisions them. */
export interface TestCamera {
  device_id: string;
  password: string;
  mac_id: string;
}

/** A MAC without its colons, as heartbeats carry it. */
export const bare = (mac: string) => mac.replaceAll(':', '');

/** The pu's state key of a device. */
export async function puState(p: TestPlatform, deviceId: string): Promise<string> {
  return (await (await p.api(`/api/actors/pu:${deviceId}`)).json()).stateKey as string;
}

/** Provision a camera, log it in over Vd, and read its hibernation server and token from GetServerInfo. */
export async function awakeCamera(p: TestPlatform, c: TestCamera) {
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(c) })).status).toBe(201);
  const vd = await RawDevice.connect(p.url, { login_code: c.device_id, login_passwd: c.password, hardware_model: 'HW', firmware_model: 'FW', sdk: '1.0' });
  const info = await vd.call('GetServerInfo', { mac_id: c.mac_id, state: 1 });
  const resp = info.resp as { hibernation: string; hb_token: string; hb_interval: number };
  return { c, vd, resp, at: HibernationLink.parseAddress(resp.hibernation) };
}

/** Heartbeat period of the tests' sleeping cameras, ms (60 s on a real camera). */
const TEST_HB_MS = 1000;

/** A camera asleep: Vd closed, heartbeats on a link kept up until `stop`. */
export async function asleepCamera(p: TestPlatform, c: TestCamera) {
  const a = await awakeCamera(p, c);
  a.vd.close();
  await a.vd.waitClosed();
  const link = await HibernationLink.connect(a.at.host, a.at.port);
  link.heartbeat(bare(a.c.mac_id), a.resp.hb_token);
  const beat = setInterval(() => link.heartbeat(bare(a.c.mac_id), a.resp.hb_token), TEST_HB_MS);
  await until(
    () => puState(p, a.c.device_id),
    (s) => s === 'hibernating',
  );
  return { ...a, link, stop: () => (clearInterval(beat), link.close()) };
}

/** Log a woken camera in again over Vd (reconnect=1). */
export function wokenLogin(p: TestPlatform, c: TestCamera): Promise<RawDevice> {
  return RawDevice.connect(p.url, {
    login_code: c.device_id,
    login_passwd: c.password,
    hardware_model: 'HW',
    firmware_model: 'FW',
    sdk: '1.0',
    reconnect: '1',
  });
}

/** How long the camera takes to log in after TOWAKEUP, and then to answer, ms: each within its bound, together past the idle timeout. */
const SLOW_WAKE_MS = (DEFAULT_WAKE_TIMEOUT_S - 2) * 1000;
const SLOW_ANSWER_MS = (RPC_TIMEOUT_S - 2) * 1000;
/** curl's own limit on the whole call, s: beyond the longest answer. */
const CURL_MAX_S = 80;

/** POST through curl: an independent client that reports a dropped connection as it is (an empty reply, exit 52). */
async function curlPost(p: TestPlatform, path: string, body: unknown): Promise<{ exit: number; status: number; servedBy: string; body: string }> {
  const args = ['-sk', '-m', String(CURL_MAX_S), '-w', `\n%{http_code} %header{${SERVED_BY_HEADER}}`, '-H', `Authorization: Bearer ${p.adminToken}`];
  args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body), `${p.url}${path}`);
  const proc = Bun.spawn(['curl', ...args], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(proc.stdout).text();
  const cut = out.lastIndexOf('\n');
  const [status, servedBy = ''] = out.slice(cut + 1).split(' ');
  return { exit: await proc.exited, status: Number(status), servedBy, body: out.slice(0, cut) };
}

/**
 * A camera asleep on `owner` that takes most of WAKE_TIMEOUT_S to wake and then most of RPC_TIMEOUT_S to answer: the
 * API caller, asking `asked` (the owner itself, or another node that forwards), waits past the server's idle timeout
 * (HTTP_IDLE_TIMEOUT_S) and gets the camera's answer, not a dropped connection (issue #22 point 4). `ownerNode`: the
 * owner's NODE_ID, which must have served the answer (a forward).
 */
export async function rpcThroughSlowWake(owner: TestPlatform, asked: TestPlatform, c: TestCamera, ownerNode?: string): Promise<void> {
  expect(SLOW_WAKE_MS + SLOW_ANSWER_MS).toBeGreaterThan(HTTP_IDLE_TIMEOUT_S * 1000 + 4000); // past it, beyond uWS's 4 s timer granularity
  const s = await asleepCamera(owner, c);
  const t0 = Date.now();
  const answer = curlPost(asked, `/api/devices/${c.device_id}/rpc`, { req: 'GetConfig' });
  await s.link.nextWake(0);
  await Bun.sleep(SLOW_WAKE_MS - (Date.now() - t0));
  const vd = await wokenLogin(owner, c);
  const req = await vd.next((f) => f.req === 'GetConfig');
  await Bun.sleep(SLOW_ANSWER_MS);
  vd.answer(req.seq!, { log_level: 3 });
  const r = await answer;
  const took = Date.now() - t0;
  expect(took).toBeGreaterThan(HTTP_IDLE_TIMEOUT_S * 1000);
  expect(r).toMatchObject({ exit: 0, status: 200 });
  expect(r.body).toContain('log_level');
  if (ownerNode) expect(r.servedBy).toBe(ownerNode); // forwarded: the owner answered through the node asked
  console.log(`RPC through a wake answered after ${took} ms (server idle timeout ${HTTP_IDLE_TIMEOUT_S} s)`);
  s.stop();
  vd.close();
}
