/**
 * The store goes down while cameras record on S3 (a real RADOS Gateway, its daemon stopped by pid:
 * connections refused; the cluster and its objects stay): a Vr create still gets its presigned
 * URL (signing needs no store), a confirmation is answered 503 with Retry-After and a message naming
 * the storage, and changes nothing; a deletion that could not reach the store is retried by the
 * segment's `removing` state; the reconciliation reports the device as an error. Once the store is
 * back, the same confirmation succeeds, the deletion completes, and nothing confirmed was lost.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { REMOVE_RETRY_MS } from '../../actors/machines/segment.machine.ts';
import { STORAGE_RETRY_AFTER_S } from '../../services/recording/recording-vr.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { useS3Server } from '../helpers/s3.ts';
import { captureRecording, makeSegments, onlineCam, put, type Segment, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(150_000);

/** How long a state change may take to show (a commit, an effect). */
const WAIT_MS = 10_000;
/** A removal that failed is tried again after REMOVE_RETRY_MS; then the DELETE and its commit. */
const REMOVAL_WAIT_MS = REMOVE_RETRY_MS + WAIT_MS;
/** The retention once the store is back: a day, so the segment confirmed then stays. */
const RETENTION_AFTER_S = 86_400;

const s3 = useS3Server();
let p: TestPlatform;
let alice: string;
let segs: Segment[];

beforeAll(async () => {
  [p, segs] = await Promise.all([startTestPlatform({ ...s3().env, RECORDING_RECONCILE_S: '0' }), makeSegments(3, 1)]);
  alice = await userToken(p, 'alice');
}, 120_000);
afterAll(async () => {
  await p?.cleanup();
});

describe('the store goes down during uploads, confirmations and deletions', () => {
  it('answers the camera 503 with Retry-After, retries the deletion, and loses nothing confirmed', async () => {
    const cap = captureRecording();
    const cam = await onlineCam(p, 'CAM-S3-DOWN', 'a0b1c2d3eb01', cap.hooks, alice);
    const base = `/api/devices/${cam.id}`;
    expect((await p.api(`${base}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) })).status).toBe(201);
    await until(
      () => cap.starts.length,
      (n) => n === 1,
      WAIT_MS,
      'StartRecord',
    );
    const vr = new VrClient(cap.starts[0]!.cbk_url, cam.mac);
    const t0 = Math.floor(Date.now() / 1000) - 60;
    const [kept, pending, late] = segs as [Segment, Segment, Segment];
    const listing = async () =>
      (await (await p.api(`${base}/channels/0/recordings?from=${t0 - 1}&to=${t0 + 10}`, { token: alice })).json()).segments as Array<{ name: string }>;
    const actor = async (name: string) => {
      const session = (await (await p.api(`${base}/channels/0/recording`, { token: alice })).json()).session_id;
      return (await (await p.api(`/api/actors/seg:${session}:${name.replace('.ts', '')}`)).json()).stateKey as string;
    };
    // Before: one confirmed segment, one uploaded and not yet confirmed.
    const a = await vr.create({ size: kept.bytes.length, start: t0, duration: 1 });
    expect((await put(String(a.body.url), kept.bytes)).status).toBe(200);
    expect((await vr.save(String(a.body.name))).status).toBe(200);
    const b = await vr.create({ size: pending.bytes.length, start: t0 + 1, duration: 1 });
    expect((await put(String(b.body.url), pending.bytes)).status).toBe(200);

    await s3().stopGateway();
    try {
      // The camera's own PUT cannot reach the store (its recorder retries; tests/recording/recorder.e2e.test.ts).
      expect(
        await fetch(String(b.body.url), { method: 'PUT', body: pending.bytes }).then(
          (r) => r.status,
          () => 'refused',
        ),
      ).toBe('refused');
      // A confirmation: 503, Retry-After, the storage named; the segment stays uploaded-but-unconfirmed.
      for (const r of [await vr.save(String(b.body.name)), await vr.create({ size: late.bytes.length, start: t0 + 2, duration: 1 }, String(b.body.name))]) {
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBe(String(STORAGE_RETRY_AFTER_S));
        expect(String(r.body.info)).toStartWith(`segment ${b.body.name}: the storage cannot be reached (`);
        expect(String(r.body.info)).toEndWith('); try again');
      }
      expect(await actor(String(b.body.name))).toBe('created');
      expect((await listing()).map((s) => s.name)).toEqual([String(a.body.name)]);
      // A create without a confirmation needs no store: its URL is signed by the platform.
      const c = await vr.create({ size: late.bytes.length, start: t0 + 2, duration: 1 });
      expect(c.status).toBe(200);
      expect(String(c.body.url)).toStartWith(`${s3().endpoint}/${s3().bucket}/${cam.id}/0/`);
      expect((await vr.fail(String(c.body.name))).status).toBe(200);
      // A deletion (retention over) cannot reach the store: the segment stays `removing`; it left the listing (and the
      // usage) when its removal was decided (docs/recording.md, "Quotas").
      const policy = await p.api(`${base}/recording-policy`, { token: alice, method: 'PUT', body: JSON.stringify({ retention_s: 1 }) });
      expect(policy.status).toBe(200);
      await until(
        () => actor(String(a.body.name)),
        (k) => k === 'removing',
        WAIT_MS,
        'the retention removal begun',
      );
      await Bun.sleep(WAIT_MS / 5);
      expect(await actor(String(a.body.name))).toBe('removing');
      expect((await listing()).map((s) => s.name)).toEqual([]);
      // The reconciliation names the device it could not reconcile.
      const run = await (await p.api('/api/admin/recordings/reconcile', { method: 'POST' })).json();
      expect(run.errors.map((e: { device_id: string }) => e.device_id)).toEqual([cam.id]);
    } finally {
      await s3().startGateway();
    }

    // Back: the same confirmation goes through (under the default retention again); the deletion is retried and completes.
    expect((await p.api(`${base}/recording-policy`, { token: alice, method: 'PUT', body: JSON.stringify({ retention_s: RETENTION_AFTER_S }) })).status).toBe(
      200,
    );
    expect((await vr.save(String(b.body.name))).status).toBe(200);
    await until(
      () => actor(String(a.body.name)),
      (k) => k === 'deleted',
      REMOVAL_WAIT_MS,
      'the removal retried once the store is back',
    );
    const objects = (await s3().client.list({ prefix: `${cam.id}/` })).contents ?? [];
    // The segment confirmed after the outage is whole in the store; the deleted one and the cancelled one are gone.
    expect(objects.map((o) => o.size)).toEqual([pending.bytes.length]);
    expect(objects[0]!.key).toEndWith(String(b.body.name));
    const run = await (await p.api('/api/admin/recordings/reconcile', { method: 'POST' })).json();
    expect(run).toMatchObject({ errors: [], orphans_total: 0, missing_total: 0 });
    await cam.dev.stop();
  });
});
