/**
 * Quotas by size end to end (docs/recording.md, "Quotas"), on the local disk and on S3 (a real RADOS Gateway from
 * scripts/s3-server.ts): a platform process, simulated cameras online over Vd, segments recorded over Vr. A device keeps
 * at most its quota and a user's devices together at most the user quota: the oldest confirmed segments go (bytes,
 * index rows, actors ending `deleted` with the quota named), a segment still uploading is never taken, another user's
 * devices are not touched; the removals reach the store in batches; the usage shows in the API; a platform started
 * with a lower default removes what is over at start.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { useS3Server } from '../helpers/s3.ts';
import { captureRecording, onlineCam, put, type TestCam, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(120_000);
/** Bytes of every segment here: usage is a multiple of it. */
const SIZE = 10_000;
/** Alice's plan: all her cameras together keep 5 segments. */
const USER_QUOTA = 5 * SIZE;
/** How long the platform may take to start recording, remove a segment, or report a state. */
const WAIT_MS = 15_000;
/** One-second segments of at most 1 MB. */
const SESSION = { seg_duration: 1, seg_max_size: 1_000_000 };
const BYTES = new Uint8Array(SIZE).fill(0x47);

const s3 = useS3Server();

interface Cam extends TestCam {
  vr: VrClient;
  session: string;
  /** The last segment created and uploaded, not yet confirmed. */
  last?: string;
}

describe.each(['local', 's3'] as const)('quotas on %s', (backend) => {
  let p: TestPlatform;
  let alice: string;
  let bob: string;
  let aliceId: string;
  const cams: Record<string, Cam> = {};
  let clock = Math.floor(Date.now() / 1000) - 3600;

  beforeAll(async () => {
    p = await startTestPlatform({ ...(backend === 's3' ? s3().env : {}), RECORDING_USER_QUOTA_BYTES: String(USER_QUOTA) });
    alice = await userToken(p, 'alice');
    bob = await userToken(p, 'bob');
    aliceId = (await (await p.api('/api/me', { token: alice })).json()).userId;
  }, 180_000);
  afterAll(async () => {
    for (const c of Object.values(cams)) await c.dev.stop().catch(() => undefined);
    await p?.cleanup();
  });

  async function cam(id: string, mac: string, token: string): Promise<Cam> {
    const cap = captureRecording();
    const c = await onlineCam(p, id, mac, cap.hooks, token);
    expect((await p.api(`/api/devices/${id}/channels/0/recording`, { token, method: 'POST', body: JSON.stringify(SESSION) })).status).toBe(201);
    const [start] = await until(
      () => cap.starts,
      (l) => l.length === 1,
      WAIT_MS,
      'StartRecord',
    );
    cams[id] = { ...c, vr: new VrClient(start!.cbk_url, c.mac), session: start!.session_id };
    return cams[id];
  }

  /** Create and upload `n` segments, each create confirming the one before; the last stays uploaded, unconfirmed. */
  async function record(c: Cam, n: number): Promise<string[]> {
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await c.vr.create({ size: SIZE, start: clock++, duration: 1 }, c.last);
      expect(r.status).toBe(200);
      expect((await put(String(r.body.url), BYTES)).status).toBeLessThan(300);
      c.last = String(r.body.name);
      names.push(c.last);
    }
    return names;
  }

  /** Confirm the last uploaded segment. */
  async function save(c: Cam): Promise<void> {
    expect((await c.vr.save(c.last!)).status).toBe(200);
    c.last = undefined;
  }

  const usage = async (id: string, token = alice) => (await p.api(`/api/devices/${id}/recording-usage`, { token })).json();
  const setQuota = (id: string, quota: unknown, token = alice) =>
    p.api(`/api/devices/${id}/recording-quota`, { token, method: 'PUT', body: JSON.stringify({ quota_bytes: quota }) });
  const listed = async (id: string, token = alice): Promise<string[]> =>
    (await (await p.api(`/api/devices/${id}/channels/0/recordings?from=${clock - 7200}`, { token })).json()).segments.map((s: { name: string }) => s.name);
  /** Names of the segment objects the store holds for a device. */
  async function stored(id: string): Promise<string[]> {
    if (backend === 's3') return ((await s3().client.list({ prefix: `${id}/` })).contents ?? []).map((o) => o.key.split('_').at(-1)!).sort();
    const dir = join(p.env.DATA_DIR!, 'cs', id);
    const files = (() => {
      try {
        return readdirSync(dir, { recursive: true, withFileTypes: true });
      } catch {
        return [];
      }
    })();
    return files
      .filter((f) => f.isFile() && f.name.endsWith('.ts'))
      .map((f) => f.name.split('_').at(-1)!)
      .sort();
  }
  const storedUntil = (id: string, names: string[]) =>
    until(
      () => stored(id),
      (s) => JSON.stringify(s) === JSON.stringify([...names].sort()),
      WAIT_MS,
      `${id}'s objects ${names.join(' ')}`,
    );
  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${p.url}/metrics`, { headers: { Authorization: `Bearer ${p.adminToken}` }, ...INSECURE } as RequestInit)).text();
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  }

  it('keeps a device within its own quota: the oldest confirmed segments go, one still uploading stays; only the owner sets it', async () => {
    const a = await cam(`CAM-QA-${backend}`, backend === 'local' ? 'a0b1c2d3e711' : 'a0b1c2d3e721', alice);
    expect((await setQuota(a.id, 35_000, bob)).status).toBe(404);
    const bad = await setQuota(a.id, -1);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('quota_bytes');
    expect((await setQuota(a.id, '1')).status).toBe(400);
    const set = await setQuota(a.id, 35_000);
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ device_id: a.id, bytes: 0, segments: 0, quota_bytes: 35_000, quota_default: false, oldest_kept: null });

    const [s1, s2, s3, s4, s5] = await record(a, 5); // s1–s4 confirmed (40,000 bytes: over), s5 uploaded only
    const u = await until(
      () => usage(a.id),
      (v) => v.segments === 3,
      WAIT_MS,
      'usage within the quota',
    );
    expect(u).toMatchObject({ bytes: 30_000, segments: 3, quota_bytes: 35_000, quota_default: false, oldest_kept: { device_id: a.id, name: s2 } });
    expect(await listed(a.id)).toEqual([s2!, s3!, s4!]);
    await storedUntil(a.id, [s2!, s3!, s4!, s5!]); // s5 is still waiting for its confirmation: never taken
    // The removal deletes the bytes first, then the segment's state follows (a commit later).
    const gone = await until(
      async () => (await p.api(`/api/actors/seg:${a.session}:${s1!.replace(/\.ts$/, '')}`)).json(),
      (v) => v.stateKey === 'deleted',
      WAIT_MS,
      's1 deleted',
    );
    expect(gone).toMatchObject({ stateKey: 'deleted', context: { reason: 'over quota: bytes and rows removed', removal: { why: 'quota' } } });

    await save(a); // s5 confirmed: 40,000 again, so s2 goes
    await until(
      () => listed(a.id),
      (l) => l.length === 3,
      WAIT_MS,
      's2 removed',
    );
    expect(await listed(a.id)).toEqual([s3!, s4!, s5!]);
    await storedUntil(a.id, [s3!, s4!, s5!]);
  });

  it("keeps a user's devices within the user quota, oldest across them first; another user's are counted apart", async () => {
    const a = cams[`CAM-QA-${backend}`]!;
    const b = await cam(`CAM-QB-${backend}`, backend === 'local' ? 'a0b1c2d3e712' : 'a0b1c2d3e722', alice);
    const c = await cam(`CAM-QC-${backend}`, backend === 'local' ? 'a0b1c2d3e713' : 'a0b1c2d3e723', bob);
    const kept = await listed(a.id); // 3 segments, 30,000 bytes
    const onB = await record(b, 3);
    await save(b); // alice: 60,000 of 50,000: her oldest, on camera A, goes
    const onC = await record(c, 6);
    await save(c); // bob: 60,000 of 50,000: his own oldest goes, none of alice's
    const mine = await until(
      async () => (await p.api('/api/recording-usage', { token: alice })).json(),
      (v) => v.bytes === USER_QUOTA,
      WAIT_MS,
      "alice's usage",
    );
    expect(mine).toMatchObject({ user_id: aliceId, bytes: 50_000, segments: 5, quota_bytes: USER_QUOTA, oldest_kept: { device_id: a.id, name: kept[1] } });
    expect(mine.devices.map((d: { device_id: string; bytes: number }) => [d.device_id, d.bytes])).toEqual([
      [a.id, 20_000],
      [b.id, 30_000],
    ]);
    expect(await listed(a.id)).toEqual(kept.slice(1));
    expect(await listed(b.id)).toEqual(onB);
    await until(
      () => listed(c.id, bob),
      (l) => l.length === 5,
      WAIT_MS,
      "bob's usage",
    );
    expect(await listed(c.id, bob)).toEqual(onC.slice(1));
    await storedUntil(a.id, kept.slice(1));
    await storedUntil(c.id, onC.slice(1));
    // Whose usage: one's own; another's only for an admin; the admin token names a user.
    expect((await p.api(`/api/recording-usage?user=${aliceId}`, { token: bob })).status).toBe(403);
    expect((await (await p.api(`/api/recording-usage?user=${aliceId}`)).json()).bytes).toBe(50_000);
    expect((await p.api('/api/recording-usage')).status).toBe(400);
  });

  it('removes what a lower quota leaves over at once, in batched store requests; null goes back to the default', async () => {
    const c = cams[`CAM-QC-${backend}`]!;
    const before = { requests: await metric('h627_cs_remove_requests_total'), objects: await metric('h627_cs_objects_removed_total') };
    const kept = await listed(c.id, bob); // 5 segments
    const set = await setQuota(c.id, SIZE, bob);
    expect(await set.json()).toMatchObject({ bytes: SIZE, segments: 1, quota_bytes: SIZE, oldest_kept: { name: kept[4] } });
    await storedUntil(c.id, kept.slice(4));
    const after = { requests: await metric('h627_cs_remove_requests_total'), objects: await metric('h627_cs_objects_removed_total') };
    expect(after.objects - before.objects).toBe(4);
    expect(after.requests - before.requests).toBeLessThan(4); // four removals shared their store requests
    expect(await (await setQuota(c.id, null, bob)).json()).toMatchObject({ quota_bytes: 0, quota_default: true, segments: 1 });
  });

  it('removes at start what a lower platform default leaves over (the sweep), after a kill -9', async () => {
    for (const c of Object.values(cams)) await c.dev.stop().catch(() => undefined);
    const a = cams[`CAM-QA-${backend}`]!;
    const b = cams[`CAM-QB-${backend}`]!;
    const keptB = await listed(b.id); // 3 segments: over a default of 1
    await p.kill9();
    p = await p.restart({ RECORDING_DEVICE_QUOTA_BYTES: String(SIZE) });
    alice = await userToken(p, 'alice');
    await until(
      () => listed(b.id),
      (l) => l.length === 1,
      WAIT_MS,
      'the sweep',
    );
    expect(await listed(b.id)).toEqual(keptB.slice(2));
    expect(await usage(b.id)).toMatchObject({ bytes: SIZE, segments: 1, quota_bytes: SIZE, quota_default: true });
    // Camera A has its own quota (35,000), over the default: it keeps what it had.
    expect(await usage(a.id)).toMatchObject({ bytes: 20_000, quota_bytes: 35_000, quota_default: false });
    await storedUntil(b.id, keptB.slice(2));
  });
});
