/**
 * Recording end to end over real sockets: the API starts a record session on a simulated camera
 * (StartRecord over Vd), the test plays the PU's Vr side with FFmpeg-made segments, and playback
 * (listing, HLS decoded by FFmpeg, download, ranges) reads them back. Every Vr failure answer,
 * upload failures, and another user's channel.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import {
  captureRecording,
  csFiles,
  decode,
  makeSegments,
  onlineCam,
  put,
  run,
  until,
  userToken,
  VrClient,
  type RecordCapture,
  type Segment,
  type TestCam,
} from './helpers.ts';

setDefaultTimeout(60_000);

const FPS = 25;
let p: TestPlatform;
let alice: string;
let bob: string;
let cam: TestCam;
let cap: RecordCapture;
let vr: VrClient;
let segs: Segment[];
const work = mkdtempSync(join(tmpdir(), 'h627-vr-e2e-'));
/** Device time of the first recorded segment (an hour ago: well inside the default listing range). */
const T0 = Math.floor(Date.now() / 1000) - 3600;
const base = () => `/api/devices/${cam.id}/channels/0`;
const api = (path: string, init: RequestInit & { token?: string } = {}) => p.api(path, { token: alice, ...init });

beforeAll(async () => {
  [p, segs] = await Promise.all([startTestPlatform(), makeSegments(8, 1)]);
  alice = await userToken(p, 'alice');
  bob = await userToken(p, 'bob');
  cap = captureRecording();
  cam = await onlineCam(p, 'CAM-VR-1', 'a0b1c2d3e601', cap.hooks, alice, 2);
}, 90_000);

afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Upload segments i..j of `segs` as one continuous run starting at T0 + offset, confirming each with the next create. */
async function record(list: Segment[], at: number, opts: { firstDiscontinue?: 0 | 1; prev?: string } = {}): Promise<string> {
  let prev = opts.prev;
  for (const [i, s] of list.entries()) {
    const c = await vr.create(
      { size: s.bytes.length, start: at + s.offset - list[0]!.offset, duration: s.duration, discontinue: i === 0 ? (opts.firstDiscontinue ?? 0) : 0 },
      prev,
    );
    expect(c.status).toBe(200);
    const u = await put(String(c.body.url), s.bytes);
    expect(u).toEqual({ status: 201, body: { size: s.bytes.length } });
    prev = String(c.body.name);
  }
  return prev!;
}

describe('starting and stopping', () => {
  it('starts a session: StartRecord carries the session, start_ts 0 and an unguessable Vr URL of at most 256 bytes', async () => {
    const r = await api(`${base()}/recording`, { method: 'POST', body: JSON.stringify({ seg_duration: 1, seg_max_size: 1_000_000 }) });
    expect(r.status).toBe(201);
    const s = await r.json();
    expect(s).toMatchObject({
      device_id: cam.id,
      channel: 0,
      state: 'starting',
      params: { seg_duration: 1, seg_max_size: 1_000_000, seg_max_count: 3, max_bitrate: 2_000_000 },
    });
    const started = await until(
      () => cap.starts,
      (l) => l.length === 1,
      10_000,
      'StartRecord',
    );
    expect(started[0]).toMatchObject({
      session_id: s.session_id,
      channel: 0,
      seg_duration: 1,
      seg_max_size: 1_000_000,
      seg_max_count: 3,
      max_bitrate: 2_000_000,
      start_ts: 0,
    });
    expect(started[0]!.cbk_url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${p.port}/live/cseg/[A-Za-z0-9_-]{32}$`));
    expect(Buffer.byteLength(started[0]!.cbk_url)).toBeLessThanOrEqual(256);
    expect(JSON.stringify(s)).not.toContain(started[0]!.cbk_url.split('/').at(-1)!);
    const now = await until(
      async () => (await api(`${base()}/recording`)).json(),
      (v) => v.state === 'recording',
      10_000,
      'recording',
    );
    expect(now.started_at).toBeNumber();
    // The channel id stays out of the actor's context and history.
    const actor = await (await p.api(`/api/actors/${s.recording_id}/history?after=-1&limit=50`)).text();
    expect(actor).not.toContain(started[0]!.cbk_url.split('/').at(-1)!);
    vr = new VrClient(started[0]!.cbk_url, cam.mac);
  });

  it('answers a repeated start with the running session, and refuses other parameters or an unknown channel', async () => {
    const again = await api(`${base()}/recording`, { method: 'POST' });
    expect(again.status).toBe(200);
    const other = await api(`${base()}/recording`, { method: 'POST', body: JSON.stringify({ seg_duration: 5 }) });
    expect(other.status).toBe(409);
    expect((await other.json()).detail).toContain('already recording');
    expect((await api(`/api/devices/${cam.id}/channels/7/recording`, { method: 'POST' })).status).toBe(404);
    const bad = await api(`${base()}/recording`, { method: 'POST', body: JSON.stringify({ seg_duration: 0 }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe('seg_duration');
    expect(cap.starts.length).toBe(1);
  });
});

describe('the Vr cycle and playback', () => {
  let last: string;
  it('records segments with create+previous, each answered after its commit, and lists them without a gap', async () => {
    last = await record(segs.slice(0, 6), T0);
    const saved = await vr.save(last);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({});
    const l = await (await api(`${base()}/recordings?from=${T0}&to=${T0 + 6}`)).json();
    expect(l.segments.length).toBe(6);
    expect(l.gaps).toEqual([]);
    expect(l.duration).toBeCloseTo(6, 3);
    expect(l.size).toBe(segs.slice(0, 6).reduce((n, s) => n + s.bytes.length, 0));
    expect(l.segments.map((s: { discontinuity: boolean }) => s.discontinuity)).toEqual([false, false, false, false, false, false]);
    expect(l.segments[0]).toMatchObject({ start: T0, duration: segs[0]!.duration, size: segs[0]!.bytes.length });
    expect(l.segments[0].name).toMatch(/^\d+-[0-9a-z]{6}\.ts$/);
    // A save of a confirmed segment is confirmed already.
    expect((await vr.save(last)).status).toBe(200);
  });

  it('serves an HLS playlist that FFmpeg decodes over the whole range, with the recorded duration', async () => {
    const r = await api(`${base()}/playback.m3u8?from=${T0}&to=${T0 + 6}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const text = await r.text();
    expect(text).toStartWith('#EXTM3U\n');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(text).toContain('#EXT-X-ENDLIST');
    expect(text).not.toContain('#EXT-X-DISCONTINUITY');
    expect(text.match(/#EXTINF:/g)!.length).toBe(6);
    const file = join(work, 'six.m3u8');
    writeFileSync(file, text);
    const d = await decode(file, ['-protocol_whitelist', 'file,https,tls,tcp,crypto']);
    expect(d.errors).toEqual([]);
    expect(d.code).toBe(0);
    expect(d.frames).toBe(6 * FPS);
  });

  it('downloads the range as one MPEG-TS file of the recorded length', async () => {
    const r = await api(`${base()}/download?from=${T0}&to=${T0 + 6}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp2t');
    expect(r.headers.get('content-disposition')).toStartWith(`attachment; filename="${cam.id}-ch0-`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(bytes.length).toBe(segs.slice(0, 6).reduce((n, s) => n + s.bytes.length, 0));
    const file = join(work, 'range.ts');
    writeFileSync(file, bytes);
    const d = await decode(file);
    expect(d.errors).toEqual([]);
    expect(d.frames).toBe(6 * FPS);
    const probe = await run(['ffprobe', '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
    expect(Number(probe.stdout)).toBeCloseTo(6, 0);
  });

  it('serves segment URLs with byte ranges, and only with their signature', async () => {
    const l = await (await api(`${base()}/recordings?from=${T0}&to=${T0 + 1}`)).json();
    const url = l.segments[0].url as string;
    const whole = await fetch(url, INSECURE as RequestInit);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(segs[0]!.bytes);
    const part = await fetch(url, { headers: { Range: 'bytes=188-375' }, ...INSECURE } as RequestInit);
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 188-375/${segs[0]!.bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(segs[0]!.bytes.subarray(188, 376));
    expect((await fetch(url, { headers: { Range: `bytes=${segs[0]!.bytes.length}-` }, ...INSECURE } as RequestInit)).status).toBe(416);
    const forged = url.replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(forged, INSECURE as RequestInit)).status).toBe(403);
    expect((await fetch(url.split('?')[0]!, INSECURE as RequestInit)).status).toBe(403);
  });

  it("marks the PU's discontinuities and the gaps with EXT-X-DISCONTINUITY, and FFmpeg still decodes it all", async () => {
    // A separate recording run (timestamps restart: discontinue=1) after a 4 s hole.
    const late = await makeSegments(2, 1);
    const t1 = T0 + 10;
    const next = await record(late, t1, { firstDiscontinue: 1, prev: last });
    expect((await vr.save(next)).status).toBe(200);
    const l = await (await api(`${base()}/recordings?from=${T0}&to=${t1 + 2}`)).json();
    expect(l.segments.length).toBe(8);
    expect(l.gaps).toEqual([{ start: T0 + 6, end: t1, duration: 4 }]);
    expect(l.segments[6]).toMatchObject({ start: t1, discontinuity: true });
    const text = await (await api(`${base()}/playback.m3u8?from=${T0}&to=${t1 + 2}`)).text();
    expect(text.match(/#EXT-X-DISCONTINUITY\n/g)!.length).toBe(1);
    expect(text.match(/#EXT-X-PROGRAM-DATE-TIME:/g)!.length).toBe(2);
    expect(text).toContain(`#EXT-X-PROGRAM-DATE-TIME:${new Date(t1 * 1000).toISOString()}`);
    const file = join(work, 'gap.m3u8');
    writeFileSync(file, text);
    const d = await decode(file, ['-protocol_whitelist', 'file,https,tls,tcp,crypto']);
    expect(d.errors).toEqual([]);
    expect(d.frames).toBe(8 * FPS);
    last = next;
  });

  it('answers getcurrenttime with the platform clock and stores stat reports in any case', async () => {
    const t = await vr.post('op=getcurrenttime');
    expect(t.status).toBe(200);
    expect(Math.abs((t.body.currenttime as number) - Date.now() / 1000)).toBeLessThan(5);
    expect((await vr.post('op=stat&Dropped_nb=3&DROPPED_TIME=30.5')).status).toBe(200);
    expect((await vr.post('OP=STAT&dropped_nb=2')).status).toBe(200);
    const s = await (await api(`${base()}/recording`)).json();
    expect(s.dropped).toEqual({ segments: 5, seconds: 30.5, reports: 2 });
  });
});

describe('Vr failures', () => {
  const seg = () => ({ size: 1000, start: T0 + 100, duration: 1 });
  const expectInfo = (r: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, text: string) => {
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toBe('POST');
    expect(String(r.body.info)).toContain(text);
  };

  it('names an unknown op, a bad field, an unknown channel, a missing or wrong MAC, and an oversized segment', async () => {
    expectInfo(await vr.post('op=delete&name=x'), 400, 'op');
    expectInfo(await vr.post('op=create&content_type=video%2Fmp4&size=1&start=1&duration=1'), 400, 'content_type');
    expectInfo(await vr.post('op=create&content_type=video%2Fmp2t&size=-1&start=1&duration=1'), 400, 'size');
    expectInfo(await new VrClient(`${p.url}/live/cseg/NoSuchChannelIdNoSuchChannelId00`, cam.mac).post('op=getcurrenttime'), 404, 'unknown channel id');
    expectInfo(await new VrClient(vr.cbkUrl, undefined).post('op=getcurrenttime'), 400, 'Mac-Identity');
    expectInfo(await new VrClient(vr.cbkUrl, 'a0:b1:c2:d3:e6:99').post('op=getcurrenttime'), 403, 'Mac-Identity');
    expect((await new VrClient(vr.cbkUrl, 'A0-B1-C2-D3-E6-01').post('op=getcurrenttime')).status).toBe(200);
    expect((await new VrClient(vr.cbkUrl, cam.id).post('op=getcurrenttime')).status).toBe(200);
    expectInfo(await vr.create({ ...seg(), size: 1_000_001 }), 413, 'seg_max_size');
    expectInfo(await vr.create({ ...seg(), start: 1e17 }), 400, 'start');
    expectInfo(await vr.post(`op=getcurrenttime&pad=${'x'.repeat(5000)}`), 413, 'too large');
  });

  it('names an unknown or unuploaded segment in save, fail and create+previous, and changes nothing then', async () => {
    expectInfo(await vr.save('1700000000000-zzzzzz.ts'), 404, 'unknown segment 1700000000000-zzzzzz.ts');
    expectInfo(await vr.save('0003.ts'), 404, 'unknown segment');
    expectInfo(await vr.fail('1700000000000-zzzzzz.ts'), 404, 'unknown segment');
    const c = await vr.create(seg());
    expect(c.status).toBe(200);
    const name = String(c.body.name);
    expectInfo(await vr.save(name), 409, `segment ${name} is not uploaded`);
    const before = await (await p.api(`/api/actors?type=segment&limit=1000`)).json();
    expectInfo(await vr.create(seg(), name), 409, `segment ${name} is not uploaded`);
    expectInfo(await vr.create(seg(), '1700000000000-zzzzzz.ts'), 404, 'unknown segment');
    const after = await (await p.api(`/api/actors?type=segment&limit=1000`)).json();
    expect(after.actors.length).toBe(before.actors.length); // the refused creates made nothing
    expect((await vr.fail(name)).status).toBe(200);
    expectInfo(await vr.save(name), 410, 'failed');
    expectInfo(await vr.fail(last()), 409, 'confirmed already');
  });

  it('refuses a forged or reused upload URL, and a body of the wrong size', async () => {
    const s = segs[7]!;
    const c = await vr.create({ size: s.bytes.length, start: T0 + 200, duration: s.duration });
    const url = String(c.body.url);
    expect((await put(url.replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAA'), s.bytes)).status).toBe(403);
    expect((await put(url.replace('/cs/up/', '/cs/up/x').replace(/\?.*/, ''), s.bytes)).status).toBe(403);
    const lying = await put(url, s.bytes.subarray(0, 1000));
    expect(lying.status).toBe(400);
    expect(String(lying.body.info)).toContain(`Content-Length 1000 is not the declared size of ${s.bytes.length} bytes`);
    // Without a Content-Length (chunked), the bytes themselves are counted.
    const chunked = (b: Uint8Array) =>
      new ReadableStream<Uint8Array>({
        start(ctl) {
          ctl.enqueue(b);
          ctl.close();
        },
      });
    const short = await put(url, chunked(s.bytes.subarray(0, 1000)));
    expect(short.status).toBe(400);
    expect(String(short.body.info)).toContain(`received 1000 bytes, the segment was declared as ${s.bytes.length}`);
    const long = await put(url, chunked(new Uint8Array(s.bytes.length + 1)));
    expect(long.status).toBe(400);
    expect(String(long.body.info)).toContain(`over the declared size of ${s.bytes.length} bytes`);
    expect((await put(url, s.bytes)).status).toBe(201); // a failed try does not use the URL up
    const again = await put(url, s.bytes);
    expect(again.status).toBe(409);
    expect(String(again.body.info)).toContain('single-use');
    expect((await vr.fail(String(c.body.name))).status).toBe(200);
  });

  it('refuses to confirm a segment whose bytes were lost after its upload, naming it, and leaves it unconfirmed', async () => {
    const s = segs[7]!;
    const c = await vr.create({ size: s.bytes.length, start: T0 + 400, duration: s.duration });
    const name = String(c.body.name);
    expect((await put(String(c.body.url), s.bytes)).status).toBe(201);
    const file = csFiles(p.dataDir).find((f) => f.endsWith(name))!;
    rmSync(join(p.dataDir, 'cs', file)); // a disk or an operator lost it before the PU confirmed it
    expectInfo(await vr.save(name), 410, `segment ${name}: its bytes are not in storage; cancel it (op=fail)`);
    expectInfo(await vr.create({ size: 1000, start: T0 + 401, duration: 1 }, name), 410, 'its bytes are not in storage');
    const l = await (await api(`${base()}/recordings?from=${T0 + 399}&to=${T0 + 402}`)).json();
    expect(l.segments).toEqual([]);
    expect((await vr.fail(name)).status).toBe(200);
  });

  it('cleans up after an upload that failed and was cancelled: no file, no row, the actor failed', async () => {
    const s = segs[7]!;
    const c = await vr.create({ size: s.bytes.length, start: T0 + 300, duration: s.duration });
    const name = String(c.body.name);
    // The PU's connection breaks mid-upload: a body that errors after some bytes.
    const broken = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(s.bytes.subarray(0, 20_000));
        setTimeout(() => ctl.error(new Error('link down')), 50);
      },
    });
    await put(String(c.body.url), broken).catch(() => undefined);
    expect((await vr.fail(name)).status).toBe(200);
    const id = `seg:${(await (await api(`${base()}/recording`)).json()).session_id}:${name.replace('.ts', '')}`;
    await until(
      async () => (await (await p.api(`/api/actors/${id}`)).json()).stateKey,
      (k) => k === 'failed',
      10_000,
      'segment failed',
    );
    expect(csFiles(p.dataDir).filter((f) => f.includes(name))).toEqual([]);
    const l = await (await api(`${base()}/recordings?from=${T0 + 299}&to=${T0 + 302}`)).json();
    expect(l.segments).toEqual([]);
  });

  const last = () => lastName;
  let lastName = '';
  beforeAll(async () => {
    const l = await (await api(`${base()}/recordings?from=${T0}&to=${T0 + 20}`)).json();
    lastName = l.segments.at(-1).name;
  });
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

describe('stopping', () => {
  it('sends StopRecord, keeps the channel id working for the last segment, and starts a fresh session afterwards', async () => {
    const r = await api(`${base()}/recording`, { method: 'DELETE' });
    expect(r.status).toBe(202);
    await until(
      () => cap.stops.length,
      (n) => n === 1,
      10_000,
      'StopRecord',
    );
    const s = await until(
      async () => (await api(`${base()}/recording`)).json(),
      (v) => v.state === 'stopped',
      10_000,
      'stopped',
    );
    expect(cap.stops[0]).toEqual({ session_id: s.session_id, channel: 0 });
    expect(s).toMatchObject({ reason: 'stopped', stopped_at: expect.any(Number) });
    // The PU finishes its last segment after StopRecord.
    const tail = segs[7]!;
    const c = await vr.create({ size: tail.bytes.length, start: T0 + 400, duration: tail.duration });
    expect(c.status).toBe(200);
    expect((await put(String(c.body.url), tail.bytes)).status).toBe(201);
    expect((await vr.save(String(c.body.name))).status).toBe(200);
    expect((await api(`${base()}/recording`, { method: 'DELETE' })).status).toBe(404);
    const again = await api(`${base()}/recording`, { method: 'POST', body: JSON.stringify({ seg_duration: 2 }) });
    expect(again.status).toBe(201);
    const fresh = await again.json();
    expect(fresh.session_id).not.toBe(s.session_id);
    const started = await until(
      () => cap.starts,
      (l) => l.length === 2,
      10_000,
      'second StartRecord',
    );
    expect(started[1]!.cbk_url).not.toBe(vr.cbkUrl);
    expect((await api(`${base()}/recording`, { method: 'DELETE' })).status).toBe(202);
  });
});
