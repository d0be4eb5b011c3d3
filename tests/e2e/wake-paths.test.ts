/**
 * Start recording and SD-card playback on a sleeping battery camera end to end (issue #22 point 3): two simulators
 * with `--battery` fall asleep; a record session wakes one (TOWAKEUP), StartRecord follows its login, a segment of
 * real video arrives over Vr and KeepAwaken keeps the camera up while it records; an SD playback wakes the other
 * (`--sd-card --battery`), PlayVideo follows its login and a WSS viewer gets the card's video. The console's API shows
 * the battery each camera reported.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { ffmpegLive, Recorder, SimulatedDevice } from '../../device/index.ts';
import { SdCard } from '../../device/sd-card.ts';
import { PU_WAKING_REASON, WAKING_FOR_RECORDING_REASON, WAKING_FOR_SD_PLAY_REASON } from '../../actors/machines/pu.hibernation.ts';
import { KEEP_AWAKE_S } from '../../actors/machines/pu.links.ts';
import { SD_WAKING_REASON } from '../../actors/machines/sdplay.machine.ts';
import { until } from '../helpers/wait.ts';
import { provisionDevice, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { TS_PACKET_BYTES, wsPackets } from '../helpers/media.ts';

setDefaultTimeout(120_000);

/** The cameras sleep after this much idle time here, ms (`--sleep-after`). */
const IDLE_MS = 2000;
/** Their heartbeat while asleep here, ms (60 s on a real camera). */
const HB_MS = 1000;
const REC = { id: 'CAM-WAKE-REC', mac: 'a0:b1:c2:d3:e8:01' };
const SD = { id: 'CAM-WAKE-SD', mac: 'a0:b1:c2:d3:e8:02' };
let p: TestPlatform;
let recorder: Recorder;
const devices: Record<string, SimulatedDevice> = {};

const state = async (id: string) => (await (await p.api(`/api/actors/pu:${id}`)).json()).stateKey as string;
const reasons = async (actorId: string) =>
  ((await (await p.api(`/api/actors/${actorId}/history?limit=200`)).json()).events as Array<{ context: { reason: string } }>).map((e) => e.context.reason);

function camera(c: { id: string; mac: string }, media: ConstructorParameters<typeof SimulatedDevice>[0]['media']): SimulatedDevice {
  return new SimulatedDevice({
    server: p.url,
    id: c.id,
    password: 'camera-password',
    mac: c.mac,
    channels: 1,
    tls: { rejectUnauthorized: false },
    capabilities: { battery: true },
    media,
    sleep: { idleMs: IDLE_MS, hbIntervalMs: HB_MS },
  });
}

beforeAll(async () => {
  p = await startTestPlatform({ HIBERNATION_OFFLINE_S: '10', RECORDING_UPLOAD_TTL_S: '5', RECORDING_CONFIRM_TTL_S: '5' });
  for (const c of [REC, SD]) await provisionDevice(p, { device_id: c.id, password: 'camera-password', mac_id: c.mac });
  recorder = new Recorder({ tls: { rejectUnauthorized: false }, https: true });
  devices[REC.id] = camera(REC, { ...ffmpegLive(), ...recorder.hooks });
  devices[SD.id] = camera(SD, { ...ffmpegLive(), sdCard: new SdCard() });
  for (const d of Object.values(devices)) await d.start();
  await Promise.all(Object.values(devices).map((d) => d.waitFor('online', 20_000)));
  await Promise.all(
    [REC, SD].map((c) =>
      until(
        () => state(c.id),
        (s) => s === 'hibernating',
        20_000,
      ),
    ),
  );
}, 90_000);
afterAll(async () => {
  for (const d of Object.values(devices)) await d.stop();
  await p?.cleanup();
});

describe('start recording on a sleeping camera (simulator --battery)', () => {
  it('wakes it, sends StartRecord once it logs in, and a segment of its video arrives', async () => {
    const dev = devices[REC.id]!;
    expect(dev.sleeper?.asleep).toBe(true);
    const base = `/api/devices/${REC.id}/channels/0/recording`;
    const r = await p.api(base, { method: 'POST', body: JSON.stringify({ seg_duration: 1 }) });
    expect(r.status).toBe(201);
    const session = (await r.json()) as { recording_id: string };
    await until(
      async () => (await (await p.api(base)).json()).state as string,
      (s) => s === 'recording',
      30_000,
    );
    expect(dev.sleeper?.wakes).toBe(1);
    const since = Math.floor(Date.now() / 1000) - 600;
    const listing = async () => (await (await p.api(`/api/devices/${REC.id}/channels/0/recordings?from=${since}`)).json()).segments as unknown[];
    await until(listing, (s) => s.length > 0, 30_000);
    expect(await reasons(`pu:${REC.id}`)).toContain(WAKING_FOR_RECORDING_REASON);
    const rec = await reasons(session.recording_id);
    expect(rec).toContain(PU_WAKING_REASON);
    expect(rec).toContain('the PU woke and logged in: StartRecord');
    // KeepAwaken keeps it up while it records (Table 9-4, I.2.26).
    await dev.waitFor((d) => d.received.some((m) => m.name === 'KeepAwaken'), 5000);
    expect(dev.received.find((m) => m.name === 'KeepAwaken')?.params).toEqual({ channel: 0, expired: KEEP_AWAKE_S });
    expect((await p.api(base, { method: 'DELETE' })).status).toBe(202);
    await until(
      async () => (await (await p.api(base)).json()).state as string,
      (s) => s === 'stopped',
      15_000,
    );
    await recorder.idle(30_000);
  });

  it('shows the battery the camera reported (BatteryChange)', async () => {
    const dev = devices[REC.id]!;
    const sent = dev.camera.battery!.level;
    const status = await (await p.api(`/api/devices/${REC.id}`)).json();
    expect(status.battery).toBe(sent);
  });
});

describe('SD-card playback on a sleeping camera (simulator --sd-card --battery)', () => {
  it('wakes it, sends PlayVideo once it logs in, and the viewer gets the video', async () => {
    const dev = devices[SD.id]!;
    expect(dev.sleeper?.asleep).toBe(true);
    const from = Math.floor(Date.now() / 1000) - 3600;
    const base = `/api/devices/${SD.id}/channels/0/sdplay`;
    const r = await p.api(base, { method: 'POST', body: JSON.stringify({ from, to: from + 120 }) });
    expect(r.status).toBe(201);
    const t = (await r.json()) as { play_id: string; ws_url: string };
    const ts = await wsPackets(t.ws_url, 100);
    expect(ts[0]).toBe(0x47); // an MPEG-TS sync byte: the card's video reached the viewer
    expect(ts.length).toBeGreaterThanOrEqual(100 * TS_PACKET_BYTES);
    expect(dev.sleeper?.wakes).toBe(1);
    expect(dev.received.find((m) => m.name === 'PlayVideo')?.params).toMatchObject({ channel: 0, stream_id: t.play_id, start_ts: from });
    expect(await reasons(`pu:${SD.id}`)).toContain(WAKING_FOR_SD_PLAY_REASON);
    const play = await reasons(`stream:${t.play_id}`);
    expect(play).toContain(SD_WAKING_REASON);
    expect(play).toContain('the camera woke and logged in: PlayVideo');
  });
});
