/**
 * Live media end to end (H.627.2 9.3.3): a real platform, the device simulator pushing H.264
 * MPEG-TS with FFmpeg over SRT, viewers pulling SRT with FFmpeg and MPEG-TS over WSS.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegLive, SimulatedDevice } from '../../device/index.ts';
import { until } from '../helpers/wait.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';

/** End-to-end steps wait on real processes and sockets. */
setDefaultTimeout(90_000);

const LINGER_S = 2;
let p: TestPlatform;
let dev: SimulatedDevice;
const ID = 'CAM-LIVE';
const work = mkdtempSync(join(tmpdir(), 'h627-live-'));

const actor = async (id: string) => (await p.api(`/api/actors/${id}`)).json();
const history = async (id: string) =>
  (await (await p.api(`/api/actors/${id}/history?limit=1000`)).json()).events as Array<{
    event: { type: string };
    value: unknown;
    context: Record<string, unknown>;
  }>;
const watch = async (ch = 0) => {
  const r = await p.api(`/api/devices/${ID}/channels/${ch}/live`, { method: 'POST', body: JSON.stringify({ max_bitrate: 1500 }) });
  expect(r.status).toBe(201);
  return r.json() as Promise<{ stream_id: string; viewer_id: string; srt_url: string; ws_url: string; expires_at: string }>;
};

/** Pull `seconds` of a stream with FFmpeg over SRT into a file; returns ffprobe's video stream. */
async function pullSrt(url: string, seconds: number) {
  const out = join(work, `pull-${Date.now()}.ts`);
  const ff = Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-i', url, '-t', String(seconds), '-c', 'copy', '-f', 'mpegts', out], {
    stderr: 'pipe',
  });
  const code = await ff.exited;
  const err = await new Response(ff.stderr).text();
  if (code !== 0) throw new Error(`ffmpeg pull failed (${code}): ${err}`);
  const probe = Bun.spawn(
    ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames,width,height', '-of', 'json', out],
    { stdout: 'pipe' },
  );
  const info = JSON.parse(await new Response(probe.stdout).text());
  return info.streams[0] as { codec_name: string; nb_read_frames: string; width: number; height: number };
}

/** Receive TS over WSS until `packets` packets arrived. */
async function pullWs(url: string, packets: number): Promise<Uint8Array> {
  const ws = new WebSocket(url, { tls: { rejectUnauthorized: false } } as never);
  ws.binaryType = 'arraybuffer';
  const chunks: Uint8Array[] = [];
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = (m) => {
      const c = new Uint8Array(m.data as ArrayBuffer);
      chunks.push(c);
      n += c.byteLength;
      if (n >= packets * 188) resolve();
    };
    ws.onerror = () => reject(new Error('wss viewer failed'));
    ws.onclose = (e) => (n >= packets * 188 ? resolve() : reject(new Error(`wss closed early: ${e.code} ${e.reason}`)));
  });
  ws.close();
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  p = await startTestPlatform({ HB_INTERVAL_S: '2', LIVE_LINGER_S: String(LINGER_S) });
  expect(
    (
      await p.api('/api/admin/devices', {
        method: 'POST',
        body: JSON.stringify({ device_id: ID, password: 'camera-password', mac_id: 'a0b1c2d3e460', channels: [0, 1] }),
      })
    ).status,
  ).toBe(201);
  dev = new SimulatedDevice({
    server: p.url,
    id: ID,
    password: 'camera-password',
    mac: 'a0b1c2d3e460',
    channels: 2,
    tls: { rejectUnauthorized: false },
    media: { ...ffmpegLive() },
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
});

afterAll(async () => {
  await dev?.stop();
  await p?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('live', () => {
  let first: Awaited<ReturnType<typeof watch>>;

  it('starts on demand: PushLive, the camera publishes, an SRT viewer gets decodable H.264', async () => {
    first = await watch();
    expect(first.srt_url).toContain(`streamid=#!::r=${first.stream_id},m=request,t=`);
    expect(first.srt_url).toContain('passphrase=');
    const v = await pullSrt(first.srt_url, 4);
    expect(v.codec_name).toBe('h264');
    expect(Number(v.nb_read_frames)).toBeGreaterThanOrEqual(50);
    const a = await actor(`stream:${first.stream_id}`);
    expect(a.stateKey).toMatch(/^live\./);
    expect(a.context).toMatchObject({ deviceId: ID, channel: 0, maxBitrateKbps: 1500 });
    const pushes = dev.received.filter((m) => m.name === 'PushLive');
    expect(pushes.length).toBe(1);
    expect(pushes[0]!.params).toMatchObject({ channel: 0, stream_id: first.stream_id, max_bitrate: 1500 });
  });

  it('serves browsers valid MPEG-TS over WSS: sync bytes every 188 bytes, no continuity gaps', async () => {
    const t = await watch();
    expect(t.stream_id).toBe(first.stream_id); // the same session
    const ts = await pullWs(t.ws_url, 2000);
    const whole = ts.subarray(0, Math.floor(ts.length / 188) * 188);
    const cc = new Map<number, number>();
    let gaps = 0;
    for (let i = 0; i < whole.length; i += 188) {
      expect(whole[i]).toBe(0x47);
      const pid = ((whole[i + 1]! & 0x1f) << 8) | whole[i + 2]!;
      const hasPayload = (whole[i + 3]! & 0x10) !== 0;
      const counter = whole[i + 3]! & 0x0f;
      if (pid === 0x1fff || !hasPayload) continue;
      const prev = cc.get(pid);
      if (prev !== undefined && counter !== ((prev + 1) & 0x0f) && counter !== prev) gaps++;
      cc.set(pid, counter);
    }
    expect(gaps).toBe(0);
    await until(
      () => actor(`stream:${t.stream_id}`),
      (a) => a.context.stats?.bitrateBps > 0,
    );
  });

  it('the camera reports the stream in Keepalive', async () => {
    await until(
      async () => (await p.api(`/api/devices/${ID}`)).json(),
      (d) => d.channel_states.find((c: { channel: number }) => c.channel === 0)?.stream_id === first.stream_id,
    );
  });

  it('stops after the last viewer leaves and the linger passes, and says so in its history', async () => {
    const r = await p.api(`/api/devices/${ID}/channels/0/live?stream_id=${first.stream_id}`, { method: 'DELETE' });
    expect(r.status).toBe(204);
    const a = await until(
      () => actor(`stream:${first.stream_id}`),
      (v) => v.stateKey === 'stopped',
      30_000,
    );
    expect(a.context.reason).toBe('no viewer since the linger began');
    const h = await history(`stream:${first.stream_id}`);
    const types = h.map((e) => e.event.type);
    for (const t of ['viewer.join', 'push.result', 'ingest.started', 'viewer.leave', 'xstate.after.LINGER.stream.live.lingering', 'stop.result'])
      expect(types).toContain(t);
    expect(h.at(-1)!.context.pushAnswer).toMatchObject({ ok: true });
    expect(h.map((e) => JSON.stringify(e.value))).toContain(JSON.stringify({ live: 'lingering' }));
    await until(
      async () => dev.received.filter((m) => m.name === 'StopLive').length,
      (n) => n >= 1,
    );
  });

  it('refuses an SRT viewer with a wrong or reused token, and a publisher without a grant', async () => {
    const t = await watch(1);
    const bad = t.srt_url.replace(/t=[^&]+/, 't=not-the-token');
    const probe = (url: string) => Bun.spawn(['ffprobe', '-v', 'error', '-rw_timeout', '5000000', url], { stderr: 'pipe' }).exited;
    expect(await probe(bad)).not.toBe(0);
    const intruder = t.srt_url.replace('m=request', 'm=publish');
    expect(await probe(intruder)).not.toBe(0);
    const v = await pullSrt(t.srt_url, 2);
    expect(v.codec_name).toBe('h264');
    expect(await probe(t.srt_url)).not.toBe(0); // used once already
  });

  it('fails the stream when the PU goes offline, though its publisher still sends', async () => {
    // A bare camera: it answers PushLive by publishing, then falls silent on Vd (no keepalive,
    // no close), as a camera whose signalling link died would.
    expect(
      (
        await p.api('/api/admin/devices', {
          method: 'POST',
          body: JSON.stringify({ device_id: 'CAM-MUTE', password: 'camera-password', mac_id: 'a0b1c2d3e462' }),
        })
      ).status,
    ).toBe(201);
    const raw = await RawDevice.connect(p.url, { login_code: 'CAM-MUTE', login_passwd: 'camera-password', hardware_model: 'h', firmware_model: 'f' });
    await raw.call('GetServerInfo');
    await raw.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1 }] });
    const ticket = p.api('/api/devices/CAM-MUTE/channels/0/live', { method: 'POST', body: '{}' });
    const push = await raw.next((f) => f.req === 'PushLive');
    const ff = Bun.spawn(
      [
        'ffmpeg',
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=25',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '25',
        '-f',
        'mpegts',
        String(push.params!.url),
      ],
      { stderr: 'ignore' },
    );
    raw.answer(push.seq!, {});
    const t = await (await ticket).json();
    await until(
      () => actor(`stream:${t.stream_id}`),
      (a) => a.stateKey.startsWith('live'),
    );
    const a = await until(
      () => actor(`stream:${t.stream_id}`),
      (v) => v.stateKey === 'failed',
      30_000,
    );
    expect(a.context.reason).toBe('the device went offline: no message for 3 heartbeat intervals');
    await ff.exited; // the platform closed the stream, so the publisher ends
    raw.close();
  });

  it('fails with the reason when the camera answers PushLive with an error', async () => {
    const plain = new SimulatedDevice({
      server: p.url,
      id: 'CAM-NOLIVE',
      password: 'camera-password',
      mac: 'a0b1c2d3e461',
      tls: { rejectUnauthorized: false },
    });
    expect(
      (
        await p.api('/api/admin/devices', {
          method: 'POST',
          body: JSON.stringify({ device_id: 'CAM-NOLIVE', password: 'camera-password', mac_id: 'a0b1c2d3e461' }),
        })
      ).status,
    ).toBe(201);
    await plain.start();
    await plain.waitFor('online', 20_000);
    const r = await p.api('/api/devices/CAM-NOLIVE/channels/0/live', { method: 'POST', body: '{}' });
    const t = await r.json();
    const a = await until(
      () => actor(`stream:${t.stream_id}`),
      (v) => v.stateKey === 'failed',
    );
    expect(a.context.failure).toEqual({ reason: expect.stringContaining('PushLive is not supported (101)'), code: 101 });
    await plain.stop();
  });

  it('after kill -9 during a live stream, the stream is failed, never stuck live', async () => {
    const t = await watch(0);
    await until(
      () => actor(`stream:${t.stream_id}`),
      (a) => a.stateKey.startsWith('live'),
    );
    await p.kill9();
    p = await p.restart();
    const a = await until(
      () => actor(`stream:${t.stream_id}`),
      (v) => v.status === 'done',
    );
    expect(a.stateKey).toBe('failed');
    expect(a.context.reason).toBe('the platform restarted during the stream');
  });
});
