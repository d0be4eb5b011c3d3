/**
 * The webhook sender on the database (services/webhooks/delivery.ts): two senders on one database, as two nodes of a
 * cluster, send each delivery once (claims with FOR UPDATE SKIP LOCKED); a user's slow receiver holds at most
 * WEBHOOK_PER_USER_CONCURRENCY requests and never delays another user's deliveries; a receiver that keeps failing
 * gets WEBHOOK_ATTEMPTS_MAX attempts, then the delivery is `failed`. Real HTTPS receivers, real database (PGlite, or
 * PostgreSQL with DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Server } from 'bun';
import type { Config } from '../../../lib/config.ts';
import { ensureTls } from '../../../boot/tls.ts';
import { rootLog } from '../../../lib/log.ts';
import { encryptSecret } from '../../../lib/secrets.ts';
import { retryDelayMs, WEBHOOK_ATTEMPTS_MAX, WEBHOOK_PER_USER_CONCURRENCY, WebhookDelivery } from '../../../services/webhooks/delivery.ts';
import { verify } from '../../../services/webhooks/signature.ts';
import { Webhooks } from '../../../services/webhooks/webhooks.ts';
import type { WebhookCreate } from '../../../protocol/events-api.ts';
import type { Principal } from '../../../services/users/principal.ts';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { until } from '../../helpers/wait.ts';

setDefaultTimeout(60_000);

const key = randomBytes(32);
const SECRET = 'whsec_test-secret';
const log = rootLog.child({ test: 'webhook-delivery' });

describe('webhook delivery', () => {
  let t: TestDb;
  let dir: string;
  let tls: { cert: string; key: string };
  const servers: Server<undefined>[] = [];

  /** A receiver that waits `delayMs` then answers `status`, counting requests per delivery and at once. */
  function receiver(delayMs: number, status = 200) {
    const seen = new Map<string, number>();
    const r = { seen, now: 0, max: 0, url: '' };
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      tls,
      fetch: async (req) => {
        r.now++;
        r.max = Math.max(r.max, r.now);
        const body = await req.text();
        if (!verify(SECRET, req.headers.get('X-H627-Signature'), req.headers.get('X-H627-Timestamp'), body))
          return new Response('bad signature', { status: 401 });
        await Bun.sleep(delayMs);
        const id = req.headers.get('X-H627-Delivery')!;
        seen.set(id, (seen.get(id) ?? 0) + 1);
        r.now--;
        return new Response('', { status });
      },
    });
    servers.push(server);
    r.url = `https://127.0.0.1:${server.port}/hook`;
    return r;
  }

  /** A user with one webhook to `url` and `n` pending deliveries, due now. */
  async function userWith(name: string, url: string, n: number): Promise<string[]> {
    await t.db.rows(sql`INSERT INTO users (id, username, password_hash) VALUES (${name}, ${name}, 'x')`);
    await t.db.rows(sql`INSERT INTO webhooks (id, user_id, url, secret_enc) VALUES (${`wh-${name}`}, ${name}, ${url}, ${encryptSecret(key, SECRET)})`);
    const ids = Array.from({ length: n }, (_, i) => `${name}-${i}`);
    for (const id of ids) {
      const body = JSON.stringify({ id: `ev-${id}`, kind: 'alarm', device_id: 'CAM', channel: 0, at: new Date().toISOString(), data: {} });
      await t.db.rows(
        sql`INSERT INTO webhook_deliveries (id, webhook_id, user_id, event_id, body, status, next_attempt_at) VALUES (${id}, ${`wh-${name}`}, ${name}, ${`ev-${id}`}, ${body}, 'pending', now())`,
      );
    }
    return ids;
  }

  const statusOf = async (ids: string[]) =>
    (await t.db.rows<{ id: string; status: string; attempts: number }>(sql`SELECT id, status, attempts FROM webhook_deliveries ORDER BY id`)).filter((r) =>
      ids.includes(r.id),
    );

  beforeAll(async () => {
    t = await freshDb();
    dir = mkdtempSync(join(tmpdir(), 'h627-webhook-tls-'));
    tls = await ensureTls({ publicHost: '127.0.0.1', tlsDir: dir } as Config);
  });

  afterAll(async () => {
    for (const s of servers) s.stop(true);
    await t?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each delivery once when two nodes poll the same outbox', async () => {
    const rx = receiver(20);
    const ids = await userWith('u-two-nodes', rx.url, 30);
    const nodes = [0, 1].map(() => new WebhookDelivery({ db: t.db, log, key }, { retryBaseMs: 500, insecureTls: true, allowPrivate: true }));
    // Both poll again and again while the other's attempts are in flight.
    const rounds = async (d: WebhookDelivery) => {
      for (let i = 0; i < 40 && (await statusOf(ids)).some((r) => r.status !== 'delivered'); i++) {
        await d.poll();
        await Bun.sleep(25);
      }
    };
    await Promise.all(nodes.map(rounds));
    await Promise.all(nodes.map((d) => d.stop()));
    expect((await statusOf(ids)).map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['delivered', 1]));
    expect([...rx.seen.keys()].sort()).toEqual([...ids].sort());
    expect([...rx.seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("holds a slow receiver to its user's slots and never delays another user's deliveries", async () => {
    const slow = receiver(3000);
    const fast = receiver(0);
    const slowIds = await userWith('u-slow', slow.url, 20);
    const fastIds = await userWith('u-fast', fast.url, 10);
    const d = new WebhookDelivery({ db: t.db, log, key }, { retryBaseMs: 500, insecureTls: true, allowPrivate: true });
    const t0 = Date.now();
    d.start();
    await until(
      async () => (await statusOf(fastIds)).every((r) => r.status === 'delivered'),
      (ok) => ok,
      10_000,
    );
    const fastMs = Date.now() - t0;
    // All ten of the fast user's went while the slow receiver still held its first requests (3 s each).
    expect(fastMs).toBeLessThan(3000);
    expect(slow.max).toBeLessThanOrEqual(WEBHOOK_PER_USER_CONCURRENCY);
    expect(d.inFlightCount).toBeLessThanOrEqual(WEBHOOK_PER_USER_CONCURRENCY);
    await d.stop();
    expect((await statusOf(slowIds)).filter((r) => r.status === 'delivered').length).toBeLessThanOrEqual(WEBHOOK_PER_USER_CONCURRENCY);
    await t.db.rows(sql`DELETE FROM webhooks WHERE user_id = 'u-slow'`); // its deliveries go with it
  });

  it('retries a failing receiver with a doubling backoff and marks the delivery failed after the last attempt', async () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(1000, n))).toEqual([1000, 2000, 4000, 8000]);
    const down = receiver(0, 500);
    const [id] = (await userWith('u-down', down.url, 1)) as [string];
    const d = new WebhookDelivery({ db: t.db, log, key }, { retryBaseMs: 1, insecureTls: true, allowPrivate: true });
    // Backoffs of 1, 2, 4… ms: every poll finds it due again; each attempt is claimed by one poll.
    for (let i = 0; i < WEBHOOK_ATTEMPTS_MAX * 3 && (await statusOf([id]))[0]!.status === 'pending'; i++) {
      await d.poll();
      await until(
        async () => d.inFlightCount,
        (n) => n === 0,
      );
      await Bun.sleep(2 ** Math.min(i, 9));
    }
    const [row] = await t.db.rows<{ status: string; attempts: number; last_error: string; attempt_log: unknown[]; next_attempt_at: unknown }>(
      sql`SELECT status, attempts, last_error, attempt_log, next_attempt_at FROM webhook_deliveries WHERE id = ${id}`,
    );
    expect(row).toMatchObject({ status: 'failed', attempts: WEBHOOK_ATTEMPTS_MAX, last_error: 'the receiver answered HTTP 500', next_attempt_at: null });
    expect((typeof row!.attempt_log === 'string' ? JSON.parse(row!.attempt_log) : row!.attempt_log).length).toBe(WEBHOOK_ATTEMPTS_MAX);
    expect(down.seen.get(id)).toBe(WEBHOOK_ATTEMPTS_MAX);
  });

  it('sends nothing to a loopback or private address unless allowed: the attempt fails with the reason, and making such a webhook is refused', async () => {
    const inside = receiver(0);
    const [id] = (await userWith('u-inside', inside.url, 1)) as [string];
    const d = new WebhookDelivery({ db: t.db, log, key }, { retryBaseMs: 60_000, insecureTls: true, allowPrivate: false });
    await d.poll();
    await until(
      async () => d.inFlightCount,
      (n) => n === 0,
    );
    const [row] = await t.db.rows<{ status: string; attempts: number; last_error: string }>(
      sql`SELECT status, attempts, last_error FROM webhook_deliveries WHERE id = ${id}`,
    );
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.last_error).toContain('127.0.0.1 is not a public internet address');
    expect(inside.seen.size).toBe(0); // never reached
    const hooks = new Webhooks({ db: t.db, key, allowPrivate: false });
    const who = { kind: 'user', role: 'user', userId: 'u-inside', username: 'u-inside' } as Principal;
    for (const url of ['https://127.0.0.1:9/hook', 'https://localhost/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest', 'https://10.1.2.3/x'])
      await expect(hooks.create(who, { url } as WebhookCreate)).rejects.toThrow(/^url: .*not a public internet address|^url: localhost resolves to/);
  });
});
