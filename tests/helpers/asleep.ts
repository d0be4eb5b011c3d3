/**
 * A camera over raw Vd and a raw hibernation link, for the end-to-end tests of sleeping cameras (issue #22): logged
 * in with its hibernation server and token from GetServerInfo, or asleep (Vd closed, heartbeats every second).
 */
import { expect } from 'bun:test';
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
