import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, pgClient } from '../../db/client.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { freshDataDir, TEST_PG_URL } from '../helpers/db.ts';

/** End-to-end steps wait on real processes and sockets. */
setDefaultTimeout(60_000);

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

const device = { device_id: 'CAM-E2E-1', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e4:01' };

describe('the platform process', () => {
  it('answers /healthz with the database it runs on', async () => {
    const r = await fetch(`${p.url}/healthz`, INSECURE as RequestInit);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', db: TEST_PG_URL ? 'postgres' : 'pglite' });
  });

  it('serves Prometheus metrics', async () => {
    const r = await fetch(`${p.url}/metrics`, INSECURE as RequestInit);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toContain('# TYPE h627_events_persisted_total counter');
    expect(text).toContain('# TYPE h627_commit_latency_seconds histogram');
    expect(text).toContain('# TYPE h627_event_loop_delay_seconds histogram');
  });

  it('measures how long the event loop was blocked', async () => {
    const m = createMetrics(); // no probes: only the event loop is measured
    try {
      await Bun.sleep(100);
      const blockedUntil = performance.now() + 300;
      while (performance.now() < blockedUntil) {
        /* a stall of 300 ms */
      }
      await Bun.sleep(100);
      const h = await m.registry.getSingleMetric('h627_event_loop_delay_seconds')!.get();
      const named = (v: object) => (v as { metricName?: string }).metricName ?? '';
      const bucket = (le: number) => h.values.find((v) => named(v).endsWith('_bucket') && v.labels.le === le)!.value;
      const count = h.values.find((v) => named(v).endsWith('_count'))!.value;
      expect(count).toBeGreaterThan(5);
      expect(count - bucket(0.25)).toBe(1); // exactly one probe was 250 ms late or more …
      expect(count - bucket(0.5)).toBe(0); // … and none 500 ms
    } finally {
      m.stop();
    }
  });

  it('refuses the admin API without the right bearer token', async () => {
    expect((await p.api('/api/admin/devices', { token: 'wrong-token-wrong-token' })).status).toBe(401);
    const r = await fetch(`${p.url}/api/admin/devices`, INSECURE as RequestInit);
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
  });

  it('provisions a device as a pu actor in state provisioned', async () => {
    const r = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(device) });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ device_id: device.device_id, mac_id: 'a0b1c2d3e401', channels: [0], state: 'provisioned' });
    const a = await (await p.api(`/api/actors/pu:${device.device_id}`)).json();
    expect(a).toMatchObject({ id: `pu:${device.device_id}`, type: 'pu', machineId: 'pu', version: 1, stateKey: 'provisioned' });
    expect(JSON.stringify(a)).not.toContain(device.password);
  });

  it('names the field of a bad or duplicate provisioning request', async () => {
    const bad = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify({ ...device, device_id: 'X2', mac_id: 'nope' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 400, field: 'mac_id' });
    const dup = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify({ ...device, device_id: 'X3' }) });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ field: 'mac_id' });
    const notJson = await p.api('/api/admin/devices', { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
  });

  it('creates users, and lists and filters actors', async () => {
    const u = await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
    expect(u.status).toBe(201);
    expect(await u.json()).toMatchObject({ username: 'alice', role: 'user' });
    expect((await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'another-one' }) })).status).toBe(409);
    const list = await (await p.api('/api/actors?type=pu&state=provisioned')).json();
    expect(list.actors.map((a: { id: string }) => a.id)).toContain(`pu:${device.device_id}`);
    expect((await (await p.api('/api/actors?type=pu&state=online')).json()).actors).toEqual([]);
    expect((await p.api('/api/actors/pu:nobody')).status).toBe(404);
    expect((await p.api('/api/actors/pu:nobody/history')).status).toBe(404);
  });

  it('deletes a device, keeping its actor history, and provisions it again', async () => {
    expect((await p.api(`/api/admin/devices/${device.device_id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await p.api(`/api/admin/devices/${device.device_id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(device) })).status).toBe(201);
    const h = await (await p.api(`/api/actors/pu:${device.device_id}/history?after=-1&limit=10`)).json();
    expect(h.events.map((e: { event: { type: string }; value: string }) => [e.event.type, e.value])).toEqual([
      ['xstate.init', 'provisioned'],
      ['device.deprovisioned', 'deprovisioned'],
      ['device.provisioned', 'provisioned'],
    ]);
    const page = await (await p.api(`/api/actors/pu:${device.device_id}/history?after=0&limit=1`)).json();
    expect(page.events.map((e: { seq: number }) => e.seq)).toEqual([1]);
    expect(page.events[0].context).toMatchObject({ deviceId: device.device_id });
  });

  it('logs one JSON object per line', () => {
    const logs = p.lines.filter((l) => !l.startsWith('ready ') && !l.startsWith('admin token'));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('flushes and exits 0 on SIGTERM, keeps passwords only as argon2id hashes, and starts again', async () => {
    expect(await p.stop()).toBe(0);
    const db = await openDb(TEST_PG_URL ? { url: p.env.DATABASE_URL!, migrate: false } : { pgliteDir: join(p.dataDir, 'pg'), migrate: false });
    const rows = await db.orm.query.devices.findMany();
    const users = await db.orm.query.users.findMany();
    await db.close();
    expect(rows[0]!.passwordHash).toStartWith('$argon2id$');
    expect(users[0]!.passwordHash).toStartWith('$argon2id$');
    p = await p.restart();
    expect((await (await p.api(`/api/actors/pu:${device.device_id}`)).json()).stateKey).toBe('provisioned');
  }, 60_000);

  it('survives kill -9 with every committed change', async () => {
    const r = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify({ ...device, device_id: 'CAM-E2E-2', mac_id: 'a0b1c2d3e402' }) });
    expect(r.status).toBe(201);
    await p.kill9();
    p = await p.restart();
    expect((await (await p.api('/api/actors/pu:CAM-E2E-2')).json()).stateKey).toBe('provisioned');
  }, 60_000);
});

/** Where Debian's PostgreSQL puts its Unix socket. */
const PG_SOCKET_DIR = '/var/run/postgresql';

describe('DATABASE_URL', () => {
  it.skipIf(!TEST_PG_URL || !existsSync(PG_SOCKET_DIR))("reaches a local PostgreSQL through its Unix socket in libpq's ?host=/dir form", async () => {
    const url = new URL(TEST_PG_URL!);
    url.searchParams.set('host', PG_SOCKET_DIR);
    const sql = pgClient(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<Array<{ addr: string | null; db: string }>>`SELECT inet_server_addr() AS addr, current_database() AS db`;
      expect(row!.addr).toBeNull(); // no address: not over TCP
      expect(row!.db).toBe(url.pathname.slice(1));
    } finally {
      await sql.end();
    }
  });
});

describe('configuration errors', () => {
  for (const [name, value] of [
    ['HTTP_PORT', 'abc'],
    ['DATABASE_URL', 'mysql://x'],
    ['PUBLIC_HOST', 'bad host'],
    ['ADMIN_TOKEN', 'short'],
  ]) {
    it(`exits 2 with a one-line error naming ${name}`, async () => {
      const dataDir = await freshDataDir('h627-cfg-');
      const proc = Bun.spawn(['bun', join(import.meta.dir, '..', '..', 'main.ts')], {
        env: { ...process.env, DATA_DIR: dataDir, [name!]: value! },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      expect(await proc.exited).toBe(2);
      const err = (await new Response(proc.stderr).text()).trim();
      expect(err.split('\n').length).toBe(1);
      expect(err).toContain(name!);
    });
  }
});
