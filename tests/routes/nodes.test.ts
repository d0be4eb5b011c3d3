/**
 * `/api/admin/nodes` over a real socket (docs/cluster.md): the node list with liveness judged by the
 * database's clock, and a drain request, admin token only; rows are written by the test, the node
 * actors run in a real host on the test database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import { ActorHost } from '../../actors/host/host.ts';
import { bindEffects } from '../../actors/host/effect-catalog.ts';
import { MACHINES } from '../../actors/machines/index.ts';
import { nodeEffects } from '../../actors/machines/node.effects.ts';
import { nodeActorId } from '../../actors/machines/ids.ts';
import { silentLog } from '../../lib/log.ts';
import { Drain } from '../../services/cluster/drain.ts';
import { Nodes } from '../../services/cluster/nodes.ts';
import { VdConnections } from '../../services/vd/vd-connections.ts';
import { authenticate, type AuthEnv } from '../../routes/auth.ts';
import { nodeRoutes } from '../../routes/nodes.routes.ts';
import { problemHandler } from '../../routes/problem.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { putNode } from '../cluster/nodes.fixture.ts';

const ADMIN = 'admin-token-for-nodes-test';
let t: TestDb;
let host: ActorHost;
let server: ReturnType<typeof Bun.serve>;
let base: string;

beforeAll(async () => {
  t = await freshDb();
  const drain = new Drain({ db: t.db, log: silentLog, vd: new VdConnections(silentLog), self: () => ({ id: 'n-active' }), onExit: () => {} });
  host = new ActorHost({ db: t.db, machines: MACHINES, effects: bindEffects(nodeEffects, drain.effects(), silentLog), log: silentLog });
  await host.start();
  const app = new Hono();
  app.onError(problemHandler(silentLog));
  app.route('/api/admin/nodes', new Hono<AuthEnv>().use(authenticate({ adminToken: ADMIN })).route('/', nodeRoutes({ nodes: new Nodes({ db: t.db, host }) })));
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => app.fetch(req) });
  base = `http://127.0.0.1:${server.port}/api/admin/nodes`;

  await putNode(t.db, { id: 'n-active', epoch: 3, host: 'a.example', httpPort: 8443, pus: 12 });
  await putNode(t.db, { id: 'n-lapsed', leaseS: -5 });
  await putNode(t.db, { id: 'n-dead', state: 'dead', leaseS: -30 });
  await putNode(t.db, { id: 'n-gone', state: 'gone', leaseS: -30 });
  await putNode(t.db, { id: 'n-no-actor' });
  await host.create('node', nodeActorId('n-active'), { epoch: 3, baseUrl: 'https://a.example:8443' });
  await host.dispatch(nodeActorId('n-active'), { type: 'node.started' });
});
afterAll(async () => {
  server?.stop(true);
  await host?.stop();
  await t?.cleanup();
});

const call = (path: string, init: RequestInit & { token?: string | null } = {}) =>
  fetch(`${base}${path}`, { ...init, headers: init.token === null ? {} : { Authorization: `Bearer ${init.token ?? ADMIN}` } });

describe('GET /api/admin/nodes', () => {
  it('lists every node with its state, epoch, address, load, times and liveness by the database clock', async () => {
    const r = await call('');
    expect(r.status).toBe(200);
    const { nodes } = (await r.json()) as { nodes: Array<Record<string, unknown>> };
    expect(nodes.map((n) => n.id)).toEqual(['n-active', 'n-dead', 'n-gone', 'n-lapsed', 'n-no-actor']);
    const a = nodes[0]!;
    expect(a).toMatchObject({
      id: 'n-active',
      state: 'active',
      actorState: 'active',
      epoch: 3,
      baseUrl: 'https://a.example:8443',
      publicHost: 'a.example',
      ports: { http: 8443, srt: 9000 },
      load: { pus: 12, streams: 0, uploads: 0, cpu: 0.1 },
      live: true,
    });
    for (const k of ['startedAt', 'heartbeatAt', 'leaseUntil']) expect(typeof a[k]).toBe('number');
    expect(a.leaseUntil as number).toBeGreaterThan(a.heartbeatAt as number);
    expect(nodes.find((n) => n.id === 'n-lapsed')).toMatchObject({ state: 'active', live: false, actorState: null });
  });

  it('is for admins only', async () => {
    expect((await call('', { token: null })).status).toBe(401);
    expect((await call('', { token: 'not-the-token' })).status).toBe(401);
  });
});

describe('POST /api/admin/nodes/:id/drain', () => {
  it('sets a live node draining → 202 with its view; its row follows, and asking again changes nothing', async () => {
    const r = await call('/n-active/drain', { method: 'POST' });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ id: 'n-active', actorState: 'draining', epoch: 3 });
    for (let i = 0; i < 50 && (await t.db.rows<{ state: string }>(sql`SELECT state FROM cluster_nodes WHERE id = 'n-active'`))[0]?.state !== 'draining'; i++) {
      await Bun.sleep(20);
    }
    const again = await call('/n-active/drain', { method: 'POST' });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ state: 'draining', actorState: 'draining' });
  });

  it('answers 404 for an unknown node, 409 for a dead or gone one and for one without a node actor', async () => {
    const unknown = await call('/n-nobody/drain', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toContain('no node n-nobody');
    for (const id of ['n-dead', 'n-gone']) {
      const r = await call(`/${id}/drain`, { method: 'POST' });
      expect(r.status).toBe(409);
      expect(((await r.json()) as { detail: string }).detail).toContain(`node ${id} is ${id.slice(2)}`);
    }
    const noActor = await call('/n-no-actor/drain', { method: 'POST' });
    expect(noActor.status).toBe(409);
    expect(((await noActor.json()) as { detail: string }).detail).toContain('has no node actor');
  });

  it('refuses a malformed node id (400) and a caller without the admin token (401)', async () => {
    expect((await call('/bad%20id/drain', { method: 'POST' })).status).toBe(400);
    expect((await call('/n-active/drain', { method: 'POST', token: null })).status).toBe(401);
  });
});
