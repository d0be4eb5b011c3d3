/**
 * Webhooks (issue #23 point 6, docs/webhooks.md) end to end: a real platform, simulated cameras, and an HTTPS
 * receiver this test runs with a self-signed certificate the platform is told to trust (WEBHOOK_CA_FILE). The
 * receiver checks every request's signature with the secret the platform showed once; it answers 500, then 200, and
 * the delivery history shows both attempts; a delivery waiting while the receiver is down survives a platform killed
 * with SIGKILL; one user's webhooks hear nothing of another's cameras, and cannot be seen or removed by them.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'bun';
import type { Config } from '../../lib/config.ts';
import { ensureTls } from '../../boot/tls.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../../services/webhooks/signature.ts';
import { WEBHOOKS_PER_USER_MAX } from '../../services/webhooks/webhooks.ts';
import { json, startConsoleWorld, tokenOf, type ConsoleWorld } from '../browser/helpers.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(120_000);

interface Got {
  body: string;
  signature: string | null;
  timestamp: string | null;
  delivery: string | null;
  event: string | null;
}

/** An HTTPS receiver answering the statuses of `answers` in turn (the last one thereafter). */
function receiver(tls: { cert: string; key: string }) {
  const got: Got[] = [];
  const state = { answers: [200] };
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls,
    fetch: async (req) => {
      const h = req.headers;
      got.push({
        body: await req.text(),
        signature: h.get(SIGNATURE_HEADER),
        timestamp: h.get(TIMESTAMP_HEADER),
        delivery: h.get('X-H627-Delivery'),
        event: h.get('X-H627-Event'),
      });
      const status = state.answers.length > 1 ? state.answers.shift()! : state.answers[0]!;
      return new Response(status === 200 ? 'ok' : 'not now', { status });
    },
  });
  return { got, state, server, url: `https://127.0.0.1:${server.port}/hooks/h627` };
}

describe('webhooks', () => {
  let w: ConsoleWorld;
  let dir: string;
  let alice: string;
  let bob: string;
  let rx: ReturnType<typeof receiver>;
  let hook: { id: string; url: string; secret: string; kinds: string[] | null };
  /** The platform after its restart (the world's `stop` only knows the first process). */
  let restarted: ConsoleWorld['p'] | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'h627-webhook-rx-'));
    const tls = await ensureTls({ publicHost: '127.0.0.1', tlsDir: dir } as Config);
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    rx = receiver(tls);
    w = await startConsoleWorld({ env: { WEBHOOK_CA_FILE: join(dir, 'ca.pem'), WEBHOOK_RETRY_BASE_S: '0.5', WEBHOOK_ALLOW_PRIVATE: '1' } });
    alice = await tokenOf(w.p, 'alice', w.users.alice);
    bob = await tokenOf(w.p, 'bob', w.users.bob);
  });

  afterAll(async () => {
    await restarted?.stop();
    await w?.stop();
    rx?.server.stop(true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('makes a webhook with an https URL and shows its secret once; refuses http, too many, and other users', async () => {
    const bad = await w.p.api('/api/webhooks', { method: 'POST', token: alice, body: JSON.stringify({ url: 'http://127.0.0.1/hook' }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toContain('url');
    const badKind = await w.p.api('/api/webhooks', { method: 'POST', token: alice, body: JSON.stringify({ url: rx.url, kinds: ['fire'] }) });
    expect(badKind.status).toBe(400);

    const r = await w.p.api('/api/webhooks', { method: 'POST', token: alice, body: JSON.stringify({ url: rx.url, kinds: ['alarm'] }) });
    expect(r.status).toBe(201);
    hook = await r.json();
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await json<{ webhooks: Array<Record<string, unknown>> }>(w.p, '/api/webhooks', { token: alice });
    expect(listed.webhooks).toEqual([{ id: hook.id, url: rx.url, kinds: ['alarm'], created_at: expect.any(String) }]);
    expect(JSON.stringify(listed)).not.toContain(hook.secret);

    // Bob sees none of Alice's, and cannot remove or read hers.
    expect((await json(w.p, '/api/webhooks', { token: bob })).webhooks).toEqual([]);
    expect((await w.p.api(`/api/webhooks/${hook.id}`, { method: 'DELETE', token: bob })).status).toBe(404);
    expect((await w.p.api(`/api/webhooks/${hook.id}/deliveries`, { token: bob })).status).toBe(404);
    // The admin token is no user: webhooks need one.
    expect((await w.p.api('/api/webhooks')).status).toBe(403);

    // The per-user bound, then back under it.
    const extra: string[] = [];
    for (let i = 1; i < WEBHOOKS_PER_USER_MAX; i++) {
      const x = await json(w.p, '/api/webhooks', { method: 'POST', token: bob, body: JSON.stringify({ url: `${rx.url}?n=${i}`, kinds: ['firmware_done'] }) });
      extra.push(x.id);
    }
    await json(w.p, '/api/webhooks', { method: 'POST', token: bob, body: JSON.stringify({ url: rx.url, kinds: ['firmware_done'] }) });
    const over = await w.p.api('/api/webhooks', { method: 'POST', token: bob, body: JSON.stringify({ url: rx.url }) });
    expect(over.status).toBe(409);
    expect((await over.json()).detail).toContain(String(WEBHOOKS_PER_USER_MAX));
    for (const id of extra) expect((await w.p.api(`/api/webhooks/${id}`, { method: 'DELETE', token: bob })).status).toBe(204);
  });

  it("delivers an alarm signed, retries after a 500, and the history shows both attempts; another user's alarm never comes", async () => {
    rx.state.answers = [500, 200];
    await w.cams.bob.camera.raiseAlarm(3);
    await w.cams.alice.camera.raiseAlarm(3);
    await until(
      async () => rx.got.length,
      (n) => n >= 2,
      30_000,
    );
    const [first, second] = rx.got as [Got, Got];
    for (const g of [first, second]) {
      expect(verify(hook.secret, g.signature, g.timestamp, g.body)).toBe(true);
      expect(verify('whsec_wrong', g.signature, g.timestamp, g.body)).toBe(false);
      // The timestamp is signed: the same body under another timestamp does not verify.
      expect(verify(hook.secret, g.signature, String(Number(g.timestamp) + 1), g.body)).toBe(false);
      expect(g.event).toBe('alarm');
    }
    expect(second.body).toBe(first.body);
    expect(second.delivery).toBe(first.delivery);
    const event = JSON.parse(first.body);
    expect(event).toMatchObject({ kind: 'alarm', device_id: 'CAM-ALICE', channel: 0, data: { type: 3, name: 'motion', state: 'start' } });

    const history = await until(
      async () => (await json(w.p, `/api/webhooks/${hook.id}/deliveries`, { token: alice })).deliveries,
      (d) => d[0]?.status === 'delivered',
    );
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      id: first.delivery,
      event_id: event.id,
      status: 'delivered',
      attempts: 2,
      last_status: 200,
      last_error: 'the receiver answered HTTP 500',
      next_attempt_at: null,
      event,
    });
    expect(history[0].attempt_log.map((a: { status: number; error: string | null }) => [a.status, a.error])).toEqual([
      [500, 'the receiver answered HTTP 500'],
      [200, null],
    ]);
    // Bob's alarm reached no webhook of Alice's: only her camera's came.
    await Bun.sleep(1500);
    expect(rx.got.every((g) => JSON.parse(g.body).device_id === 'CAM-ALICE')).toBe(true);
  });

  it('keeps a delivery while the receiver is down, across a platform killed with SIGKILL, and sends it once it is back', async () => {
    rx.got.length = 0;
    rx.state.answers = [503];
    await w.cams.alice.camera.raiseAlarm(10);
    const pending = await until(
      async () => (await json(w.p, `/api/webhooks/${hook.id}/deliveries`, { token: alice })).deliveries[0],
      // attempt_log, not attempts: attempts counts an attempt from its claim, before the receiver answered.
      (d) => d?.status === 'pending' && d.attempt_log.length >= 1 && d.event.data.type === 10,
      30_000,
    );
    expect(pending.last_error).toBe('the receiver answered HTTP 503');
    expect(pending.next_attempt_at).toBeString();
    await w.p.kill9();
    rx.state.answers = [200];
    w.p = restarted = await w.p.restart();
    const done = await until(
      async () => (await json(w.p, `/api/webhooks/${hook.id}/deliveries`, { token: alice })).deliveries[0],
      (d) => d?.status === 'delivered',
      60_000,
    );
    expect(done.id).toBe(pending.id);
    expect(rx.got.at(-1)!.delivery).toBe(pending.id);
    expect(verify(hook.secret, rx.got.at(-1)!.signature, rx.got.at(-1)!.timestamp, rx.got.at(-1)!.body)).toBe(true);
  });

  it('removes a webhook with its deliveries', async () => {
    expect((await w.p.api(`/api/webhooks/${hook.id}`, { method: 'DELETE', token: alice })).status).toBe(204);
    expect((await json(w.p, '/api/webhooks', { token: alice })).webhooks).toEqual([]);
    expect((await w.p.api(`/api/webhooks/${hook.id}/deliveries`, { token: alice })).status).toBe(404);
  });
});
