/**
 * Recording on S3 (CS_BACKEND=s3, a real RADOS Gateway from scripts/s3-server.ts): Vr create answers
 * a presigned PUT URL of the store, bound to the declared size; the camera uploads there, never
 * through the platform; the confirmation HEADs the object and commits only when it is there whole.
 * The simulator's recorder (device/recorder.ts, FFmpeg segments) records against it end to end.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, RECORD_FPS } from '../../device/index.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { useS3Server } from '../helpers/s3.ts';
import { captureRecording, decode, makeSegments, onlineCam, put, type Segment, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(90_000);
/** How long the platform may take to send StartRecord or report a state. */
const WAIT_MS = 10_000;
/** One-second segments of at most 1 MB. */
const SESSION = { seg_duration: 1, seg_max_size: 1_000_000 };
/** How long retention's deletion may take once due (its timer, the store's DELETE, the index). */
const RETENTION_WAIT_MS = 15_000;
/** The first byte of every MPEG-TS packet. */
const TS_SYNC_BYTE = 0x47;
const work = mkdtempSync(join(tmpdir(), 'h627-vr-s3-'));

const s3 = useS3Server();
let p: TestPlatform;
let alice: string;
let segs: Segment[];

beforeAll(async () => {
  [p, segs] = await Promise.all([startTestPlatform({ ...s3().env, RECORDING_UPLOAD_TTL_S: '3', RECORDING_CONFIRM_TTL_S: '3' }), makeSegments(3, 1)]);
  alice = await userToken(p, 'alice');
}, 120_000);
afterAll(async () => {
  await p?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const recording = (id: string) => `/api/devices/${id}/channels/0/recording`;
const listing = (id: string) =>
  p.api(`/api/devices/${id}/channels/0/recordings?from=${Math.floor(Date.now() / 1000) - 7200}`, { token: alice }).then((r) => r.json());
/** Segment bytes the platform received on its own upload route (`PUT /cs/up/…`), from /metrics. */
async function bytesThroughPlatform(): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`, { headers: { Authorization: `Bearer ${p.adminToken}` }, ...INSECURE } as RequestInit)).text();
  return Number(/^h627_cs_bytes_stored_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}
/** The bucket's objects under a device's prefix, key → size. */
async function objectsOf(deviceId: string): Promise<Map<string, number>> {
  const l = await s3().client.list({ prefix: `${deviceId}/` });
  return new Map((l.contents ?? []).map((o) => [o.key, o.size ?? 0]));
}

async function startOn(id: string, cap?: ReturnType<typeof captureRecording>): Promise<void> {
  expect((await p.api(recording(id), { token: alice, method: 'POST', body: JSON.stringify(SESSION) })).status).toBe(201);
  await until(
    async () => (await p.api(recording(id), { token: alice })).json(),
    (v) => v.state === 'recording',
    WAIT_MS,
    'recording',
  );
  if (cap)
    await until(
      () => cap.starts,
      (l) => l.length === 1,
      WAIT_MS,
      'StartRecord',
    );
}

describe('Vr on S3', () => {
  it('answers presigned store URLs bound to the size, and confirms only what the store holds whole', async () => {
    const cap = captureRecording();
    const cam = await onlineCam(p, 'CAM-S3-1', 'a0b1c2d3e6a1', cap.hooks, alice);
    await startOn(cam.id, cap);
    const vr = new VrClient(cap.starts[0]!.cbk_url, cam.mac);
    const t0 = Math.floor(Date.now() / 1000) - 60;
    const [a, b, c] = segs;
    const ca = await vr.create({ size: a!.bytes.length, start: t0, duration: 1 });
    expect(ca.status).toBe(200);
    const url = String(ca.body.url);
    expect(url).toStartWith(`${s3().endpoint}/${s3().bucket}/${cam.id}/0/`);
    expect(url).toContain('X-Amz-SignedHeaders=content-length%3Bhost');
    // Not uploaded yet: its confirmation is refused, and nothing changes.
    expect((await vr.save(String(ca.body.name))).status).toBe(409);
    // Another size than declared: the store refuses it (the signature covers Content-Length).
    expect((await fetch(url, { method: 'PUT', body: a!.bytes.slice(1) })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', body: a!.bytes })).status).toBe(200);
    // The next create confirms it: the platform HEADs the object first.
    const cb = await vr.create({ size: b!.bytes.length, start: t0 + 1, duration: 1 }, String(ca.body.name));
    expect(cb.status).toBe(200);
    // A store that did not enforce the size: the confirmation finds another size, refuses, cleans up (9.3.4.1.2).
    const keyB = new URL(String(cb.body.url)).pathname.slice(`/${s3().bucket}/`.length);
    await s3().client.write(keyB, b!.bytes.slice(2));
    const refused = await vr.save(String(cb.body.name));
    expect(refused.status).toBe(400);
    expect(String(refused.body.info)).toContain(`not the declared ${b!.bytes.length}`);
    await until(
      () => s3().client.exists(keyB),
      (e) => e === false,
      WAIT_MS,
      'the short object removed',
    );
    expect((await vr.save(String(cb.body.name))).status).toBe(410);
    // A third segment, uploaded and confirmed by op=save.
    const cc = await vr.create({ size: c!.bytes.length, start: t0 + 2, duration: 1 });
    expect((await put(String(cc.body.url), c!.bytes)).status).toBe(200);
    expect((await vr.save(String(cc.body.name))).status).toBe(200);
    expect((await vr.save(String(cc.body.name))).status).toBe(200);
    const l = await listing(cam.id);
    expect(l.segments.map((s: { size: number }) => s.size)).toEqual([a!.bytes.length, c!.bytes.length]);
    const objects = await objectsOf(cam.id);
    expect([...objects.values()].sort()).toEqual([a!.bytes.length, c!.bytes.length].sort());
    expect(await bytesThroughPlatform()).toBe(0);
    // Retention on S3: once a device's retention is over, its segments' objects are deleted from the bucket.
    const set = await p.api(`/api/devices/${cam.id}/recording-policy`, { token: alice, method: 'PUT', body: JSON.stringify({ retention_s: 1 }) });
    expect(await set.json()).toEqual({ retention_s: 1, default: false, segments: 2 });
    await until(
      () => objectsOf(cam.id),
      (o) => o.size === 0,
      RETENTION_WAIT_MS,
      'retention on S3',
    );
    expect((await listing(cam.id)).segments).toEqual([]);
    await cam.dev.stop();
  });

  it("the simulator's recorder records FFmpeg segments straight to the store; listings and playlists read them from the store", async () => {
    const recorder = new Recorder({ tls: { rejectUnauthorized: false } });
    const cam = await onlineCam(p, 'CAM-S3-2', 'a0b1c2d3e6a2', recorder.hooks, alice);
    await startOn(cam.id);
    await Bun.sleep(4_500);
    expect((await p.api(recording(cam.id), { token: alice, method: 'DELETE' })).status).toBe(202);
    await until(
      async () => (await p.api(recording(cam.id), { token: alice })).json(),
      (s) => s.state === 'stopped',
      WAIT_MS,
      'stopped',
    );
    await recorder.idle(30_000);
    expect(recorder.events.filter((e) => e.kind === 'error' || e.kind === 'upload-failed')).toEqual([]);
    const l = await listing(cam.id);
    expect(l.segments.length).toBeGreaterThanOrEqual(3);
    expect(recorder.events.filter((e) => e.kind === 'confirmed').length).toBe(l.segments.length);
    // Every confirmed segment is an object of its size in the bucket, and nothing else is.
    const objects = await objectsOf(cam.id);
    expect([...objects.values()].sort()).toEqual(l.segments.map((s: { size: number }) => s.size).sort());
    expect(await bytesThroughPlatform()).toBe(0);
    // Listings and playlists hold presigned GET URLs of the store; the HLS playlist decodes from it.
    for (const s of l.segments) expect(s.url).toStartWith(`${s3().endpoint}/${s3().bucket}/${cam.id}/0/`);
    const first = await fetch(l.segments[0].url, { headers: { range: 'bytes=0-187' } });
    expect(first.status).toBe(206);
    expect(new Uint8Array(await first.arrayBuffer())[0]).toBe(TS_SYNC_BYTE);
    const m3u8 = await (
      await p.api(`/api/devices/${cam.id}/channels/0/playback.m3u8?from=${l.segments[0].start}&to=${l.segments.at(-1).end}`, { token: alice })
    ).text();
    expect(m3u8).toContain(`${s3().endpoint}/${s3().bucket}/`);
    const file = join(work, 'rec.m3u8');
    writeFileSync(file, m3u8);
    const d = await decode(file, ['-protocol_whitelist', 'file,http,tcp']);
    expect(d.errors).toEqual([]);
    expect(d.code).toBe(0);
    expect(Math.abs(d.frames - l.duration * RECORD_FPS)).toBeLessThanOrEqual(2);
    // The download streams the store's objects through the platform, byte for byte.
    const from = l.segments[0].start;
    const to = l.segments.at(-1).end;
    const dl = await p.api(`/api/devices/${cam.id}/channels/0/download?from=${from}&to=${to}`, { token: alice });
    expect(dl.status).toBe(200);
    expect((await dl.arrayBuffer()).byteLength).toBe(l.size);
    await cam.dev.stop();
  });
});
