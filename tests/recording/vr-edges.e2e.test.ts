/**
 * Edges the fuzz run found (issue #19): a segment cancelled while its bytes stream in, and dropped-segment reports
 * whose sum outgrows an int4. On S3: an upload URL used again after its segment's confirmation (a presigned URL lives
 * until it expires) changes neither what playback serves nor what removal deletes (the confirmation pins the version).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { INSECURE, startTestPlatform, userToken, type TestPlatform } from '../helpers/platform.ts';
import { keysOf, ON_S3, storage } from './backend.ts';
import { captureRecording, onlineCam, put as putBytes, until, VrClient, type TestCam } from './helpers.ts';
import { VR_DROPPED_NB_MAX as DROPPED_NB_MAX } from '../../protocol/vr.ts';

setDefaultTimeout(90_000);

let p: TestPlatform;
let cam: TestCam;
let vr: VrClient;
let alice: string;

beforeAll(async () => {
  p = await startTestPlatform();
  alice = await userToken(p, 'alice');
  const rec = captureRecording();
  cam = await onlineCam(p, 'CAM-EDGE', 'a0:b1:c2:d3:e5:60', rec.hooks, alice);
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { method: 'POST', token: alice, body: '{}' })).status).toBe(201);
  await until(
    () => rec.starts.length,
    (n) => n === 1,
    10_000,
    'StartRecord',
  );
  vr = new VrClient(rec.starts[0]!.cbk_url, cam.mac);
}, 90_000);
afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
});

describe('Vr edges', () => {
  it.if(ON_S3)('leaves an upload that reaches the store after its segment was cancelled to the reconciliation, which removes it', async () => {
    const size = 64 * 1024;
    const c = await vr.create({ size, start: Date.now() / 1000, duration: 2 });
    expect(c.status).toBe(200);
    const name = String(c.body.name);
    expect((await vr.fail(name)).status).toBe(200);
    const session = (await (await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice })).json()).session_id;
    await until(
      async () => (await (await p.api(`/api/actors/seg:${session}:${name.replace('.ts', '')}`)).json()).stateKey,
      (k) => k === 'failed',
      10_000,
      'the segment failed and its removal done',
    );
    // The store cannot know: the camera's PUT, late, still lands.
    expect((await putBytes(String(c.body.url), new Uint8Array(size))).status).toBe(200);
    const reconcile = async (remove: 0 | 1) => (await p.api(`/api/devices/${cam.id}/recordings/reconcile?remove=${remove}`, { method: 'POST' })).json();
    const report = await until(
      () => reconcile(0),
      (r) => r.orphans.length === 1,
      10_000,
      'the late object reported',
    );
    expect(report.orphans[0]).toMatchObject({ size, why: 'segment failed' });
    expect(report.orphans[0].key).toEndWith(name);
    expect((await reconcile(1)).removed).toBe(1);
    expect(await keysOf(p, name)).toEqual([]);
  });

  it.skipIf(ON_S3)('answers an upload cancelled while it streams with 410, not a server error', async () => {
    const size = 64 * 1024;
    const c = await vr.create({ size, start: Date.now() / 1000, duration: 2 });
    expect(c.status).toBe(200);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const body = new ReadableStream<Uint8Array>({
      async start(ctl) {
        ctl.enqueue(new Uint8Array(size / 2));
        await held; // the second half waits until the segment is cancelled
        ctl.enqueue(new Uint8Array(size / 2));
        ctl.close();
      },
    });
    const put = fetch(String(c.body.url), { method: 'PUT', body, headers: { 'Content-Type': 'video/mp2t' }, ...INSECURE } as RequestInit);
    await Bun.sleep(300);
    expect((await vr.fail(String(c.body.name))).status).toBe(200);
    await Bun.sleep(300);
    release();
    const r = await put;
    expect(r.status).toBe(410);
    expect((await r.json()).info).toContain('cancelled');
  });

  it('shows the dropped segments of a session whose reports add up past an int4', async () => {
    for (let i = 0; i < 70; i++) expect((await vr.post({ op: 'stat', dropped_nb: DROPPED_NB_MAX, dropped_time: 1 })).status).toBe(200);
    const s = await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice });
    expect(s.status).toBe(200);
    expect((await s.json()).dropped.segments).toBe(70 * DROPPED_NB_MAX);
  });

  // Last: it shortens the camera's retention to remove the segment.
  it.if(ON_S3)('pins the version a confirmation found: the upload URL written again serves and removes nothing of it', async () => {
    const size = 64 * 1024;
    const first = new Uint8Array(size).fill(0x47);
    const second = new Uint8Array(size).fill(0x11);
    const start = Date.now() / 1000 - 30;
    const c = await vr.create({ size, start, duration: 2 });
    const name = String(c.body.name);
    expect((await putBytes(String(c.body.url), first)).status).toBe(200);
    expect((await vr.save(name)).status).toBe(200);
    // The store cannot tell: the same URL, still valid, writes the key again.
    expect((await putBytes(String(c.body.url), second)).status).toBe(200);
    const session = (await (await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice })).json()).session_id;
    const actor = `/api/actors/seg:${session}:${name.replace('.ts', '')}`;
    const pinned = (await (await p.api(actor)).json()).context.version;
    expect(pinned).toEqual(expect.any(String));
    const [key] = await keysOf(p, name);
    expect((await storage().head(key!))!.version).not.toBe(pinned);
    // Playback: the store's presigned URL in the listing, and the download through the platform, give the first bytes.
    const range = `from=${Math.floor(start - 1)}&to=${Math.ceil(start + 3)}`;
    const listing = await (await p.api(`/api/devices/${cam.id}/channels/0/recordings?${range}`, { token: alice })).json();
    const seg = listing.segments.find((x: { name: string }) => x.name === name);
    expect(new Uint8Array(await (await fetch(seg.url)).arrayBuffer())).toEqual(first);
    const download = await p.api(`/api/devices/${cam.id}/channels/0/download?${range}`, { token: alice });
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(first);
    // Removal (retention over) deletes the pinned version; the later object is an orphan the reconciliation removes.
    expect((await p.api(`/api/devices/${cam.id}/recording-policy`, { method: 'PUT', token: alice, body: '{"retention_s":1}' })).status).toBe(200);
    await until(
      async () => (await (await p.api(actor)).json()).stateKey,
      (k) => k === 'deleted',
      15_000,
      'the segment removed at the end of its retention',
    );
    expect(await storage().head(key!, pinned)).toBeUndefined();
    const report = await (await p.api(`/api/devices/${cam.id}/recordings/reconcile?remove=1`, { method: 'POST' })).json();
    expect(report.orphans).toEqual([{ key, size, why: 'segment deleted' }]);
    expect(await keysOf(p, name)).toEqual([]);
  });
});
