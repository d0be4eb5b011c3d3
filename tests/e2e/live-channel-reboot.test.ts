/**
 * A camera that reboots a channel while it streams it (RebootChannel, I.2.4): the simulator's FFmpeg push stops, the
 * MDU sees its publisher leave, and the stream fails with that reason in its history (issue #23 problem 1: the live
 * panel shows the stream actor's reason). Real platform, FFmpeg pushing SRT.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { ffmpegLive, SimulatedDevice } from '../../device/index.ts';
import { until } from '../helpers/wait.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

setDefaultTimeout(90_000);

const ID = 'CAM-REBOOT';
let p: TestPlatform;
let dev: SimulatedDevice;

beforeAll(async () => {
  p = await startTestPlatform({ HB_INTERVAL_S: '2' });
  const made = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: ID, password: 'camera-password', mac_id: 'a0b1c2d3e470', channels: [0] }),
  });
  expect(made.status).toBe(201);
  dev = new SimulatedDevice({
    server: p.url,
    id: ID,
    password: 'camera-password',
    mac: 'a0b1c2d3e470',
    tls: { rejectUnauthorized: false },
    media: { ...ffmpegLive() },
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
});

afterAll(async () => {
  await dev?.stop();
  await p?.cleanup();
});

describe('live: a channel reboot mid-stream', () => {
  it('fails the stream with the publisher’s leaving as its reason', async () => {
    const r = await p.api(`/api/devices/${ID}/channels/0/live`, { method: 'POST', body: JSON.stringify({ max_bitrate: 1000 }) });
    expect(r.status).toBe(201);
    const { stream_id } = (await r.json()) as { stream_id: string };
    const state = async () => (await (await p.api(`/api/actors/stream:${stream_id}`)).json()) as { stateKey: string; context: { reason?: string } };
    await until(state, (a) => a.stateKey.startsWith('live'), 20_000);
    const sent = await p.api(`/api/devices/${ID}/rpc`, { method: 'POST', body: JSON.stringify({ event: 'RebootChannel', params: { channel: 0 } }) });
    expect(sent.status).toBeLessThan(300);
    // Sent while PushLive is still being answered (the camera confirms it after a moment): the push must stop all the same.
    const a = await until(state, (s) => s.stateKey === 'failed', 20_000);
    expect(a.context.reason).toMatch(/^the publisher (left|went silent)/);
  });
});
