/**
 * Bounded growth of live viewing (issue #19): a user holds at most LIVE_VIEWERS_PER_USER viewers, and each join costs
 * the stream actor's history the same bytes however many viewers it has.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { startTestPlatform, userToken, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(60_000);

const CAP = 25;
/** Requests past the cap, as a script in a loop would send them. */
const REFUSED_REQUESTS = 200;
let p: TestPlatform;
let cam: RawDevice;
let alice: string;
let bob: string;
const CAM = { device_id: 'CAM-VIEWERS', password: 'viewers-password', mac_id: 'a0:b1:c2:d3:e5:10' };

beforeAll(async () => {
  p = await startTestPlatform({ LIVE_VIEWERS_PER_USER: String(CAP) });
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  alice = await userToken(p, 'alice');
  bob = await userToken(p, 'bob');
  cam = await RawDevice.connect(p.url, { login_code: CAM.device_id, login_passwd: CAM.password, hardware_model: 'h', firmware_model: 'f' });
  const { bind_code } = await (await p.api('/api/bind-codes', { method: 'POST', token: alice })).json();
  cam.event('Bind', { bind_id: bind_code });
  await until(
    async () => (await p.api('/api/devices', { token: alice })).json(),
    (b) => b.devices.length === 1,
  );
}, 60_000);
afterAll(async () => {
  cam?.close();
  await p?.cleanup();
});

const watch = (token: string) => p.api(`/api/devices/${CAM.device_id}/channels/0/live`, { method: 'POST', token, body: '{}' });

describe('live viewers', () => {
  it('lets a user hold at most LIVE_VIEWERS_PER_USER viewers, each join costing the history the same bytes', async () => {
    const first = await watch(alice);
    expect(first.status).toBe(201);
    const { stream_id } = await first.json();
    // The camera accepts PushLive (it never publishes: the stream waits for its ingest meanwhile).
    const push = await cam.next((f) => f.req === 'PushLive');
    cam.answer(push.seq!, {});
    for (let i = 1; i < CAP; i++) {
      const r = await watch(alice);
      expect(r.status).toBe(201);
      expect((await r.json()).stream_id).toBe(stream_id);
    }
    const refused = await Promise.all(Array.from({ length: REFUSED_REQUESTS }, () => watch(alice)));
    expect(refused.every((r) => r.status === 429)).toBe(true);
    expect((await refused[0]!.json()).detail).toContain(`at most ${CAP} live viewers`);
    // Another user is not held back by alice's viewers (admins may watch every camera).
    expect((await watch(bob)).status).toBe(404); // not bob's camera
    const history = (await (await p.api(`/api/actors/stream:${stream_id}/history?limit=1000`)).json()).events as Array<{
      event: { type: string };
      changes: unknown;
    }>;
    const joins = history.filter((e) => e.event.type === 'viewer.join');
    expect(joins.length).toBe(CAP);
    const sizes = joins.slice(1).map((e) => JSON.stringify(e.changes).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(2); // ids and times of equal length: the same bytes
    expect(history.length).toBeLessThan(CAP + 5); // refused requests wrote nothing
    console.log(
      `viewer joins: ${CAP} accepted, ${REFUSED_REQUESTS} refused with 429; bytes of a join's changes ${Math.min(...sizes)}–${Math.max(...sizes)} from the 2nd to the ${CAP}th`,
    );
  });
});
