/**
 * Recording's access control end to end: another user's channel is not found on every recording
 * route, while its owner records on it; nobody signed in is refused; an admin reaches every device.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { INSECURE, type TestPlatform } from '../helpers/platform.ts';
import type { TestCam } from './helpers.ts';
import { setUpVr, startSession, T0 } from './vr-setup.ts';

setDefaultTimeout(60_000);

let p: TestPlatform;
let bob: string;
let cam: TestCam;

beforeAll(async () => {
  const w = await setUpVr();
  ({ p, bob, cam } = w);
  await startSession(w);
}, 90_000);

afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
});

describe('access control', () => {
  it("shows another user's channel as not found, on every route", async () => {
    const other = (path: string, init: RequestInit = {}) => p.api(`/api/devices/${cam.id}${path}`, { token: bob, ...init });
    for (const [path, method] of [
      ['/channels/0/recording', 'POST'],
      ['/channels/0/recording', 'DELETE'],
      ['/channels/0/recording', 'GET'],
      ['/channels/0/recordings', 'GET'],
      ['/channels/0/playback.m3u8', 'GET'],
      ['/channels/0/download', 'GET'],
      ['/recording-policy', 'GET'],
    ] as const) {
      const r = await other(path, { method });
      expect([path, method, r.status]).toEqual([path, method, 404]);
    }
    expect((await other('/recording-policy', { method: 'PUT', body: JSON.stringify({ retention_s: 60 }) })).status).toBe(404);
    expect((await fetch(`${p.url}/api/devices/${cam.id}/channels/0/recordings`, INSECURE as RequestInit)).status).toBe(401);
    // An admin reaches every device.
    expect((await p.api(`/api/devices/${cam.id}/channels/0/recordings?from=${T0}&to=${T0 + 6}`)).status).toBe(200);
  });
});
