/**
 * Simulated cameras for detection's end-to-end tests and benchmark (docs/detection.md): provisioned, online and
 * bound to a user, pushing live video with FFmpeg (with a photo on the pattern: `picture`, as `--picture` does) and
 * taking snapshots of the same picture; PushLive requests are counted (one pull from the camera however many watch).
 */
import { expect } from 'bun:test';
import { type MediaHooks, SimulatedDevice, ffmpegLive, type LiveOptions } from '../../device/index.ts';
import { overlayJpeg } from '../../device/jpeg-overlay.ts';
import { CAM_PASSWORD, until } from '../recording/helpers.ts';
import type { TestPlatform } from './platform.ts';

/** Longest a new camera takes to log in, and to show up bound. */
const ONLINE_MS = 20_000;
const BOUND_MS = 10_000;
/** The simulated camera's boot time. */
const BOOT_MS = 300;

/** What a detection camera shows and does besides the defaults. */
export interface DetectionCameraOptions {
  /** A photo on its pictures and its live video. */
  picture?: string;
  /** Its pushed video (e.g. a smaller, slower one for many cameras). */
  live?: LiveOptions;
  /** More media hooks (e.g. a Recorder's). */
  media?: MediaHooks;
}

/** A camera owned by the user of `token`. */
export async function detectionCamera(p: TestPlatform, token: string, id: string, mac: string, o: DetectionCameraOptions = {}) {
  const { picture } = o;
  const prov = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: id, password: CAM_PASSWORD, mac_id: mac, channels: [0] }),
  });
  expect(prov.status).toBe(201);
  const pusher = ffmpegLive({ ...o.live, ...(picture ? { picture } : {}) });
  const counts = { pushes: 0 };
  const media: MediaHooks = {
    ...pusher,
    ...o.media,
    onPushLive: (params, ctx) => {
      counts.pushes++;
      return pusher.onPushLive!(params, ctx);
    },
  };
  const dev = new SimulatedDevice({
    server: p.url,
    id,
    password: CAM_PASSWORD,
    mac,
    tls: { rejectUnauthorized: false },
    bootMs: BOOT_MS,
    media,
    ...(picture ? { jpeg: overlayJpeg(picture) } : {}),
  });
  await dev.start();
  await dev.waitFor('online', ONLINE_MS);
  const code = (await (await p.api('/api/bind-codes', { method: 'POST', token })).json()).bind_code;
  await dev.bind(code);
  await until(
    async () => (await p.api(`/api/devices/${id}`, { token })).status,
    (s) => s === 200,
    BOUND_MS,
    `${id} bound`,
  );
  return { dev, counts };
}
