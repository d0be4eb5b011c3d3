/**
 * A simulated camera for detection tests (tests/e2e/detection*.test.ts): provisioned with channel 0, online, and bound
 * to a user, its pictures (snapshots) from `jpeg` (the simulator's plain pattern when absent).
 */
import { expect } from 'bun:test';
import { type MediaHooks, SimulatedDevice } from '../../device/index.ts';
import type { JpegSource } from '../../device/jpeg.ts';
import { CAM_PASSWORD, until } from '../recording/helpers.ts';
import type { TestPlatform } from './platform.ts';

/** How long a camera may take to come online, and to show as bound. */
const ONLINE_MS = 20_000;
const BOUND_MS = 10_000;

/** Provision, start and bind a camera to the user whose token is `owner`; `started` collects it for the test's cleanup. */
export async function detectionCamera(
  p: TestPlatform,
  owner: string,
  cam: { id: string; mac: string; jpeg?: JpegSource; media?: MediaHooks },
  started: SimulatedDevice[],
): Promise<SimulatedDevice> {
  const prov = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: cam.id, password: CAM_PASSWORD, mac_id: cam.mac, channels: [0] }),
  });
  expect(prov.status).toBe(201);
  const dev = new SimulatedDevice({
    server: p.url,
    id: cam.id,
    password: CAM_PASSWORD,
    mac: cam.mac,
    tls: { rejectUnauthorized: false },
    bootMs: 300,
    ...(cam.jpeg ? { jpeg: cam.jpeg } : {}),
    ...(cam.media ? { media: cam.media } : {}),
  });
  started.push(dev);
  await dev.start();
  await dev.waitFor('online', ONLINE_MS);
  const code = (await (await p.api('/api/bind-codes', { method: 'POST', token: owner })).json()).bind_code;
  await dev.bind(code);
  await until(
    async () => (await p.api(`/api/devices/${cam.id}`, { token: owner })).status,
    (s) => s === 200,
    BOUND_MS,
    `${cam.id} bound`,
  );
  return dev;
}
