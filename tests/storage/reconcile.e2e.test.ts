/**
 * Reconciliation of a device's stored objects against its segments (`POST …/recordings/reconcile`,
 * services/recording/recording-reconcile.ts), on both backends: local disk and S3 (a real RADOS
 * Gateway). Stray objects under the device's prefix are reported, then removed when asked; confirmed
 * and in-flight segments' objects are left alone; pages are bounded; only an admin may call it. The
 * scheduled runs (a budget each) find confirmed segments whose object is missing, remove orphans,
 * and report to admins (`GET /api/admin/recordings/reconcile`).
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { loseS3Object, useS3Server } from '../helpers/s3.ts';
import { captureRecording, csFiles, makeSegments, onlineCam, put, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(120_000);

const s3 = useS3Server();
const platforms: TestPlatform[] = [];
afterAll(async () => {
  for (const p of platforms) await p.cleanup();
});

type Backend = 'local' | 's3';

/** A platform on `backend` (with `env`), Alice's camera recording channel 0 on it, its Vr client, and `count` segments. */
async function recordingWorld(backend: Backend, env: Record<string, string>, id: string, mac: string, count: number) {
  const [p, segs] = await Promise.all([startTestPlatform(backend === 's3' ? { ...s3().env, ...env } : env), makeSegments(count, 1)]);
  platforms.push(p);
  const alice = await userToken(p, 'alice');
  const cap = captureRecording();
  const cam = await onlineCam(p, id, mac, cap.hooks, alice);
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) })).status).toBe(
    201,
  );
  await until(
    () => cap.starts.length,
    (n) => n > 0,
    10_000,
    'StartRecord',
  );
  return { p, segs, alice, cam, vr: new VrClient(cap.starts[0]!.cbk_url, cam.mac) };
}

describe.each(['local', 's3'] as Backend[])('reconciliation on %s', (backend) => {
  it('reports stray objects, removes them when asked, and leaves confirmed and in-flight segments alone', async () => {
    const { p, segs, alice, cam, vr } = await recordingWorld(backend, {}, `CAM-RECON-${backend}`, backend === 's3' ? 'a0b1c2d3ea01' : 'a0b1c2d3ea02', 2);
    const t0 = Math.floor(Date.now() / 1000) - 60;
    const uploaded = backend === 's3' ? 200 : 201;
    // One confirmed segment, and one uploaded but not yet confirmed.
    const a = await vr.create({ size: segs[0]!.bytes.length, start: t0, duration: 1 });
    expect((await put(String(a.body.url), segs[0]!.bytes)).status).toBe(uploaded);
    const b = await vr.create({ size: segs[1]!.bytes.length, start: t0 + 1, duration: 1 }, String(a.body.name));
    expect(b.status).toBe(200);
    expect((await put(String(b.body.url), segs[1]!.bytes)).status).toBe(uploaded);
    // Two strays: a segment key of no segment, and a key no segment has.
    const strays = [`${cam.id}/0/2026-01-01/AAAAAAAAAAAAAAAA_1767225600000-abcdef.ts`, `${cam.id}/0/junk.bin`];
    for (const key of strays) {
      if (backend === 's3') await s3().client.write(key, 'stray');
      else {
        const file = join(p.dataDir, 'cs', key);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, 'stray');
      }
    }
    const reconcile = (q: string, token?: string) => p.api(`/api/devices/${cam.id}/recordings/reconcile${q}`, { method: 'POST', ...(token ? { token } : {}) });
    expect((await reconcile('', alice)).status).toBe(403);
    expect((await reconcile('?limit=0')).status).toBe(400);
    const report = await (await reconcile('')).json();
    expect(report).toMatchObject({ device_id: cam.id, scanned: 4, removed: 0, size_mismatches: [], next: null });
    expect(report.orphans).toEqual([
      { key: strays[0], size: 5, why: 'no such segment' },
      { key: strays[1], size: 5, why: 'not a segment key' },
    ]);
    // Bounded pages: one object, then the next after it.
    const first = await (await reconcile('?limit=1')).json();
    expect(first.scanned).toBe(1);
    expect(first.next).toBeString();
    expect((await (await reconcile(`?limit=1&after=${encodeURIComponent(first.next)}`)).json()).scanned).toBe(1);
    const removed = await (await reconcile('?remove=1')).json();
    expect(removed.removed).toBe(2);
    const after = await (await reconcile('')).json();
    expect(after).toMatchObject({ scanned: 2, orphans: [] });
    // The confirmed segment still plays; the in-flight one is still confirmable.
    expect((await vr.save(String(b.body.name))).status).toBe(200);
    const l = await (await p.api(`/api/devices/${cam.id}/channels/0/recordings?from=${t0 - 1}&to=${t0 + 10}`, { token: alice })).json();
    expect(l.segments.map((s: { size: number }) => s.size)).toEqual([segs[0]!.bytes.length, segs[1]!.bytes.length]);
    await cam.dev.stop();
  });
});

/** Every report of the scheduled runs seen while polling the admin API (each run's stays until the next). */
interface Seen {
  missing: Array<{ device_id: string; segment: string; key: string }>;
  orphans: Array<{ device_id: string; key: string; size: number; why: string }>;
  removed: number;
  runs: Set<string>;
}

describe.each(['local', 's3'] as Backend[])('the scheduled reconciliation on %s', (backend) => {
  it('finds confirmed segments whose object is missing and removes orphans, a budget per run, and reports to admins', async () => {
    const budget = 2;
    const env = { RECORDING_RECONCILE_S: '1', RECORDING_RECONCILE_BUDGET: String(budget) };
    const { p, segs, alice, cam, vr } = await recordingWorld(backend, env, `CAM-SCHED-${backend}`, backend === 's3' ? 'a0b1c2d3ea11' : 'a0b1c2d3ea12', 3);
    const t0 = Math.floor(Date.now() / 1000) - 60;
    const names: string[] = [];
    for (const [i, s] of segs.entries()) {
      const c = await vr.create({ size: s.bytes.length, start: t0 + i, duration: 1 });
      expect((await put(String(c.body.url), s.bytes)).status).toBe(backend === 's3' ? 200 : 201);
      expect((await vr.save(String(c.body.name))).status).toBe(200);
      names.push(String(c.body.name));
    }
    const keys = async () =>
      backend === 's3'
        ? ((await s3().client.list({ prefix: `${cam.id}/` })).contents ?? []).map((o) => o.key).sort()
        : csFiles(p.dataDir).filter((f) => f.startsWith(`${cam.id}/`));
    const lostKey = (await keys()).find((k) => k.endsWith(names[0]!))!;
    const stray = `${cam.id}/0/2026-01-01/AAAAAAAAAAAAAAAA_1767225600000-abcdef.ts`;
    // Behind the platform's back: the first segment's object lost, an orphan object put.
    if (backend === 's3') {
      await loseS3Object(s3(), lostKey);
      await s3().client.write(stray, 'stray');
    } else {
      rmSync(join(p.dataDir, 'cs', lostKey));
      mkdirSync(dirname(join(p.dataDir, 'cs', stray)), { recursive: true });
      writeFileSync(join(p.dataDir, 'cs', stray), 'stray');
    }
    expect((await p.api('/api/admin/recordings/reconcile', { token: alice })).status).toBe(403);
    const seen: Seen = { missing: [], orphans: [], removed: 0, runs: new Set() };
    await until(
      async () => {
        const s = await (await p.api('/api/admin/recordings/reconcile')).json();
        expect(s).toMatchObject({ interval_s: 1, budget, remove: true });
        const r = s.last;
        if (r && !seen.runs.has(r.started_at)) {
          seen.runs.add(r.started_at);
          // The budget bounds a run: one page of at most `budget` objects and rows, then it stops.
          expect(r.scanned + r.rows_scanned).toBeLessThanOrEqual(2 * budget);
          seen.missing.push(...r.missing);
          seen.orphans.push(...r.orphans);
          seen.removed += r.removed;
        }
        return { missing: seen.missing.length, removed: seen.removed, left: (await keys()).includes(stray), runs: seen.runs.size };
      },
      // The orphan sorts first and may go in the first run: wait for a second run to be seen too.
      (v) => v.missing > 0 && v.removed > 0 && !v.left && v.runs > 1,
      20_000,
      'a scheduled run found the missing object and removed the orphan',
    );
    expect(seen.missing[0]).toMatchObject({ device_id: cam.id, key: lostKey });
    expect(seen.missing[0]!.segment).toEndWith(names[0]!.replace('.ts', ''));
    expect(seen.orphans).toContainEqual({ device_id: cam.id, key: stray, size: 5, why: 'no such segment' });
    // Several runs went through the device (the budget is less than its objects and rows).
    expect(seen.runs.size).toBeGreaterThan(1);
    // The missing segment is reported, never removed: its metadata is still listed; the others' objects stay.
    const l = await (await p.api(`/api/devices/${cam.id}/channels/0/recordings?from=${t0 - 1}&to=${t0 + 10}`, { token: alice })).json();
    expect(l.segments.map((s: { name: string }) => s.name)).toEqual(names);
    expect((await keys()).length).toBe(2);
    // The device's own pass names it too (rows part).
    const pass = await (await p.api(`/api/devices/${cam.id}/recordings/reconcile`, { method: 'POST' })).json();
    expect(pass).toMatchObject({ rows_scanned: 3, next_row: null, orphans: [] });
    expect(pass.missing).toEqual([{ segment: seen.missing[0]!.segment, key: lostKey, size: segs[0]!.bytes.length }]);
    await cam.dev.stop();
  });
});
