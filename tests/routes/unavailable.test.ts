/**
 * How each interface tells a caller that the database is unavailable (issue #19, point 7): the
 * API's problem JSON, the device-facing `{"info"}`, and the Vd `err` of a message whose handler
 * needs the database; all with a 5xx, Retry-After where HTTP has it, and never the driver's words.
 */
import { VdBudgets } from '../../services/vd/vd-budget.ts';
import { describe, expect, it } from 'bun:test';
import { Hono } from 'hono';
import { silentLog } from '../../lib/log.ts';
import { DomainError } from '../../services/errors.ts';
import { ERR_UNAVAILABLE, INBOUND, type InboundDeps, InboundError, UNAVAILABLE_MSG } from '../../services/vd/vd-inbound.ts';
import type { VdConnection } from '../../services/vd/vd-connections.ts';
import { DB_UNAVAILABLE_DETAIL, DB_UNAVAILABLE_INFO, deviceUnavailableHandler, problemHandler, UNAVAILABLE_RETRY_AFTER_S } from '../../routes/problem.ts';

/** What Drizzle throws when postgres.js could not reach a database that refuses connections. */
const outage = () =>
  Object.assign(new Error('Failed query: select "id" from "sessions" where "token_hash" = $1\nparams: abc'), {
    cause: Object.assign(new Error('database "h627" is not currently accepting connections'), { name: 'PostgresError', code: '55000' }),
  });

function app(throwing: () => never) {
  const a = new Hono();
  a.onError(problemHandler(silentLog));
  a.get('/api/x', () => throwing());
  a.route(
    '/',
    new Hono().onError(deviceUnavailableHandler).get('/Vs/x', () => throwing()),
  );
  return a;
}

describe('the API during an outage', () => {
  it('answers 503 problem JSON with Retry-After and a detail that names the database, without SQL', async () => {
    const r = await app(() => {
      throw outage();
    }).request('/api/x');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    const text = await r.text();
    expect(JSON.parse(text)).toEqual({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: DB_UNAVAILABLE_DETAIL });
    expect(text).not.toMatch(/select|sessions|params|55000/i);
  });

  it("keeps 500 for an error that is not the database's absence, and gives every 503 a Retry-After", async () => {
    expect(
      (
        await app(() => {
          throw new Error('bug');
        }).request('/api/x')
      ).status,
    ).toBe(500);
    const r = await app(() => {
      throw new DomainError('unavailable', 'streaming is off');
    }).request('/api/x');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
  });
});

describe('device-facing routes during an outage', () => {
  it('answer 503 {"info"} with Retry-After; any other error goes on to the app\'s handler', async () => {
    const r = await app(() => {
      throw outage();
    }).request('/Vs/x');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
    expect(await r.json()).toEqual({ info: DB_UNAVAILABLE_INFO });
    const other = await app(() => {
      throw new Error('bug');
    }).request('/Vs/x');
    expect(other.status).toBe(500);
  });
});

describe('Vd messages whose handler needs the database', () => {
  const conn = { deviceId: 'CAM-1', macId: 'A0B1C2D3E4F5', connId: 'c1' } as VdConnection;
  /** Handlers' dependencies whose database is away: every statement fails as postgres.js fails it. */
  const p = {
    db: {
      orm: { insert: () => ({ values: () => Promise.reject(outage()) }), update: () => ({ set: () => ({ where: () => Promise.reject(outage()) }) }) },
      prepared: () => Promise.reject(outage()),
      rows: () => Promise.reject(outage()),
    },
    bind: { redeem: () => Promise.reject(outage()) },
    uploads: { grant: () => Promise.reject(outage()) },
    host: { send: () => {} },
    vd: { budgets: new VdBudgets() },
  } as unknown as InboundDeps;

  it('refuse with a 5xx err saying the platform is temporarily unavailable (AlarmNotify, Bind, LogDone)', async () => {
    const calls = [
      () => INBOUND.AlarmNotify(p, conn, { channel: 0, timestamp: 1, type: 3, state: 'start', desc: '' }),
      () => INBOUND.Bind(p, conn, { bind_id: 'ABCDEF' } as never),
      () => INBOUND.LogDone(p, conn, { trans_id: 't1', status: 0, size: 1 } as never),
    ];
    for (const call of calls) {
      const err = await Promise.resolve(call()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InboundError);
      expect(err).toMatchObject({ code: ERR_UNAVAILABLE, message: UNAVAILABLE_MSG });
      expect(ERR_UNAVAILABLE).toBeGreaterThanOrEqual(500);
      expect(ERR_UNAVAILABLE).toBeLessThanOrEqual(599);
    }
  });

  it('still answers a Keepalive at once, without the database', () => {
    expect(INBOUND.Keepalive(p, conn, { state: 1, channels: [] } as never)).toEqual({});
  });
});
