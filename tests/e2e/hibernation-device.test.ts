/**
 * A battery camera end to end (issue #22 points 2, 3 and 7): the simulator (`--battery`) falls asleep when idle (Vd
 * closed, heartbeats on its hibernation link), the platform shows it asleep, and a live request wakes it (TOWAKEUP),
 * waits for its login, and the viewer gets real video (FFmpeg over SRT, MPEG-TS over WSS) while KeepAwaken keeps it up.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { ffmpegLive, SimulatedDevice } from '../../device/index.ts';
import { until } from '../helpers/wait.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { TS_PACKET_BYTES, wsPackets } from '../helpers/media.ts';

setDefaultTimeout(90_000);

/** The camera sleeps after this much idle time here, ms (`--sleep-after`). */
const IDLE_MS = 2000;
/** Its heartbeat while asleep here, ms (60 s on a real camera). */
const HB_MS = 1000;
const ID = 'CAM-BATTERY';
let p: TestPlatform;
let dev: SimulatedDevice;
const state = async () => (await (await p.api(`/api/actors/pu:${ID}`)).json()).stateKey as string;

beforeAll(async () => {
  p = await startTestPlatform({ HIBERNATION_OFFLINE_S: '10', LIVE_LINGER_S: '1' });
  const r = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: ID, password: 'camera-password', mac_id: 'a0:b1:c2:d3:e7:01' }),
  });
  expect(r.status).toBe(201);
  dev = new SimulatedDevice({
    server: p.url,
    id: ID,
    password: 'camera-password',
    mac: 'a0:b1:c2:d3:e7:01',
    tls: { rejectUnauthorized: false },
    capabilities: { battery: true },
    media: { ...ffmpegLive() },
    sleep: { idleMs: IDLE_MS, hbIntervalMs: HB_MS },
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
}, 60_000);
afterAll(async () => {
  await dev?.stop();
  await p?.cleanup();
});

describe('a battery camera (simulator --battery)', () => {
  it('falls asleep when idle: the platform shows it asleep with its last heartbeat', async () => {
    await until(state, (s) => s === 'hibernating', 20_000);
    expect(dev.sleeper?.asleep).toBe(true);
    const status = await (await p.api(`/api/devices/${ID}`)).json();
    expect(status).toMatchObject({ state: 'hibernating', asleep: true, online: false, connected: false });
    expect(status.last_heartbeat).toBeGreaterThan(Date.now() - 5000);
    expect(status.battery).not.toBeNull();
  });

  it('wakes for a live request and the viewer gets video', async () => {
    const asked = Date.now();
    const r = await p.api(`/api/devices/${ID}/channels/0/live`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(201);
    const ticket = (await r.json()) as { ws_url: string };
    expect(dev.sleeper?.wakes).toBe(1);
    const ts = await wsPackets(ticket.ws_url, 100);
    expect(ts[0]).toBe(0x47); // an MPEG-TS sync byte: video reached the viewer
    expect(ts.length).toBeGreaterThanOrEqual(100 * TS_PACKET_BYTES);
    console.log(`wake to first packets: ${Date.now() - asked} ms`);
    // A camera that may sleep is kept awake while the stream is live (KeepAwaken, Table 9-4).
    await dev.waitFor((d) => d.received.some((m) => m.name === 'KeepAwaken'), 5000);
    expect(dev.received.find((m) => m.name === 'KeepAwaken')?.params).toEqual({ channel: 0, expired: 60 });
    const history = (await (await p.api(`/api/actors/pu:${ID}/history?limit=100`)).json()).events as Array<{ context: { reason: string } }>;
    const reasons = history.map((e) => e.context.reason);
    expect(reasons).toContain('a viewer asked for live: TOWAKEUP sent, waiting for its login');
    expect(reasons).toContain('woke on TOWAKEUP and logged in');
  });
});
