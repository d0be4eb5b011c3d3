/**
 * Two real platform processes on one PostgreSQL database (docs/cluster.md, "Any node serves any
 * request"): a device request made on node A for a device node B owns is answered by B; forged and
 * stale node signatures are refused; a console on A sees B's transitions; a dead owner is not waited for. The nodes are real members;
 * which owns which device is written straight into `actors` (placement is not what is under test here).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pgClient } from '../../db/client.ts';
import { createScratchDatabase, type ScratchDatabase } from '../../db/scratch.ts';
import { FORWARD_CONNECT_TIMEOUT_MS, SERVED_BY_HEADER } from '../../services/cluster/forward.ts';
import { CLUSTER_FEED_REFRESH_MS } from '../../services/cluster/cluster-feed.ts';
import { NODE_SIG_HEADER, NODE_SIGNATURE_WINDOW_MS, NODE_TIME_HEADER, signNodeRequest } from '../../services/cluster/node-auth.ts';
import { INSECURE, startTestPlatform, type TestPlatform, userToken } from '../helpers/platform.ts';
import { TEST_PG_URL } from '../helpers/db.ts';

setDefaultTimeout(60_000);

const ADMIN_TOKEN = 'cluster-admin-token-0123456789';
const device = { device_id: 'CAM-FWD-1', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e4:21' };
const other = { device_id: 'CAM-FWD-2', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e4:22' };

let scratch: ScratchDatabase;
let sql: ReturnType<typeof pgClient>;
let a: TestPlatform;
let b: TestPlatform;
let key: Buffer;
const keyFile = join(tmpdir(), `h627-cluster-key-${process.pid}-${Date.now()}`);

const node = (id: string) => ({
  NODE_ID: id,
  DATABASE_URL: scratch.url,
  PLATFORM_KEY_FILE: keyFile,
  ADMIN_TOKEN,
  CLUSTER_TLS_INSECURE: '1',
  LOG_LEVEL: 'debug',
});

describe.skipIf(!TEST_PG_URL)('forwarding between two nodes on one database', () => {
  beforeAll(async () => {
    writeFileSync(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64url');
    scratch = await createScratchDatabase(TEST_PG_URL!, 'h627_fwd');
    a = await startTestPlatform(node('node-a'));
    b = await startTestPlatform(node('node-b'));
    sql = pgClient(scratch.url, { max: 1, onnotice: () => {} });
    for (const d of [device, other]) expect((await a.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(d) })).status).toBe(201);
    // Both nodes are members (their own heartbeats); B is made the owner of the first device, A of the second.
    await sql`UPDATE actors SET owner_node = 'node-b', owner_epoch = (SELECT epoch FROM cluster_nodes WHERE id = 'node-b')
      WHERE id = ${`pu:${device.device_id}`}`;
    await sql`UPDATE actors SET owner_node = 'node-a', owner_epoch = (SELECT epoch FROM cluster_nodes WHERE id = 'node-a')
      WHERE id = ${`pu:${other.device_id}`}`;
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await a?.cleanup();
    await b?.cleanup();
    await scratch?.drop();
    rmSync(keyFile, { force: true });
  });

  /** An open console feed: counts the transitions per actor. */
  const readFeed = async (p: TestPlatform, path: string, token?: string) => {
    const abort = new AbortController();
    const r = await p.api(path, { signal: abort.signal, token });
    expect(r.status).toBe(200);
    let text = '';
    (async () => {
      const dec = new TextDecoder();
      for await (const chunk of r.body!) text += dec.decode(chunk, { stream: true });
    })().catch(() => {});
    return {
      transitions: (actorId: string) => text.split('\n\n').filter((f) => f.startsWith('event: transition') && f.includes(`"actorId":"${actorId}"`)).length,
      close: () => abort.abort(),
    };
  };
  const waitFor = async (ok: () => boolean, ms = 5000) => {
    const until = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > until) throw new Error('timed out waiting');
      await Bun.sleep(50);
    }
  };

  const servedOn = (p: TestPlatform, path: string) => p.lines.some((l) => l.includes('"msg":"http"') && l.includes(`"path":"${path}"`));

  it('answers on node A a device request of the device B owns, from B, with the answer B gives', async () => {
    const path = `/api/devices/${device.device_id}`;
    const viaA = await a.api(path);
    expect(viaA.status).toBe(200);
    expect(viaA.headers.get(SERVED_BY_HEADER)).toBe('node-b');
    const onB = await b.api(path);
    expect(onB.status).toBe(200);
    expect(onB.headers.get(SERVED_BY_HEADER)).toBeNull();
    expect(await viaA.json()).toEqual(await onB.json());
    await Bun.sleep(100);
    expect(servedOn(b, path)).toBe(true);
  });

  it('forwards a body with the method, and the owner validates it', async () => {
    const r = await a.api(`/api/devices/${device.device_id}/recording-policy`, { method: 'PUT', body: JSON.stringify({ retention_s: 3600 }) });
    expect(r.headers.get(SERVED_BY_HEADER)).toBe('node-b');
    expect(r.status).toBe(200);
    expect((await r.json()).retention_s).toBe(3600);
    const bad = await a.api(`/api/devices/${device.device_id}/recording-policy`, { method: 'PUT', body: JSON.stringify({ retention_s: 'soon' }) });
    expect(bad.headers.get(SERVED_BY_HEADER)).toBe('node-b');
    expect(bad.status).toBe(400);
  });

  it('serves a device it owns itself, and requests of no device, without forwarding', async () => {
    const mine = await a.api(`/api/devices/${other.device_id}`);
    expect(mine.status).toBe(200);
    expect(mine.headers.get(SERVED_BY_HEADER)).toBeNull();
    const list = await a.api('/api/devices');
    expect(list.headers.get(SERVED_BY_HEADER)).toBeNull();
  });

  it('keeps authentication to the owner: a wrong token is refused by B', async () => {
    const r = await a.api(`/api/devices/${device.device_id}`, { token: 'not-the-admin-token-at-all' });
    expect(r.status).toBe(401);
    expect(r.headers.get(SERVED_BY_HEADER)).toBe('node-b');
  });

  it('never forwards a signed request again: A serves it itself', async () => {
    const path = `/api/devices/${device.device_id}`;
    const headers = { Authorization: `Bearer ${ADMIN_TOKEN}`, ...signNodeRequest(key, 'GET', path, 'node-b') };
    const r = await fetch(`${a.url}${path}`, { headers, ...INSECURE } as RequestInit);
    expect(r.status).toBe(200);
    expect(r.headers.get(SERVED_BY_HEADER)).toBeNull();
  });

  it('refuses a forged signature and a stale one, naming what was wrong', async () => {
    const path = `/api/devices/${device.device_id}`;
    const forged = { Authorization: `Bearer ${ADMIN_TOKEN}`, ...signNodeRequest(randomBytes(32), 'GET', path, 'node-b') };
    const r1 = await fetch(`${a.url}${path}`, { headers: forged, ...INSECURE } as RequestInit);
    expect(r1.status).toBe(401);
    expect((await r1.json()).detail).toContain(NODE_SIG_HEADER);
    const stale = { Authorization: `Bearer ${ADMIN_TOKEN}`, ...signNodeRequest(key, 'GET', path, 'node-b', Date.now() - NODE_SIGNATURE_WINDOW_MS - 5000) };
    const r2 = await fetch(`${b.url}${path}`, { headers: stale, ...INSECURE } as RequestInit);
    expect(r2.status).toBe(401);
    expect((await r2.json()).detail).toContain(NODE_TIME_HEADER);
  });

  it("merges B's transitions into A's console feed, once, and sends nothing back", async () => {
    const onA = await readFeed(a, '/api/events?topic=actors&type=pu');
    const onB = await readFeed(b, '/api/events?topic=actors&type=pu');
    const stranger = await readFeed(a, '/api/events?topic=actors&device=CAM-FWD-3', await userToken(a, 'stranger'));
    await Bun.sleep(CLUSTER_FEED_REFRESH_MS + 500); // A has read the live nodes and follows B (and B follows A)
    const third = { device_id: 'CAM-FWD-3', password: 'correct horse', mac_id: 'a0:b1:c2:d3:e4:23' };
    expect((await b.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(third) })).status).toBe(201);
    await waitFor(() => onA.transitions('pu:CAM-FWD-3') > 0);
    await Bun.sleep(500); // room for an echo, if there were one
    expect(onA.transitions('pu:CAM-FWD-3')).toBe(onB.transitions('pu:CAM-FWD-3'));
    expect(stranger.transitions('pu:CAM-FWD-3')).toBe(0); // filtered as local ones are: not the user's device
    for (const f of [onA, onB, stranger]) f.close();
  });

  it('does not wait for a dead owner: A serves the request itself within the connect timeout', async () => {
    await b.kill9();
    const t0 = performance.now();
    const r = await a.api(`/api/devices/${device.device_id}`);
    const ms = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.headers.get(SERVED_BY_HEADER)).toBeNull();
    expect(ms).toBeLessThan(2 * FORWARD_CONNECT_TIMEOUT_MS + 500);
  });
});
