/**
 * SD-card playback end to end (H.627.2 I.2.23–I.2.25, docs/sd-playback.md): a real platform, the
 * simulator with an SD card rendering "recordings" with FFmpeg and pushing them over SRT, a WSS
 * viewer kept connected throughout, and an SRT viewer pulled with FFmpeg. Pause, seek and speed
 * must change what QueryVideoStatus reports; what the viewer received must decode.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegLive, SimulatedDevice } from '../../device/index.ts';
import { SdCard } from '../../device/sd-card.ts';
import { srtFrames, TS_PACKET_BYTES } from '../helpers/media.ts';
import { startTestPlatform, userToken, type TestPlatform } from '../helpers/platform.ts';
import { until } from '../helpers/wait.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { decode } from '../recording/helpers.ts';

/** End-to-end steps wait on real processes and sockets. */
setDefaultTimeout(90_000);

const ID = 'CAM-SD';
const MAC = 'a0b1c2d3e470';
/** The range played: an hour ago, two minutes long. */
const FROM = Math.floor(Date.now() / 1000) - 3600;
const TO = FROM + 120;
const SEEK_TO = FROM + 60;
/** The heartbeat interval the platform asks for. */
const HB_MS = 2_000;
let p: TestPlatform;
let mallory: string;
let dev: SimulatedDevice;
const work = mkdtempSync(join(tmpdir(), 'h627-sd-'));
const base = `/api/devices/${ID}/channels/0/sdplay`;

interface Ticket {
  play_id: string;
  srt_url: string;
  ws_url: string;
}
interface View {
  state: string;
  status?: string;
  pos?: number;
  speed: number;
  asked_pos: number;
  reason: string;
}

const play = async (body: unknown = { from: FROM, to: TO }) => p.api(base, { method: 'POST', body: JSON.stringify(body) });
const ctrl = (sid: string, body: unknown) => p.api(`${base}/${sid}/ctrl`, { method: 'POST', body: JSON.stringify(body) });
const view = async (sid: string) => (await (await p.api(`${base}/${sid}`)).json()) as View;

/** A WSS viewer that stays connected and keeps what it receives. */
function wsViewer(url: string) {
  const ws = new WebSocket(url, { tls: { rejectUnauthorized: false } } as never);
  ws.binaryType = 'arraybuffer';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  ws.onmessage = (m) => {
    const c = new Uint8Array(m.data as ArrayBuffer);
    chunks.push(c);
    bytes += c.byteLength;
  };
  return { ws, bytes: () => bytes, data: () => Buffer.concat(chunks) };
}

beforeAll(async () => {
  p = await startTestPlatform({ HB_INTERVAL_S: String(HB_MS / 1000) });
  const r = await p.api('/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: ID, password: 'camera-password', mac_id: MAC, channels: [0] }),
  });
  expect(r.status).toBe(201);
  dev = new SimulatedDevice({
    server: p.url,
    id: ID,
    password: 'camera-password',
    mac: MAC,
    channels: 1,
    tls: { rejectUnauthorized: false },
    media: { ...ffmpegLive(), sdCard: new SdCard() },
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
});

afterAll(async () => {
  await dev?.stop();
  await p?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('SD-card playback', () => {
  let t: Ticket;
  let viewer: ReturnType<typeof wsViewer>;

  it('refuses a bad range and a stranger, with the field named', async () => {
    const bad = await play({ from: FROM, to: FROM });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('to must be after from');
    mallory = await userToken(p, 'mallory');
    expect((await p.api(base, { method: 'POST', body: JSON.stringify({ from: FROM, to: TO }), token: mallory })).status).toBe(404);
  });

  it('plays the range: PlayVideo with the SRT url and the range, then the camera publishes to a WSS viewer', async () => {
    const r = await play();
    expect(r.status).toBe(201);
    t = (await r.json()) as Ticket;
    expect(t.ws_url).toContain(`/media/sd/${t.play_id}?token=`);
    viewer = wsViewer(t.ws_url);
    await until(
      () => view(t.play_id),
      (v) => v.state === 'active.playing' && v.status === 'playing',
      20_000,
    );
    const pv = dev.received.find((m) => m.name === 'PlayVideo');
    expect(pv?.params).toMatchObject({ channel: 0, stream_id: t.play_id, start_ts: FROM, end_ts: TO });
    expect(String((pv?.params as { url?: string } | undefined)?.url)).toContain(`streamid=#!::r=${t.play_id},m=publish,t=`);
    await until(
      async () => viewer.bytes(),
      (n) => n > 200 * TS_PACKET_BYTES,
      15_000,
    );
    const v = await view(t.play_id);
    expect(v.pos).toBeGreaterThanOrEqual(FROM);
    expect(v.pos).toBeLessThan(FROM + 30);
  });

  it('pauses: the position stands still, and a second pause is a conflict', async () => {
    const r = await ctrl(t.play_id, { action: 'pause' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as View).state).toBe('active.paused');
    await Bun.sleep(300);
    const a = await view(t.play_id);
    expect(a.status).toBe('pausing');
    await Bun.sleep(1_500);
    const b = await view(t.play_id);
    expect(b.status).toBe('pausing');
    expect(b.pos).toBe(a.pos!);
    expect((await ctrl(t.play_id, { action: 'pause' })).status).toBe(409);
  });

  it('seeks inside the range, refuses outside it, and resumes from there', async () => {
    expect((await ctrl(t.play_id, { action: 'seek', pos: TO + 10 })).status).toBe(400);
    expect((await ctrl(t.play_id, { action: 'seek', pos: SEEK_TO })).status).toBe(200);
    const paused = await view(t.play_id);
    expect(paused.pos).toBe(SEEK_TO);
    expect(paused.asked_pos).toBe(SEEK_TO);
    expect((await ctrl(t.play_id, { action: 'resume' })).status).toBe(200);
    await Bun.sleep(2_000);
    const v = await view(t.play_id);
    expect(v.status).toBe('playing');
    expect(v.pos).toBeGreaterThanOrEqual(SEEK_TO + 1);
    expect(v.pos).toBeLessThanOrEqual(SEEK_TO + 4);
  });

  it('plays faster at speed 4', async () => {
    expect((await ctrl(t.play_id, { action: 'speed', speed: 4 })).status).toBe(200);
    const a = await view(t.play_id);
    await Bun.sleep(2_000);
    const b = await view(t.play_id);
    expect(b.speed).toBe(4);
    expect(b.pos! - a.pos!).toBeGreaterThanOrEqual(6);
  });

  it('stops: CtrlVideo stop, the actor stopped with its history, and the viewer got decodable H.264', async () => {
    expect((await p.api(`${base}/${t.play_id}`, { method: 'DELETE' })).status).toBe(204);
    await until(
      () => view(t.play_id),
      (v) => v.state === 'stopped',
      10_000,
    );
    expect(dev.received.filter((m) => m.name === 'CtrlVideo').map((m) => (m.params as { op: string }).op)).toEqual([
      'pause',
      'seek',
      'resume',
      'speed',
      'stop',
    ]);
    viewer.ws.close();
    const file = join(work, 'ws.ts');
    writeFileSync(file, viewer.data());
    const d = await decode(file);
    expect(d.frames).toBeGreaterThanOrEqual(50);
    const h = (await (await p.api(`/api/actors/stream:${t.play_id}/history?limit=100`)).json()).events as Array<{ value: unknown }>;
    const states = h.map((e) => JSON.stringify(e.value));
    for (const s of ['"requested"', '"awaitingIngest"', '{"active":"playing"}', '{"active":"paused"}', '"stopping"', '"stopped"']) expect(states).toContain(s);
  });

  it("replaces the channel's playback with a newer one: the older closes without a CtrlVideo stop; a stranger sees neither", async () => {
    const a = (await (await play()).json()) as Ticket;
    const va = wsViewer(a.ws_url);
    await until(
      () => view(a.play_id),
      (v) => v.state === 'active.playing',
      20_000,
    );
    expect((await p.api(`${base}/${a.play_id}`, { token: mallory })).status).toBe(404);
    expect((await p.api(`${base}/${a.play_id}/ctrl`, { method: 'POST', body: JSON.stringify({ action: 'stop' }), token: mallory })).status).toBe(404);
    const stops = () => dev.received.filter((m) => m.name === 'CtrlVideo' && (m.params as { op: string }).op === 'stop').length;
    const before = stops();
    const b = (await (await play()).json()) as Ticket;
    const vb = wsViewer(b.ws_url);
    await until(
      () => view(a.play_id),
      (v) => v.state === 'stopped' && v.reason === 'another playback of this channel began',
      15_000,
    );
    await until(
      () => view(b.play_id),
      (v) => v.state === 'active.playing' && v.status === 'playing',
      20_000,
    );
    expect(stops()).toBe(before);
    va.ws.close();
    vb.ws.close();
    await until(
      () => view(b.play_id),
      (v) => v.state === 'stopped' && v.reason === 'the viewer left',
      15_000,
    );
  });

  it('fails with the reason when the camera never publishes, and shows a status answer it refused', async () => {
    // A bare camera: it takes PlayVideo (an event: nothing to answer) and never publishes; it answers QueryVideoStatus
    // with a status the catalog does not know.
    const r = await p.api('/api/admin/devices', {
      method: 'POST',
      body: JSON.stringify({ device_id: 'CAM-BARE', password: 'camera-password', mac_id: 'a0b1c2d3e471', channels: [0] }),
    });
    expect(r.status).toBe(201);
    const raw = await RawDevice.connect(p.url, { login_code: 'CAM-BARE', login_passwd: 'camera-password', hardware_model: 'h', firmware_model: 'f' });
    await raw.call('GetServerInfo');
    const alive = setInterval(() => raw.request('Keepalive', { state: 1, channels: [{ channel: 0, state: 1 }] }), HB_MS / 2);
    const bare = `/api/devices/CAM-BARE/channels/0/sdplay`;
    const t = (await (await p.api(bare, { method: 'POST', body: JSON.stringify({ from: FROM, to: TO }) })).json()) as Ticket;
    const pv = await raw.next((f) => f.event === 'PlayVideo');
    expect(pv.params).toMatchObject({ channel: 0, stream_id: t.play_id, start_ts: FROM, end_ts: TO });
    const reading = p.api(`${bare}/${t.play_id}`);
    const q = await raw.next((f) => f.req === 'QueryVideoStatus');
    raw.answer(q.seq!, { status: 'paused' });
    const v = (await (await reading).json()) as View & { status_error?: string };
    expect(v.status).toBeUndefined();
    expect(v.status_error).toStartWith('QueryVideoStatus answer refused: status');
    await until(
      async () => (await p.api(`/api/actors/stream:${t.play_id}`)).json(),
      (a) => a.stateKey === 'failed',
      20_000,
    );
    const a = await (await p.api(`/api/actors/stream:${t.play_id}`)).json();
    expect(a.context.failure.reason).toBe('no SRT publish within 10 s of PlayVideo');
    const stop = await raw.next((f) => f.event === 'CtrlVideo');
    expect(stop.params).toEqual({ channel: 0, op: 'stop', stream_id: t.play_id });
    clearInterval(alive);
    raw.close();
  });

  it('serves an SRT viewer too, and stops when it leaves', async () => {
    const r = await play({ from: FROM, to: TO });
    const s = (await r.json()) as Ticket;
    expect(await srtFrames(s.srt_url, 3)).toBeGreaterThanOrEqual(25);
    await until(
      () => view(s.play_id),
      (v) => v.state === 'stopped' && v.reason === 'the viewer left',
      15_000,
    );
  });
});
