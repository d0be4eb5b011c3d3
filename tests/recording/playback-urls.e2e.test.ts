/**
 * Signed playback URLs die with the sign-in that made them, and within an hour (issue #19). On S3
 * the platform runs with `S3_PLAYBACK=platform` here: only URLs the platform serves can be revoked
 * (a presigned GET of the store lives until it expires; docs/recording.md, "Storage").
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { PLAYBACK_URL_TTL_S } from '../../services/recording/recording-config.ts';
import { SESSION_REACH_CACHE_MS } from '../../services/devices/access.ts';
import { ON_S3, UPLOADED } from './backend.ts';
import { captureRecording, makeSegments, onlineCam, put, until, userToken, VrClient, type TestCam } from './helpers.ts';

setDefaultTimeout(90_000);

let p: TestPlatform;
let cam: TestCam;
let alice: string;

beforeAll(async () => {
  p = await startTestPlatform(ON_S3 ? { S3_PLAYBACK: 'platform' } : {});
  alice = await userToken(p, 'alice');
  const rec = captureRecording();
  cam = await onlineCam(p, 'CAM-PURL', 'a0:b1:c2:d3:e5:30', rec.hooks, alice);
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { method: 'POST', token: alice, body: '{}' })).status).toBe(201);
  await until(
    () => rec.starts.length,
    (n) => n === 1,
    10_000,
    'StartRecord',
  );
  const vr = new VrClient(rec.starts[0]!.cbk_url, cam.mac);
  const [seg] = await makeSegments(1, 1);
  const start = Date.now() / 1000 - 60;
  const c = await vr.create({ size: seg!.bytes.byteLength, start, duration: seg!.duration });
  expect((await put(String(c.body.url), seg!.bytes)).status).toBe(UPLOADED);
  expect((await vr.save(String(c.body.name))).status).toBe(200);
}, 90_000);
afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
});

const listing = async (token?: string) =>
  (await (await p.api(`/api/devices/${cam.id}/channels/0/recordings`, token ? { token } : {})).json()).segments as Array<{ url: string }>;
const get = (url: string) => fetch(url, INSECURE as RequestInit);

describe('signed playback URLs', () => {
  it('live at most an hour, bound to the sign-in that listed them: refused once it signs out', async () => {
    const signIn = await fetch(`${p.url}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
      ...INSECURE,
    } as RequestInit);
    const session = await signIn.json();
    const [seg] = await listing(session.token);
    const url = new URL(seg!.url);
    const e = Number(url.searchParams.get('e'));
    expect(e).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + PLAYBACK_URL_TTL_S);
    expect(e).toBeLessThanOrEqual(Math.floor(Date.parse(session.expires_at) / 1000));
    expect(url.searchParams.get('a')).toBeTruthy();
    expect((await get(seg!.url)).status).toBe(200);
    // Another session's id in the URL breaks its signature.
    const other = new URL(seg!.url);
    other.searchParams.set('a', new URL((await listing(alice))[0]!.url).searchParams.get('a')!);
    expect((await get(other.toString())).status).toBe(403);
    expect((await p.api('/api/session', { method: 'DELETE', token: session.token })).status).toBe(204);
    const after = await get(seg!.url);
    expect(after.status).toBe(403);
    expect(await after.text()).toContain('sign-in that made this segment URL has ended');
    // The other sign-in's URLs still play.
    expect((await get((await listing(alice))[0]!.url)).status).toBe(200);
  });

  it('made for the admin token live an hour at most', async () => {
    const [seg] = await listing();
    const url = new URL(seg!.url);
    expect(url.searchParams.get('a')).toBe('admin');
    expect(Number(url.searchParams.get('e'))).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + PLAYBACK_URL_TTL_S);
    expect((await get(seg!.url)).status).toBe(200);
  });

  it('stop playing for a sharee once the share ends, and for the owner once the camera is unbound (issue #23)', async () => {
    const bob = await userToken(p, 'bob');
    const share = { method: 'POST', token: alice, body: JSON.stringify({ username: 'bob', role: 'viewer' }) };
    expect((await p.api(`/api/devices/${cam.id}/shares`, share)).status).toBe(201);
    const [bobs] = await listing(bob);
    expect((await get(bobs!.url)).status).toBe(200);
    expect((await p.api(`/api/devices/${cam.id}/shares/bob`, { method: 'DELETE', token: alice })).status).toBe(204);
    const refused = await until(
      () => get(bobs!.url),
      (r) => r.status === 403,
      SESSION_REACH_CACHE_MS + 5_000,
      "the former sharee's segment URL refused",
    );
    expect(await refused.text()).toContain('no longer reaches this camera');
    const [alices] = await listing(alice);
    expect((await get(alices!.url)).status).toBe(200);
    expect((await p.api(`/api/devices/${cam.id}/binding`, { method: 'DELETE', token: alice })).status).toBe(204);
    await until(
      async () => (await get(alices!.url)).status,
      (s) => s === 403,
      SESSION_REACH_CACHE_MS + 5_000,
      "the former owner's segment URL refused",
    );
    // The admin's still play: the recordings stay.
    expect((await get((await listing())[0]!.url)).status).toBe(200);
  });
});
