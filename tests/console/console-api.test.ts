/**
 * The console's server side against a real platform and simulated cameras: the cookie session and
 * its CSRF rule, the live feed (SSE) and who sees what, the OpenAPI document, the statechart
 * endpoint, the history export and the replay check, and the pages themselves.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { MACHINES } from '../../actors/machines/index.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { replayExport, type HistoryExport } from '../../services/console/actor-tools.ts';
import { INSECURE } from '../helpers/platform.ts';
import { json, startConsoleWorld, tokenOf, type ConsoleWorld } from '../browser/helpers.ts';
import { openSse } from './sse.ts';

/** A real platform and two simulated cameras. */
setDefaultTimeout(60_000);

let w: ConsoleWorld;
const COOKIE = '__Host-h627-session';
const CSRF = { 'X-H627-CSRF': '1' };

beforeAll(async () => {
  w = await startConsoleWorld();
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

const raw = (path: string, init: RequestInit = {}) => fetch(`${w.p.url}${path}`, { ...init, ...INSECURE } as RequestInit);
async function cookieSignIn(username: string, password: string) {
  const r = await raw('/api/console/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...CSRF },
    body: JSON.stringify({ username, password }),
  });
  const set = r.headers.get('set-cookie') ?? '';
  const token = set.match(new RegExp(`${COOKIE}=([^;]+)`))?.[1];
  return { r, set, cookie: `${COOKIE}=${token}` };
}

describe('cookie sessions', () => {
  it('sign-in sets an HttpOnly, Secure, SameSite=Strict cookie and returns no token', async () => {
    const { r, set } = await cookieSignIn('alice', w.users.alice);
    expect(r.status).toBe(201);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/Secure/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\//);
    const body = await r.json();
    expect(body.user.username).toBe('alice');
    expect(JSON.stringify(body)).not.toContain(set.match(/=([^;]+)/)![1]!);
  });

  it('the cookie authenticates reads, and writes only with the CSRF header from this origin', async () => {
    const { cookie } = await cookieSignIn('alice', w.users.alice);
    expect((await raw('/api/devices', { headers: { Cookie: cookie } })).status).toBe(200);
    const post = (headers: Record<string, string>) => raw('/api/bind-codes', { method: 'POST', headers: { Cookie: cookie, ...headers } });
    const bare = await post({});
    expect(bare.status).toBe(403);
    expect((await bare.json()).detail).toContain('X-H627-CSRF');
    expect((await post({ ...CSRF, Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ ...CSRF, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await post({ ...CSRF, Origin: w.p.url })).status).toBe(201);
    // A sign-in planted from another site is refused too.
    const planted = await raw('/api/console/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: w.users.alice }),
    });
    expect(planted.status).toBe(403);
  });

  it('bearer tokens work as before, without the CSRF header', async () => {
    const token = await tokenOf(w.p, 'alice', w.users.alice);
    expect((await raw('/api/bind-codes', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(201);
  });

  it('sign-out ends the session and clears the cookie', async () => {
    const { cookie } = await cookieSignIn('bob', w.users.bob);
    const out = await raw('/api/console/session', { method: 'DELETE', headers: { Cookie: cookie, ...CSRF } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`${COOKIE}=;.*Max-Age=0`, 'i'));
    expect((await raw('/api/me', { headers: { Cookie: cookie } })).status).toBe(401);
  });
});

describe('live feed (GET /api/events)', () => {
  it('sends a user the status of their own cameras only, as it changes', async () => {
    const { cookie } = await cookieSignIn('alice', w.users.alice);
    const s = await openSse(`${w.p.url}/api/events?topic=devices`, { Cookie: cookie });
    expect(s.status).toBe(200);
    await s.next((e) => e.event === 'ready');
    w.cams.bob.camera.battery!.set(11);
    w.cams.alice.camera.battery!.set(42);
    const d = await s.next((e) => e.event === 'device' && e.data.battery === 42);
    expect(d.data).toMatchObject({ device_id: 'CAM-ALICE', online: true });
    await Bun.sleep(500);
    expect(s.events.filter((e) => e.event === 'device').every((e) => e.data.device_id === 'CAM-ALICE')).toBe(true);
    s.close();
  });

  it("gives admins every actor's transitions, and one actor's with its context and timers", async () => {
    const all = await openSse(`${w.p.url}/api/events?topic=actors`, { Authorization: `Bearer ${w.p.adminToken}` });
    const one = await openSse(`${w.p.url}/api/events?topic=actors&actor=${encodeURIComponent('pu:CAM-BOB')}`, { Authorization: `Bearer ${w.p.adminToken}` });
    await all.next((e) => e.event === 'ready');
    await one.next((e) => e.event === 'ready');
    // The simulator reports its battery when it moved by 5 % or more.
    w.cams.alice.camera.battery!.set(60);
    w.cams.bob.camera.battery!.set(30);
    await all.next((e) => e.event === 'transition' && e.data.actorId === 'pu:CAM-ALICE' && e.data.event.type === 'vd.battery');
    const b = await one.next((e) => e.event === 'transition' && e.data.event.type === 'vd.battery');
    expect(b.data).toMatchObject({ actorId: 'pu:CAM-BOB', deviceId: 'CAM-BOB', stateKey: 'online.ready', logged: true });
    expect(b.data.context.battery).toBe(30);
    expect(b.data.timers.map((t: { id: string }) => t.id)).toContain('heartbeat');
    expect(one.events.every((e) => e.event !== 'transition' || e.data.actorId === 'pu:CAM-BOB')).toBe(true);
    all.close();
    one.close();
  });

  it("keeps users to their own devices' actors", async () => {
    const token = await tokenOf(w.p, 'alice', w.users.alice);
    const auth = { Authorization: `Bearer ${token}` };
    expect((await raw('/api/events?topic=actors', { headers: auth })).status).toBe(403);
    const theirs = await openSse(`${w.p.url}/api/events?topic=actors&device=CAM-BOB`, auth);
    const mine = await openSse(`${w.p.url}/api/events?topic=actors&device=CAM-ALICE`, auth);
    await theirs.next((e) => e.event === 'ready');
    await mine.next((e) => e.event === 'ready');
    w.cams.bob.camera.battery!.set(50);
    w.cams.alice.camera.battery!.set(80);
    await mine.next((e) => e.event === 'transition' && e.data.event.type === 'vd.battery');
    await Bun.sleep(300);
    expect(theirs.events.filter((e) => e.event === 'transition')).toEqual([]);
    theirs.close();
    mine.close();
  });

  it('needs a session', async () => {
    expect((await raw('/api/events')).status).toBe(401);
  });
});

describe('OpenAPI document', () => {
  it("is generated from the routes' own zod schemas", async () => {
    const doc = await (await raw('/api/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    const provision = doc.paths['/api/admin/devices'].post;
    expect(Object.keys(provision.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['device_id', 'password', 'mac_id', 'channels', 'signed_login']),
    );
    expect(provision.description).toBe('Admins only.');
    const actors = doc.paths['/api/actors'].get.parameters.map((p: { name: string }) => p.name);
    expect(actors).toEqual(expect.arrayContaining(['type', 'state', 'device', 'parent', 'since', 'limit', 'offset']));
    expect(doc.paths['/api/devices/{id}/rpc'].post.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    expect(doc.paths['/api/session'].post.security).toEqual([]);
    expect(doc.paths['/api/devices'].get.security).toEqual([{ bearer: [] }, { sessionCookie: [] }]);
    expect(doc.paths['/api/events'].get.parameters.map((p: { name: string }) => p.name)).toContain('topic');
    // Only the API: no device interfaces, no console pages.
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/'))).toBe(true);
  });
});

describe('actor tools', () => {
  it('exports a history that replays to the recorded states, and checks it on the platform', async () => {
    const exp = await raw('/api/actors/pu%3ACAM-ALICE/export', { headers: { Authorization: `Bearer ${w.p.adminToken}` } });
    expect(exp.headers.get('content-disposition')).toContain('pu_CAM-ALICE.history.json');
    const doc = (await exp.json()) as HistoryExport;
    expect(doc.events[0]!.event.type).toBe('xstate.init');
    const registry = new MachineRegistry(MACHINES);
    expect(replayExport(doc, registry)).toMatchObject({ ok: true, events: doc.events.length });
    const tampered = structuredClone(doc);
    tampered.events[2]!.value = 'offline';
    expect(replayExport(tampered, registry).ok).toBe(false);
    const verdict = await json(w.p, '/api/actors/pu%3ACAM-ALICE/replay');
    expect(verdict).toMatchObject({ actorId: 'pu:CAM-ALICE', ok: true });
  });

  it("serves each machine's statechart, and the tools only to admins", async () => {
    const m = await json(w.p, '/api/machines');
    expect(m.machines.map((x: { type: string }) => x.type)).toContain('pu');
    const svg = await raw('/api/machines/pu/1/diagram.svg', { headers: { Authorization: `Bearer ${w.p.adminToken}` } });
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(await svg.text()).toContain('data-state="online.ready"');
    const token = await tokenOf(w.p, 'alice', w.users.alice);
    expect((await raw('/api/actors/pu%3ACAM-ALICE/replay', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(403);
    expect((await raw('/api/machines/pu/9/diagram.svg', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(404);
  });
});

describe('console pages', () => {
  it('serves the bundled console from the platform, with a strict CSP and cacheable assets', async () => {
    for (const path of ['/', '/cameras/CAM-ALICE', '/actors/pu%3ACAM-ALICE', '/sign-in']) {
      const r = await raw(path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    const html = await (await raw('/')).text();
    const js = html.match(/src="(\/assets\/[^"]+\.js)"/)![1]!;
    const css = html.match(/href="(\/assets\/[^"]+\.css)"/)![1]!;
    const a = await raw(js);
    expect(a.headers.get('content-type')).toContain('javascript');
    expect(a.headers.get('cache-control')).toContain('immutable');
    expect((await raw(css)).status).toBe(200);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from elsewhere
    expect((await raw('/assets/nope.js')).status).toBe(404);
  });
});

// Last: repeated failures also slow down the test's address.
describe('sign-in throttling', () => {
  it('refuses a wrong password, and slows down after repeated failures', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await cookieSignIn('nobody-here', 'wrong-password')).r.status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
  });
});
