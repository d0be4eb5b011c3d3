/**
 * Reconciliation of a device's stored objects against its segments (`POST …/recordings/reconcile`,
 * services/recording/recording-reconcile.ts), on both backends: local disk and S3 (a real RADOS
 * Gateway). Stray objects under the device's prefix are reported, then removed when asked; confirmed
 * and in-flight segments' objects are left alone; pages are bounded; only an admin may call it.
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { useS3Server } from '../helpers/s3.ts';
import { captureRecording, makeSegments, onlineCam, put, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(120_000);

const s3 = useS3Server();
const platforms: TestPlatform[] = [];
afterAll(async () => {
  for (const p of platforms) await p.cleanup();
});

type Backend = 'local' | 's3';

describe.each(['local', 's3'] as Backend[])('reconciliation on %s', (backend) => {
  it('reports stray objects, removes them when asked, and leaves confirmed and in-flight segments alone', async () => {
    const [p, segs] = await Promise.all([startTestPlatform(backend === 's3' ? s3().env : {}), makeSegments(2, 1)]);
    platforms.push(p);
    const alice = await userToken(p, 'alice');
    const cap = captureRecording();
    const cam = await onlineCam(p, `CAM-RECON-${backend}`, backend === 's3' ? 'a0b1c2d3ea01' : 'a0b1c2d3ea02', cap.hooks, alice);
    expect(
      (await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) })).status,
    ).toBe(201);
    await until(
      () => cap.starts.length,
      (n) => n > 0,
      10_000,
      'StartRecord',
    );
    const vr = new VrClient(cap.starts[0]!.cbk_url, cam.mac);
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
