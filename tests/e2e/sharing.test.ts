/**
 * Sharing a camera (issue #23 point 2; docs/console.md "Sharing"), end to end: a real platform process and a simulated
 * camera bound to alice, who shares it with bob (viewer) and carol (operator); dave has no role on it. Every class of
 * device route is tried with every role: no role is a 404 as before, too small a role a 403 naming the role needed.
 * Then alice unbinds it: nobody but admins reaches it, and its shares are gone.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { SimulatedDevice } from '../../device/index.ts';
import { SHARES_PER_DEVICE_MAX } from '../../protocol/shares-api.ts';
import { INGEST_TIMEOUT_MS } from '../../actors/machines/stream.machine.ts';
import { bindTo } from '../helpers/bind.ts';
import { provisionDevice, startTestPlatform, type TestPlatform, userToken } from '../helpers/platform.ts';
import { openFeed, type OpenFeed } from '../helpers/sse.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(60_000);

/** After the control feed saw a transition: room for one that should not come to the other feed. */
const QUIET_MS = 1_000;
/** A former sharee's live viewer is closed by the request that ends the share: well within this. */
const EVICT_MS = 3_000;

const CAM = { device_id: 'CAM-SHARE', password: 'share-password', mac_id: 'a0b1c2d3e490' };
const DEV = `/api/devices/${CAM.device_id}`;

let p: TestPlatform;
let dev: SimulatedDevice;
const t: Record<'alice' | 'bob' | 'carol' | 'dave', string> = { alice: '', bob: '', carol: '', dave: '' };
type Who = keyof typeof t | 'admin';

/** A request as `who` (the admin token for 'admin'): status and parsed body. */
async function call(who: Who, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await p.api(path, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(who === 'admin' ? {} : { token: t[who] }),
  });
  const text = await r.text();
  return { status: r.status, body: text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {} };
}
const rpc = (who: Who, body: unknown) => call(who, `${DEV}/rpc`, { method: 'POST', body });
const statusOf = async (who: Who, path: string, init: { method?: string; body?: unknown } = {}) => (await call(who, path, init)).status;

beforeAll(async () => {
  p = await startTestPlatform();
  await provisionDevice(p, CAM);
  for (const name of Object.keys(t) as Array<keyof typeof t>) t[name] = await userToken(p, name);
  // The camera accepts PushLive and never publishes: a stream waits INGEST_TIMEOUT_MS for its video, its viewers connected.
  const media = { onPushLive: async () => ({}) };
  dev = new SimulatedDevice({
    server: p.url,
    id: CAM.device_id,
    password: CAM.password,
    mac: CAM.mac_id,
    tls: { rejectUnauthorized: false },
    bootMs: 200,
    media,
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
  await bindTo(p, t.alice, dev);
}, 120_000);

afterAll(async () => {
  await dev?.stop();
  await p?.cleanup();
});

describe('sharing a camera', () => {
  it('lets only the owner and admins manage shares; others with a role get 403, strangers 404', async () => {
    expect(await call('alice', `${DEV}/shares`)).toEqual({ status: 200, body: { shares: [], max: SHARES_PER_DEVICE_MAX } });
    const added = await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'bob', role: 'viewer' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ username: 'bob', role: 'viewer' });
    // An admin manages shares too.
    expect((await call('admin', `${DEV}/shares`, { method: 'POST', body: { username: 'carol', role: 'viewer' } })).status).toBe(201);
    // The same user again changes their role (200, not a second share).
    expect((await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'carol', role: 'operator' } })).status).toBe(200);
    const list = await call('alice', `${DEV}/shares`);
    expect((list.body.shares as Array<{ username: string; role: string }>).map((s) => [s.username, s.role])).toEqual([
      ['bob', 'viewer'],
      ['carol', 'operator'],
    ]);
    // Sharees may not manage shares: 403 naming the owner role.
    const refused = await call('carol', `${DEV}/shares`, { method: 'POST', body: { username: 'dave', role: 'viewer' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ required_role: 'owner', role: 'operator' });
    expect(String(refused.body.detail)).toContain('needs the owner role');
    expect(await statusOf('bob', `${DEV}/shares`)).toBe(403);
    expect(await statusOf('bob', `${DEV}/shares/carol`, { method: 'DELETE' })).toBe(403);
    // A stranger learns nothing: 404, as for a device that does not exist.
    expect(await statusOf('dave', `${DEV}/shares`)).toBe(404);
    expect(await statusOf('dave', `${DEV}/shares`, { method: 'POST', body: { username: 'dave', role: 'operator' } })).toBe(404);
    expect(await statusOf('dave', `${DEV}/binding`, { method: 'DELETE' })).toBe(404);
  });

  it('refuses bad shares with a problem naming what was wrong', async () => {
    const owner = await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'bob', role: 'owner' } });
    expect(owner.status).toBe(400);
    expect(JSON.stringify(owner.body)).toContain('role');
    const nobody = await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'nobody', role: 'viewer' } });
    expect(nobody).toMatchObject({ status: 404, body: { field: 'username', detail: 'no user nobody' } });
    const self = await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'alice', role: 'viewer' } });
    expect(self).toMatchObject({ status: 400, body: { field: 'username' } });
    expect((await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: '../x', role: 'viewer' } })).status).toBe(400);
    expect((await call('alice', `${DEV}/shares/dave`, { method: 'DELETE' })).status).toBe(404);
  });

  it('shows shared cameras in the sharee’s list with their role', async () => {
    const bobs = (await call('bob', '/api/devices')).body.devices as Array<{ device_id: string; role: string }>;
    expect(bobs.map((d) => [d.device_id, d.role])).toEqual([[CAM.device_id, 'viewer']]);
    expect((await call('carol', DEV)).body.role).toBe('operator');
    expect((await call('alice', DEV)).body.role).toBe('owner');
    expect((await call('admin', DEV)).body.role).toBe('admin');
    expect((await call('dave', '/api/devices')).body.devices).toEqual([]);
    // Its events too (the events page: any role sees them), and alarm-triggered recording's setting.
    expect(await statusOf('bob', `/api/events/history?device=${CAM.device_id}`)).toBe(200);
    expect(await statusOf('dave', `/api/events/history?device=${CAM.device_id}`)).toBe(404);
    expect(await statusOf('bob', `${DEV}/alarm-recording`)).toBe(200);
    expect((await call('bob', `${DEV}/alarm-recording`, { method: 'PUT', body: { enabled: false } })).body.required_role).toBe('operator');
  });

  it('lets a viewer watch live and play back, and refuses PTZ, snapshots, recording and configuration with 403', async () => {
    // Live and playback: a viewer's.
    const live = await call('bob', `${DEV}/channels/0/live`, { method: 'POST', body: {} });
    expect(live.status).toBe(201);
    expect(await statusOf('bob', `${DEV}/channels/0/live?stream_id=${live.body.stream_id}`, { method: 'DELETE' })).toBe(204);
    const now = Math.floor(Date.now() / 1000);
    expect(await statusOf('bob', `${DEV}/channels/0/recordings?from=${now - 3600}&to=${now}`)).toBe(200);
    expect(await statusOf('bob', `${DEV}/channels/0/playback.m3u8?from=${now - 3600}&to=${now}`)).not.toBe(403);
    expect(await statusOf('bob', `${DEV}/alarms`)).toBe(200);
    expect((await rpc('bob', { req: 'DevStatus' })).status).toBe(200);
    // PTZ, snapshots, recording on/off: an operator's.
    const ptz = await rpc('bob', { event: 'CtrlPTZ', params: { channel: 0, op: 'left', value: 50 } });
    expect(ptz).toMatchObject({ status: 403, body: { required_role: 'operator', role: 'viewer' } });
    expect(String(ptz.body.detail)).toBe('CtrlPTZ needs the operator role on this camera; you are a viewer');
    expect((await rpc('bob', { req: 'Snapshot', params: { channel: 0 } })).body.required_role).toBe('operator');
    expect((await call('bob', `${DEV}/channels/0/recording`, { method: 'POST', body: {} })).body.required_role).toBe('operator');
    expect((await call('bob', `${DEV}/channels/0/recording`, { method: 'DELETE' })).body.required_role).toBe('operator');
    // Configuration, reboots, firmware, logs, retention: the owner's.
    expect((await rpc('bob', { req: 'GetConfig' })).body.required_role).toBe('owner');
    expect((await rpc('bob', { event: 'RebootDevice', params: {} })).body.required_role).toBe('owner');
    expect((await call('bob', `${DEV}/recording-policy`, { method: 'PUT', body: { retention_s: 3600 } })).body.required_role).toBe('owner');
    expect(dev.received.some((m) => m.name === 'CtrlPTZ' || m.name === 'Snapshot' || m.name === 'GetConfig' || m.name === 'RebootDevice')).toBe(false);
  });

  it('lets an operator move the camera, take a snapshot and record, and refuses the owner’s controls with 403', async () => {
    const ptz = await rpc('carol', { event: 'CtrlPTZ', params: { channel: 0, op: 'left', value: 50 } });
    expect(ptz.status).toBe(200);
    await dev.waitFor((d) => d.received.some((m) => m.name === 'CtrlPTZ'), 5_000);
    expect((await rpc('carol', { req: 'GetPTZPresetList', params: { channel: 0 } })).status).toBe(200);
    const snap = await rpc('carol', { req: 'Snapshot', params: { channel: 0 } });
    expect(snap.status).toBe(200);
    expect(typeof snap.body.snapshot_id).toBe('string');
    const picture = await until(
      () => statusOf('carol', `${DEV}/snapshots/${snap.body.snapshot_id}`),
      (s) => s === 200,
    );
    expect(picture).toBe(200);
    // The snapshot is an operator's: the viewer cannot open it either.
    expect((await call('bob', `${DEV}/snapshots/${snap.body.snapshot_id}`)).body.required_role).toBe('operator');
    const on = await call('carol', `${DEV}/channels/0/recording`, { method: 'POST', body: {} });
    expect([200, 201]).toContain(on.status);
    expect((await call('carol', `${DEV}/channels/0/recording`, { method: 'DELETE' })).status).toBe(202);
    expect((await rpc('carol', { req: 'SetConfig', params: { config: { fps: 10 } } })).body.required_role).toBe('owner');
    expect((await rpc('carol', { req: 'FormatDisk', params: {} })).body.required_role).toBe('owner');
  });

  it('lets the owner and admins do everything, and strangers nothing (404)', async () => {
    expect((await rpc('alice', { req: 'GetConfig' })).status).toBe(200);
    expect((await rpc('admin', { event: 'CtrlPTZ', params: { channel: 0, op: 'stop' } })).status).toBe(200);
    for (const [path, init] of [
      [DEV, {}],
      [`${DEV}/rpc`, { method: 'POST', body: { req: 'DevStatus' } }],
      [`${DEV}/rpc`, { method: 'POST', body: { event: 'CtrlPTZ', params: { channel: 0, op: 'stop' } } }],
      [`${DEV}/channels/0/live`, { method: 'POST', body: {} }],
      [`${DEV}/channels/0/recording`, { method: 'POST', body: {} }],
      [`${DEV}/channels/0/recordings?from=0&to=1000`, {}],
      [`${DEV}/alarms`, {}],
      [`${DEV}/recording-policy`, {}],
    ] as const) {
      expect([path, await statusOf('dave', path, init as { method?: string; body?: unknown })]).toEqual([path, 404]);
    }
  });

  it(`keeps at most ${SHARES_PER_DEVICE_MAX} shares per camera`, async () => {
    const have = ((await call('alice', `${DEV}/shares`)).body.shares as unknown[]).length;
    for (let i = have; i < SHARES_PER_DEVICE_MAX; i++) {
      const username = `family${i}`;
      expect((await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username, password: `${username}-password` }) })).status).toBe(201);
      expect(await statusOf('alice', `${DEV}/shares`, { method: 'POST', body: { username, role: 'viewer' } })).toBe(201);
    }
    const over = await call('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'dave', role: 'viewer' } });
    expect(over.status).toBe(409);
    expect(String(over.body.detail)).toContain(`${SHARES_PER_DEVICE_MAX} users already`);
    // Changing a role is not a new share.
    expect(await statusOf('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'bob', role: 'viewer' } })).toBe(200);
    for (let i = have; i < SHARES_PER_DEVICE_MAX; i++) expect(await statusOf('alice', `${DEV}/shares/family${i}`, { method: 'DELETE' })).toBe(204);
  });

  it('ends a share: the former sharee gets 404, and their live viewer is closed at once', async () => {
    expect(await statusOf('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'dave', role: 'viewer' } })).toBe(201);
    expect(await statusOf('dave', DEV)).toBe(200);
    const live = await call('dave', `${DEV}/channels/0/live`, { method: 'POST', body: {} });
    expect(live.status).toBe(201);
    const ws = new WebSocket(String(live.body.ws_url), { tls: { rejectUnauthorized: false } } as unknown as string[]);
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
      ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason, at: Date.now() })),
    );
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve);
      ws.addEventListener('error', reject);
    });
    const ended = Date.now();
    expect(await statusOf('alice', `${DEV}/shares/dave`, { method: 'DELETE' })).toBe(204);
    // Closed by the share's end, not by the stream (which would wait INGEST_TIMEOUT_MS for video first).
    const c = await closed;
    expect(c.at - ended).toBeLessThan(EVICT_MS);
    expect(EVICT_MS).toBeLessThan(INGEST_TIMEOUT_MS);
    expect(await statusOf('dave', DEV)).toBe(404);
    // The pu actor's history tells who shared what with whom.
    const h = (await call('admin', `/api/actors/pu:${CAM.device_id}/history?limit=1000`)).body.events as Array<{ event: Record<string, unknown> }>;
    const shares = h.filter((e) => e.event.type === 'device.shared').map((e) => [e.event.username, e.event.role, e.event.by]);
    expect(shares).toContainEqual(['carol', 'viewer', 'admin']);
    expect(shares).toContainEqual(['dave', null, 'alice']);
  });

  it('feeds a sharee the camera and its actors while shared, and nothing once the share ends', async () => {
    const isDevStatusResult = (f: { data: Record<string, unknown> }) => {
      const e = f.data.event as { type: string; name?: string };
      return e.type === 'cmd.result' && e.name === 'DevStatus';
    };
    const feeds: OpenFeed[] = [];
    try {
      const [devices, actors, control] = await Promise.all([
        openFeed(p, '/api/events', t.dave),
        openFeed(p, `/api/events?topic=actors&device=${CAM.device_id}`, t.dave),
        openFeed(p, `/api/events?topic=actors&device=${CAM.device_id}`),
      ]);
      feeds.push(devices, actors, control);
      await until(
        async () => feeds.every((f) => f.of('ready').length === 1),
        (ok) => ok,
      );
      expect(await statusOf('alice', `${DEV}/shares`, { method: 'POST', body: { username: 'dave', role: 'operator' } })).toBe(201);
      const shown = await until(
        async () => devices.of('device').filter((f) => f.data.device_id === CAM.device_id),
        (f) => f.length > 0,
      );
      expect(shown.at(-1)!.data).toMatchObject({ device_id: CAM.device_id, role: 'operator', online: true });
      // The camera's transitions reach the sharee: the share itself, then a command's result.
      await until(
        async () => actors.of('transition').some((f) => (f.data.event as { type: string }).type === 'device.shared'),
        (ok) => ok,
      );
      expect((await rpc('dave', { req: 'DevStatus' })).status).toBe(200);
      await until(
        async () => actors.of('transition').filter(isDevStatusResult).length,
        (n) => n === 1,
      );
      // The share ends: the list is told to drop the camera, and its actors' transitions stop coming.
      expect(await statusOf('alice', `${DEV}/shares/dave`, { method: 'DELETE' })).toBe(204);
      await until(
        async () => devices.of('device.removed').map((f) => f.data.device_id),
        (ids) => ids.includes(CAM.device_id),
      );
      const seen = actors.of('transition').length;
      expect((await rpc('alice', { req: 'DevStatus' })).status).toBe(200);
      await until(
        async () => control.of('transition').filter(isDevStatusResult).length,
        (n) => n === 2,
      );
      await Bun.sleep(QUIET_MS);
      expect(actors.of('transition').length).toBe(seen);
      expect(devices.of('device').filter((f) => f.data.device_id === CAM.device_id).length).toBe(shown.length);
    } finally {
      for (const f of feeds) f.close();
    }
  });

  it('unbinds (owner only): the former owner and sharees get 404, admins still reach it, the shares are gone', async () => {
    expect((await call('carol', `${DEV}/binding`, { method: 'DELETE' })).body.required_role).toBe('owner');
    expect(await statusOf('alice', `${DEV}/binding`, { method: 'DELETE' })).toBe(204);
    for (const who of ['alice', 'bob', 'carol'] as const) {
      expect([who, await statusOf(who, DEV)]).toEqual([who, 404]);
      expect([who, (await call(who, '/api/devices')).body.devices]).toEqual([who, []]);
    }
    expect(await statusOf('alice', `${DEV}/channels/0/recordings?from=0&to=1000`)).toBe(404);
    expect((await call('admin', DEV)).body).toMatchObject({ owner_id: null, role: 'admin' });
    expect((await call('admin', `${DEV}/shares`)).body.shares).toEqual([]);
    expect((await call('admin', `${DEV}/binding`, { method: 'DELETE' })).status).toBe(409);
    expect((await call('admin', `${DEV}/shares`, { method: 'POST', body: { username: 'bob', role: 'viewer' } })).status).toBe(409);
    // Its actor stays, and is bound again by the next Bind: to dave now, who sees it; bob's old share did not come back.
    await bindTo(p, t.dave, dev);
    expect((await call('dave', DEV)).body.role).toBe('owner');
    expect(await statusOf('bob', DEV)).toBe(404);
    expect(await statusOf('alice', DEV)).toBe(404);
  });

  it('bound to someone else by a new Bind: the former sharees’ live viewers are closed at once', async () => {
    expect(await statusOf('dave', `${DEV}/shares`, { method: 'POST', body: { username: 'bob', role: 'viewer' } })).toBe(201);
    // A stream of its own: the earlier tests' have ended (each fails INGEST_TIMEOUT_MS after it was asked for).
    const active = async () =>
      ((await call('admin', `/api/actors?type=stream&device=${CAM.device_id}`)).body.actors as Array<{ status: string }>).filter((a) => a.status === 'active')
        .length;
    await until(active, (n) => n === 0, INGEST_TIMEOUT_MS * 2);
    const live = await call('bob', `${DEV}/channels/0/live`, { method: 'POST', body: {} });
    expect(live.status).toBe(201);
    // Left alone, the stream fails INGEST_TIMEOUT_MS after it was asked for (its camera never publishes), closing its viewers.
    const stream = (await call('admin', `/api/actors/stream:${live.body.stream_id}`)).body.context as { requestedAt: number };
    const ws = new WebSocket(String(live.body.ws_url), { tls: { rejectUnauthorized: false } } as unknown as string[]);
    const closed = new Promise<number>((resolve) => ws.addEventListener('close', () => resolve(Date.now())));
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve);
      ws.addEventListener('error', reject);
    });
    const binding = Date.now();
    await bindTo(p, t.carol, dev);
    expect(stream.requestedAt + INGEST_TIMEOUT_MS - binding).toBeGreaterThan(EVICT_MS); // room to tell the two apart
    // Closed by the new binding, well before the stream's own end would have closed it.
    const closedAt = await closed;
    expect(closedAt - stream.requestedAt).toBeLessThan(INGEST_TIMEOUT_MS);
    expect(await statusOf('bob', DEV)).toBe(404);
    expect(await statusOf('dave', DEV)).toBe(404);
    expect((await call('carol', DEV)).body.role).toBe('owner');
  });
});
