/**
 * The Vr cycle and playback end to end over real sockets: the test plays the PU's Vr side with
 * FFmpeg-made segments (create+previous, upload, save, stat), and playback (listing with gaps and
 * discontinuities, HLS decoded by FFmpeg, download, signed byte ranges) reads them back.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSECURE, type TestPlatform } from '../helpers/platform.ts';
import { decode, makeSegments, run, type Segment, type TestCam, type VrClient } from './helpers.ts';
import { ON_S3, segmentUrlPrefix } from './backend.ts';
import { FPS, record, setUpVr, startSession, T0 } from './vr-setup.ts';

setDefaultTimeout(60_000);
/** What FFmpeg may open for a playlist: the platform's https segment URLs, or the store's (http on the test store). */
const PROTOCOLS = ['-protocol_whitelist', 'file,http,https,tls,tcp,crypto'];
/** The query parameter that carries a segment URL's signature: the platform's HMAC, or SigV4's. */
const SIGNATURE = ON_S3 ? /X-Amz-Signature=[^&]+/ : /s=[^&]+/;
const FORGED = ON_S3 ? `X-Amz-Signature=${'0'.repeat(64)}` : 's=AAAAAAAAAAAAAAAAAAAAAA';

let p: TestPlatform;
let alice: string;
let cam: TestCam;
let vr: VrClient;
let segs: Segment[];
const work = mkdtempSync(join(tmpdir(), 'h627-vr-e2e-'));
const base = () => `/api/devices/${cam.id}/channels/0`;
const api = (path: string, init: RequestInit & { token?: string } = {}) => p.api(path, { token: alice, ...init });

beforeAll(async () => {
  const w = await setUpVr();
  ({ p, alice, cam, segs } = w);
  vr = await startSession(w);
}, 90_000);

afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('the Vr cycle and playback', () => {
  let last: string;
  it('records segments with create+previous, each answered after its commit, and lists them without a gap', async () => {
    last = await record(vr, segs.slice(0, 6), T0);
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
    const d = await decode(file, PROTOCOLS);
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
    expect(url).toStartWith(segmentUrlPrefix(p));
    const whole = await fetch(url, INSECURE as RequestInit);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(segs[0]!.bytes);
    const part = await fetch(url, { headers: { Range: 'bytes=188-375' }, ...INSECURE } as RequestInit);
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 188-375/${segs[0]!.bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(segs[0]!.bytes.subarray(188, 376));
    expect((await fetch(url, { headers: { Range: `bytes=${segs[0]!.bytes.length}-` }, ...INSECURE } as RequestInit)).status).toBe(416);
    const forged = url.replace(SIGNATURE, FORGED);
    expect(forged).not.toBe(url);
    expect((await fetch(forged, INSECURE as RequestInit)).status).toBe(403);
    expect((await fetch(url.split('?')[0]!, INSECURE as RequestInit)).status).toBe(403);
  });

  it("marks the PU's discontinuities and the gaps with EXT-X-DISCONTINUITY, and FFmpeg still decodes it all", async () => {
    // A separate recording run (timestamps restart: discontinue=1) after a 4 s hole.
    const late = await makeSegments(2, 1);
    const t1 = T0 + 10;
    const next = await record(vr, late, t1, { firstDiscontinue: 1, prev: last });
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
    const d = await decode(file, PROTOCOLS);
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
