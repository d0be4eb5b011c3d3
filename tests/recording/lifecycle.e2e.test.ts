/**
 * Segment and session lifecycles on a real platform with short time limits: upload URLs and
 * unconfirmed segments expire and leave nothing behind, retention deletes confirmed segments
 * (also ones confirmed before the policy changed), a refused StartRecord fails the session, and a
 * PU that goes offline fails it until it comes back, when recording starts again by itself.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { SimulatedDevice } from '../../device/index.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { expectExpiredUpload, keysOf, UPLOADED, uploadExpiresAt } from './backend.ts';
import { CAM_PASSWORD, captureRecording, makeSegments, onlineCam, put, until, userToken, VrClient, type Segment } from './helpers.ts';

setDefaultTimeout(60_000);

const UPLOAD_TTL_S = 1;
const CONFIRM_TTL_S = 2;
/** Past a URL's expiry before trying it (the store's clock rounds to the second too). */
const URL_EXPIRY_SLACK_MS = 1_200;
let p: TestPlatform;
let alice: string;
let segs: Segment[];
const T0 = Math.floor(Date.now() / 1000) - 600;
const actor = async (id: string) => (await p.api(`/api/actors/${encodeURIComponent(id)}`)).json();
const segmentId = (session: string, name: string) => `seg:${session}:${name.replace(/\.ts$/, '')}`;

beforeAll(async () => {
  [p, segs] = await Promise.all([
    startTestPlatform({ RECORDING_UPLOAD_TTL_S: String(UPLOAD_TTL_S), RECORDING_CONFIRM_TTL_S: String(CONFIRM_TTL_S), HB_INTERVAL_S: '1' }),
    makeSegments(3, 1),
  ]);
  alice = await userToken(p, 'alice');
}, 90_000);
afterAll(async () => {
  await p?.cleanup();
});

/** A bound camera recording channel 0 with 1 s segments; its Vr client and session id. */
async function recordingCam(id: string, mac: string) {
  const cap = captureRecording();
  const cam = await onlineCam(p, id, mac, cap.hooks, alice);
  const r = await p.api(`/api/devices/${id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) });
  const session = (await r.json()).session_id as string;
  await until(
    () => cap.starts.length,
    (n) => n > 0,
    10_000,
    'StartRecord',
  );
  return { cam, cap, session, vr: new VrClient(cap.starts[0]!.cbk_url, mac) };
}

describe('expiry', () => {
  it('expires a segment never uploaded, and its upload URL with it', async () => {
    const { cam, vr, session } = await recordingCam('CAM-LC-1', 'a0b1c2d3e701');
    const s = segs[0]!;
    const c = await vr.create({ size: s.bytes.length, start: T0, duration: s.duration });
    const id = segmentId(session, String(c.body.name));
    // The URL lives until the end of its expiry second (at least UPLOAD_TTL_S, less than a second more).
    const e = uploadExpiresAt(String(c.body.url));
    expect(e - Date.now()).toBeGreaterThan((UPLOAD_TTL_S - 1) * 1000);
    await Bun.sleep(Math.max(0, e - Date.now()) + URL_EXPIRY_SLACK_MS);
    expectExpiredUpload(await put(String(c.body.url), s.bytes));
    const a = await until(
      () => actor(id),
      (v) => v.stateKey === 'expired',
      10_000,
      'expired',
    );
    expect(a.context).toMatchObject({ reason: 'expired: bytes and rows removed', removal: { why: 'expired' } });
    const h = await (await p.api(`/api/actors/${encodeURIComponent(id)}/history?after=-1&limit=10`)).json();
    expect(h.events.map((e: { value: string }) => e.value)).toEqual(['created', 'removing', 'expired']);
    expect(await keysOf(p, String(c.body.name))).toEqual([]);
    await cam.dev.stop();
  });

  it('expires an uploaded segment never confirmed, removing its file', async () => {
    const { cam, vr, session } = await recordingCam('CAM-LC-2', 'a0b1c2d3e702');
    const s = segs[1]!;
    const c = await vr.create({ size: s.bytes.length, start: T0, duration: s.duration });
    expect((await put(String(c.body.url), s.bytes)).status).toBe(UPLOADED);
    const name = String(c.body.name);
    expect((await keysOf(p, name)).length).toBe(1);
    await until(
      () => actor(segmentId(session, name)),
      (v) => v.stateKey === 'expired',
      10_000,
      'expired',
    );
    expect(await keysOf(p, name)).toEqual([]);
    const saved = await vr.save(name);
    expect(saved.status).toBe(410);
    expect(String(saved.body.info)).toContain('expired');
    await cam.dev.stop();
  });
});

describe('retention', () => {
  it("deletes confirmed segments when the device's retention is over, also those confirmed before the change", async () => {
    const { cam, vr, session } = await recordingCam('CAM-LC-3', 'a0b1c2d3e703');
    const list = async () => (await (await p.api(`/api/devices/${cam.id}/channels/0/recordings?from=${T0}&to=${T0 + 10}`, { token: alice })).json()).segments;
    expect(await (await p.api(`/api/devices/${cam.id}/recording-policy`, { token: alice })).json()).toEqual({ retention_s: 7 * 86400, default: true });
    const first = await vr.create({ size: segs[0]!.bytes.length, start: T0, duration: segs[0]!.duration });
    expect((await put(String(first.body.url), segs[0]!.bytes)).status).toBe(UPLOADED);
    expect((await vr.save(String(first.body.name))).status).toBe(200);
    expect((await list()).length).toBe(1);
    const set = await p.api(`/api/devices/${cam.id}/recording-policy`, { token: alice, method: 'PUT', body: JSON.stringify({ retention_s: 3 }) });
    expect(await set.json()).toEqual({ retention_s: 3, default: false, segments: 1 });
    const second = await vr.create({ size: segs[1]!.bytes.length, start: T0 + 1, duration: segs[1]!.duration });
    expect((await put(String(second.body.url), segs[1]!.bytes)).status).toBe(UPLOADED);
    expect((await vr.save(String(second.body.name))).status).toBe(200);
    // confirmed (or, on a loaded machine, already past its 3 s: the first may be gone too by now)
    expect(['confirmed', 'removing', 'deleted']).toContain((await actor(segmentId(session, String(second.body.name)))).stateKey);
    await until(list, (l) => l.length === 0, 15_000, 'retention');
    // Out of the playback list as it leaves `confirmed`; `deleted` once its bytes are gone (on S3, a batched delete later).
    for (const c of [first, second]) {
      const id = segmentId(session, String(c.body.name));
      await until(
        async () => (await actor(id)).stateKey,
        (s) => s === 'deleted',
        15_000,
        `${id} deleted`,
      );
      expect(await keysOf(p, String(c.body.name))).toEqual([]);
    }
    expect((await p.api(`/api/devices/${cam.id}/recording-policy`, { token: alice, method: 'PUT', body: JSON.stringify({ retention_s: 0 }) })).status).toBe(
      400,
    );
    await cam.dev.stop();
  });
});

describe('sessions and the PU', () => {
  it('fails a session whose StartRecord the PU refuses, naming the error', async () => {
    const cap = captureRecording();
    cap.startAnswer = { err: { code: 12, msg: 'seg_duration not supported' } };
    const cam = await onlineCam(p, 'CAM-LC-4', 'a0b1c2d3e704', cap.hooks, alice);
    await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST' });
    const s = await until(
      async () => (await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice })).json(),
      (v) => v.state === 'failed',
      10_000,
      'failed',
    );
    expect(s.reason).toBe('StartRecord failed: err 12: seg_duration not supported');
    expect(s.last_error).toMatchObject({ op: 'start', kind: 'err', code: 12 });
    await cam.dev.stop();
  });

  it('fails a session when its PU goes offline, and records again by itself once the PU is back', async () => {
    const { cam, cap } = await recordingCam('CAM-LC-5', 'a0b1c2d3e705');
    const state = async () => (await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice })).json();
    await until(state, (v) => v.state === 'recording', 10_000, 'recording');
    await cam.dev.stop();
    const failed = await until(state, (v) => v.state === 'failed', 15_000, 'failed');
    expect(failed.reason).toStartWith('the PU went offline');
    expect(failed.last_error.kind).toBe('offline');
    const again = new SimulatedDevice({
      server: p.url,
      id: cam.id,
      password: CAM_PASSWORD,
      mac: cam.mac,
      tls: { rejectUnauthorized: false },
      media: cap.hooks,
      bootMs: 300,
    });
    await again.start();
    await again.waitFor('online', 20_000);
    const back = await until(state, (v) => v.state === 'recording', 15_000, 'recording again');
    expect(back.attempt).toBe(2);
    expect(again.received.filter((m) => m.name === 'StartRecord').length).toBe(1);
    expect(cap.starts.length).toBe(2);
    expect(cap.starts[1]!.session_id).toBe(cap.starts[0]!.session_id);
    await again.stop();
  });
});
