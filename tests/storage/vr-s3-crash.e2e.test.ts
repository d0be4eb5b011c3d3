/**
 * kill -9 of the platform while cameras record on S3 (CS_BACKEND=s3, a real RADOS Gateway): uploads
 * go straight to the store, so they go on while the platform is down. Every segment whose
 * confirmation was answered is there after the restart, bytes and metadata; a segment uploaded
 * while the platform was down is confirmed after it; what was never confirmed expires and its
 * object is deleted, leaving no orphan in the bucket.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { useS3Server } from '../helpers/s3.ts';
import { captureRecording, makeSegments, onlineCam, put, type Segment, type TestCam, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(150_000);

/** Cameras recording at once. */
const CAMS = 2;
/** Segments confirmed before the kill. */
const CONFIRMED_BEFORE_KILL = 20;
/** How long expiry may take after the restart (upload wait 2 × 2 s, confirmation 3 s, then the DELETEs). */
const EXPIRY_WAIT_MS = 30_000;
const T0 = Math.floor(Date.now() / 1000) - 1200;

const s3 = useS3Server();
let p: TestPlatform;
let alice: string;
let segs: Segment[];

beforeAll(async () => {
  [p, segs] = await Promise.all([startTestPlatform({ ...s3().env, RECORDING_UPLOAD_TTL_S: '2', RECORDING_CONFIRM_TTL_S: '3' }), makeSegments(3, 1)]);
  alice = await userToken(p, 'alice');
}, 120_000);
afterAll(async () => {
  await p?.cleanup();
});

interface Sent {
  name: string;
  start: number;
  seg: Segment;
}

const listed = async (cam: TestCam) =>
  (await (await p.api(`/api/devices/${cam.id}/channels/0/recordings?from=${T0 - 1}&to=${T0 + 1000}`, { token: alice })).json()).segments as Array<{
    name: string;
    start: number;
    size: number;
    url: string;
  }>;
const objects = async (cam: TestCam) => (await s3().client.list({ prefix: `${cam.id}/` })).contents ?? [];

describe('kill -9 during uploads on S3', () => {
  it('keeps every confirmed segment, confirms one uploaded while the platform was down, and leaves no orphan object', async () => {
    const cams: Array<{ cam: TestCam; vr: VrClient }> = [];
    for (let i = 0; i < CAMS; i++) {
      const cap = captureRecording();
      const cam = await onlineCam(p, `CAM-S3-KILL-${i}`, `a0b1c2d3e9${String(i).padStart(2, '0')}`, cap.hooks, alice);
      await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) });
      await until(
        () => cap.starts.length,
        (n) => n > 0,
        10_000,
        'StartRecord',
      );
      cams.push({ cam, vr: new VrClient(cap.starts[0]!.cbk_url, cam.mac) });
    }
    const confirmed = new Map<string, Sent>();
    let killed = false;
    const loop = async (k: number) => {
      const { vr } = cams[k]!;
      let prev: Sent | undefined;
      for (let n = 0; !killed; n++) {
        const seg = segs[n % segs.length]!;
        const start = T0 + k * 500 + n;
        try {
          const c = await vr.create({ size: seg.bytes.length, start, duration: seg.duration }, prev?.name);
          if (c.status !== 200) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`);
          if (prev) confirmed.set(prev.name, prev); // the answer promised it
          const sent = { name: String(c.body.name), start, seg };
          const u = await put(String(c.body.url), seg.bytes);
          if (u.status !== 200) throw new Error(`put to the store: ${u.status}`);
          prev = sent;
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    const loops = cams.map((_, k) => loop(k));
    await until(
      () => confirmed.size,
      (n) => n >= CONFIRMED_BEFORE_KILL,
      30_000,
      'segments confirmed',
    );
    // A segment created just before the kill, whose bytes reach the store while the platform is down.
    const seg = segs[0]!;
    const late = await cams[1]!.vr.create({ size: seg.bytes.length, start: T0 + 900, duration: seg.duration });
    expect(late.status).toBe(200);
    killed = true;
    await p.kill9();
    await Promise.all(loops);
    expect((await put(String(late.body.url), seg.bytes)).status).toBe(200);
    const name = (key: string) => key.split('_').at(-1)!;
    const unconfirmed = (await Promise.all(cams.map(({ cam }) => objects(cam))))
      .flat()
      .filter((o) => !confirmed.has(name(o.key)) && name(o.key) !== late.body.name);
    expect(unconfirmed.length).toBeGreaterThan(0); // the kill left objects of unconfirmed segments to clean
    p = await p.restart();
    expect((await cams[1]!.vr.save(String(late.body.name))).status).toBe(200);
    confirmed.set(String(late.body.name), { name: String(late.body.name), start: T0 + 900, seg });
    const byName = new Map((await Promise.all(cams.map(({ cam }) => listed(cam)))).flat().map((s) => [s.name, s]));
    for (const [name, sent] of confirmed) {
      const got = byName.get(name);
      expect(got ? { name, start: got.start, size: got.size } : name).toEqual({ name, start: sent.start, size: sent.seg.bytes.length });
      const bytes = new Uint8Array(await (await fetch(got!.url)).arrayBuffer());
      expect(Bun.hash(bytes)).toBe(Bun.hash(sent.seg.bytes));
    }
    // What was never confirmed expires, and its object goes with it: every object left is a listed segment's.
    await until(
      async () => {
        const left = (await Promise.all(cams.map(({ cam }) => objects(cam)))).flat().length;
        const segments = (await Promise.all(cams.map(({ cam }) => listed(cam)))).flat().length;
        return left - segments;
      },
      (extra) => extra === 0,
      EXPIRY_WAIT_MS,
      'unconfirmed objects deleted',
    );
    const after = (await Promise.all(cams.map(({ cam }) => listed(cam)))).flat();
    for (const name of confirmed.keys()) expect(after.some((s) => s.name === name)).toBe(true);
    const keys = (await Promise.all(cams.map(({ cam }) => objects(cam)))).flat().map((o) => o.key);
    for (const s of after) expect(keys.some((k) => k.endsWith(`_${s.name}`))).toBe(true);
  });
});
