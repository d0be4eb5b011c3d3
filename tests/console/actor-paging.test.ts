/**
 * The actor read API's paging over real sockets: keyset pages of the list (no row twice, none
 * lost, newest first), the update-time range, refused cursors and ranges, and an actor's related
 * actors grouped by type with counts and a first page (a camera with many segments).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { TestPlatform } from '../helpers/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { captureRecording, onlineCam, type TestCam, until, userToken, VrClient } from '../recording/helpers.ts';

setDefaultTimeout(60_000);

/** Devices provisioned for the list's pages. */
const DEVICES = 7;
/** Segments the camera creates: more than a related page holds. */
const SEGMENTS = 25;
/** The page size the tests ask for. */
const PAGE = 3;
/** A related page smaller than the segments. */
const RELATED_PAGE = 5;

let p: TestPlatform;
let cam: TestCam;
const marks: number[] = [];
const get = async (path: string) => {
  const r = await p.api(path);
  return { status: r.status, body: await r.json() };
};
interface Listed {
  id: string;
  type: string;
  updatedAt: number;
}

beforeAll(async () => {
  p = await startTestPlatform();
  for (let i = 0; i < DEVICES; i++) {
    if (i === DEVICES - 2) marks.push(Date.now());
    const mac = `a0b1c2d3f1${(0x10 + i).toString(16)}`;
    const r = await p.api('/api/admin/devices', {
      method: 'POST',
      body: JSON.stringify({ device_id: `CAM-PAGE-${i}`, password: 'camera-password', mac_id: mac, channels: [0] }),
    });
    expect(r.status).toBe(201);
    await Bun.sleep(5); // distinct update times, so the range below has a clear edge
  }
  marks.push(Date.now());
  const alice = await userToken(p, 'alice');
  const cap = captureRecording();
  cam = await onlineCam(p, 'CAM-SEGS', 'a0b1c2d3f201', cap.hooks, alice);
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) })).status).toBe(
    201,
  );
  const started = await until(
    () => cap.starts,
    (l) => l.length === 1,
    10_000,
    'StartRecord',
  );
  const vr = new VrClient(started[0]!.cbk_url, cam.mac);
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  for (let i = 0; i < SEGMENTS; i++) expect((await vr.create({ size: 1000, start: t0 + i, duration: 1 })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
});

describe('actor list paging', () => {
  it('pages through the list with a cursor: newest first, every actor once, a short last page without next', async () => {
    const all = (await get(`/api/actors?type=pu&limit=1000`)).body.actors as Listed[];
    expect(all.length).toBe(DEVICES + 1);
    const seen: Listed[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: { actors: Listed[]; next: string | null } } = await get(
        `/api/actors?type=pu&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.actors.length).toBeLessThanOrEqual(PAGE);
      seen.push(...r.body.actors);
      cursor = r.body.next;
      pages++;
    } while (cursor && pages < DEVICES);
    expect(seen.map((a) => a.id)).toEqual(all.map((a) => a.id));
    expect(new Set(seen.map((a) => a.id)).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect(Math.floor(seen[i - 1]!.updatedAt)).toBeGreaterThanOrEqual(Math.floor(seen[i]!.updatedAt));
    expect(pages).toBe(Math.ceil((DEVICES + 1) / PAGE));
  });

  it('finds the actors updated in a time range', async () => {
    const [from, to] = marks as [number, number];
    const r = await get(`/api/actors?type=pu&since=${from}&until=${to}`);
    expect(r.status).toBe(200);
    const ids = (r.body.actors as Listed[]).map((a) => a.id).sort();
    expect(ids).toEqual([`pu:CAM-PAGE-${DEVICES - 2}`, `pu:CAM-PAGE-${DEVICES - 1}`]);
    for (const a of r.body.actors as Listed[]) expect(a.updatedAt >= from && Math.floor(a.updatedAt) <= to).toBe(true);
    expect((await get(`/api/actors?type=pu&until=${from - 1}`)).body.actors.every((a: Listed) => a.updatedAt < from)).toBe(true);
  });

  it('refuses a bad cursor, an inverted range, offset with cursor and a page too large, naming the field', async () => {
    const bad = await get('/api/actors?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('cursor');
    const inverted = await get('/api/actors?since=2000&until=1000');
    expect(inverted.status).toBe(400);
    expect(JSON.stringify(inverted.body)).toContain('since must not be after until');
    const both = await get(`/api/actors?offset=1&cursor=${encodeURIComponent('1:pu:x')}`);
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body)).toContain('either offset or cursor');
    expect((await get('/api/actors?limit=1001')).status).toBe(400);
    expect((await get('/api/actors/pu%3ACAM-SEGS/related?limit=101')).status).toBe(400);
  });
});

describe('related actors', () => {
  it("groups a pu's related actors by type with counts and a bounded first page, and pages the rest", async () => {
    const r = await get(`/api/actors/pu%3ACAM-SEGS/related?limit=${RELATED_PAGE}`);
    expect(r.status).toBe(200);
    const groups = r.body.groups as Array<{ type: string; count: number; actors: Listed[]; next: string | null }>;
    const segs = groups.find((g) => g.type === 'segment')!;
    expect(segs.count).toBe(SEGMENTS);
    expect(segs.actors.length).toBe(RELATED_PAGE);
    expect(segs.next).not.toBeNull();
    expect(groups.find((g) => g.type === 'recording')?.count).toBe(1);
    expect(groups.flatMap((g) => g.actors).some((a) => a.id === 'pu:CAM-SEGS')).toBe(false);
    // The rest of the type, through the list's `related=` and the group's cursor.
    const rest = await get(`/api/actors?related=pu%3ACAM-SEGS&type=segment&limit=1000&cursor=${encodeURIComponent(segs.next!)}`);
    const ids = [...segs.actors, ...(rest.body.actors as Listed[])].map((a) => a.id);
    expect(new Set(ids).size).toBe(SEGMENTS);
    expect((await get('/api/actors/pu%3ANO-SUCH/related')).status).toBe(404);
  });

  it("lists a recording's children (its segments) as its related actors", async () => {
    const rec = (await get(`/api/actors?type=recording&device=${cam.id}`)).body.actors[0] as Listed;
    const r = await get(`/api/actors/${encodeURIComponent(rec.id)}/related`);
    const types = (r.body.groups as Array<{ type: string; count: number }>).map((g) => `${g.type}:${g.count}`);
    expect(types).toEqual([`segment:${SEGMENTS}`]);
  });
});
