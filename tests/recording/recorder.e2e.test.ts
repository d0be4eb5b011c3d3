/**
 * The device simulator's recorder (device/recorder.ts) against a real platform: FFmpeg records
 * real segments of seg_duration, the Vr cycle uploads and confirms them, and playback decodes
 * them. Injected faults: failed uploads (retried, then cancelled with op=fail), slow uploads (the
 * PU drops what its cache cannot hold and reports it with op=stat), and a crash mid-cycle.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, RECORD_FPS } from '../../device/index.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { keysOf, storedKeys } from './backend.ts';
import { decode, onlineCam, until, userToken, type TestCam } from './helpers.ts';

setDefaultTimeout(90_000);

let p: TestPlatform;
let alice: string;
const work = mkdtempSync(join(tmpdir(), 'h627-recorder-e2e-'));

beforeAll(async () => {
  p = await startTestPlatform({ RECORDING_UPLOAD_TTL_S: '3', RECORDING_CONFIRM_TTL_S: '3' });
  alice = await userToken(p, 'alice');
}, 90_000);
afterAll(async () => {
  await p?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const session = (cam: TestCam) => p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice }).then((r) => r.json());
const listing = (cam: TestCam) =>
  p.api(`/api/devices/${cam.id}/channels/0/recordings?from=${Math.floor(Date.now() / 1000) - 600}`, { token: alice }).then((r) => r.json());

async function recordFor(cam: TestCam, recorder: Recorder, ms: number, body: Record<string, number> = { seg_duration: 1 }) {
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify(body) })).status).toBe(201);
  await until(
    () => session(cam),
    (s) => s.state === 'recording',
    10_000,
    'recording',
  );
  await Bun.sleep(ms);
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'DELETE' })).status).toBe(202);
  await until(
    () => session(cam),
    (s) => s.state === 'stopped',
    10_000,
    'stopped',
  );
  await recorder.idle(30_000);
}

describe("the simulator's recorder", () => {
  it('records FFmpeg segments of seg_duration over Vr, and the HLS playlist plays them all', async () => {
    const recorder = new Recorder({ tls: { rejectUnauthorized: false } });
    const cam = await onlineCam(p, 'CAM-REC-1', 'a0b1c2d3e901', recorder.hooks, alice);
    await recordFor(cam, recorder, 4_500);
    const l = await listing(cam);
    expect(l.segments.length).toBeGreaterThanOrEqual(4);
    expect(recorder.events.filter((e) => e.kind === 'error')).toEqual([]);
    for (const s of l.segments.slice(0, -1)) expect(s.duration).toBeCloseTo(1, 1);
    // One continuous stream: no gap between the first and the last segment; only the first is
    // marked discontinuous (it follows nothing of this session).
    const inner = l.gaps.filter((g: { start: number }) => g.start > l.segments[0].start && g.start < l.segments.at(-1).start);
    expect(inner).toEqual([]);
    expect(l.segments.map((s: { discontinuity: boolean }) => s.discontinuity)).toEqual(l.segments.map((_: unknown, i: number) => i === 0));
    const from = l.segments[0].start;
    const to = l.segments.at(-1).end;
    const text = await (await p.api(`/api/devices/${cam.id}/channels/0/playback.m3u8?from=${from}&to=${to}`, { token: alice })).text();
    const file = join(work, 'rec.m3u8');
    writeFileSync(file, text);
    const d = await decode(file, ['-protocol_whitelist', 'file,http,https,tls,tcp,crypto']);
    expect(d.errors).toEqual([]);
    expect(d.code).toBe(0);
    expect(Math.abs(d.frames - l.duration * RECORD_FPS)).toBeLessThanOrEqual(2);
    await cam.dev.stop();
  });

  it('retries a failed upload, and cancels a segment with op=fail after the last attempt, leaving nothing of it', async () => {
    const recorder = new Recorder({ tls: { rejectUnauthorized: false }, uploadRetryMs: 100 });
    const cam = await onlineCam(p, 'CAM-REC-2', 'a0b1c2d3e902', recorder.hooks, alice);
    recorder.faults.failUploads = 1; // the first segment needs a retry
    const stopped = recordFor(cam, recorder, 4_500);
    await until(
      () => recorder.events.some((e) => e.kind === 'uploaded'),
      (v) => v,
      10_000,
      'first upload',
    );
    recorder.faults.failUploads = 3; // the second fails all three attempts
    await stopped;
    const byName = (name: string) => recorder.events.filter((e) => e.name === name).map((e) => e.kind);
    const created = recorder.events.filter((e) => e.kind === 'created').map((e) => e.name!);
    expect(byName(created[0]!)).toEqual(['created', 'upload-failed', 'uploaded', 'confirmed']);
    expect(byName(created[1]!)).toEqual(['created', 'upload-failed', 'upload-failed', 'upload-failed', 'cancelled']);
    const s = await session(cam);
    const id = `seg:${s.session_id}:${created[1]!.replace('.ts', '')}`;
    await until(
      async () => (await (await p.api(`/api/actors/${id}`)).json()).stateKey,
      (k) => k === 'failed',
      10_000,
      'failed',
    );
    expect(await keysOf(p, created[1]!)).toEqual([]);
    const names = (await listing(cam)).segments.map((x: { name: string }) => x.name);
    expect(names).toContain(created[0]!);
    expect(names).not.toContain(created[1]!);
    expect(names).toContain(created[2]!); // recording goes on after a cancelled segment
    await cam.dev.stop();
  });

  it('drops what its cache cannot hold while uploads are slow, and reports it with op=stat', async () => {
    const recorder = new Recorder({ tls: { rejectUnauthorized: false }, faults: { uploadBytesPerS: 40_000 } });
    const cam = await onlineCam(p, 'CAM-REC-3', 'a0b1c2d3e903', recorder.hooks, alice);
    await recordFor(cam, recorder, 5_000, { seg_duration: 1, seg_max_count: 1 });
    const dropped = recorder.events.filter((e) => e.kind === 'dropped').length;
    expect(dropped).toBeGreaterThan(0);
    const s = await session(cam);
    expect(s.dropped.segments).toBe(dropped);
    expect(s.dropped.seconds).toBeGreaterThan(0);
    expect((await listing(cam)).segments.length).toBeGreaterThan(0);
    await cam.dev.stop();
  });

  it('crashes mid-cycle: what was confirmed stays, the rest expires without a trace, and the platform has it record again', async () => {
    const recorder = new Recorder({ tls: { rejectUnauthorized: false } });
    const cam = await onlineCam(p, 'CAM-REC-4', 'a0b1c2d3e904', recorder.hooks, alice, 1, 1);
    expect(
      (await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) })).status,
    ).toBe(201);
    await until(
      () => recorder.events.filter((e) => e.kind === 'confirmed').length,
      (n) => n >= 2,
      15_000,
      'two confirmed',
    );
    const crashedAt = Date.now();
    recorder.crash();
    const confirmed = recorder.events.filter((e) => e.kind === 'confirmed').map((e) => e.name!);
    const created = recorder.events.filter((e) => e.kind === 'created').map((e) => e.name!);
    const s = await session(cam);
    // The unconfirmed ones expire (upload wait 6 s, confirmation 3 s).
    const lost = created.filter((n) => !confirmed.includes(n));
    expect(lost.length).toBeGreaterThan(0);
    for (const name of lost) {
      await until(
        async () => (await (await p.api(`/api/actors/seg:${s.session_id}:${name.replace('.ts', '')}`)).json()).stateKey,
        (k) => k === 'expired',
        20_000,
        `${name} expired`,
      );
    }
    const names: string[] = (await listing(cam)).segments.map((x: { name: string }) => x.name);
    for (const name of confirmed) expect(names).toContain(name);
    for (const name of lost) expect(names).not.toContain(name);
    const files = (await storedKeys(p, `${cam.id}/`)).filter((f) => f.includes(s.session_id)).map((f) => f.split('_').at(-1)!);
    for (const name of lost) expect(files).not.toContain(name);
    for (const name of confirmed) expect(files).toContain(name);
    // The camera's Keepalive stopped reporting the session (NOTES 2): the platform sent StartRecord again.
    await until(
      () => cam.dev.received.filter((m) => m.name === 'StartRecord' && m.at > crashedAt).length,
      (n) => n >= 1,
      15_000,
      'StartRecord again',
    );
    const again = await until(
      () => session(cam),
      (v) => v.state === 'recording' && v.attempt === 2,
      10_000,
      'recording again',
    );
    expect(again.reason).toBe('the PU is recording');
    await until(
      () => recorder.events.filter((e) => e.kind === 'created' && e.at > crashedAt).length,
      (n) => n >= 1,
      15_000,
      'recording resumed',
    );
    await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'DELETE' });
    await until(
      () => session(cam),
      (v) => v.state === 'stopped',
      10_000,
      'stopped',
    );
    await recorder.idle(20_000);
    await cam.dev.stop();
  });
});
