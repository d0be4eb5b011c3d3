/**
 * Device events on the database (services/events/events.ts): a transition heard twice is one event; `online` is an
 * event only after `offline` (or first), so a wake from sleep is not "back online"; each event fans out to the
 * owner's webhooks that want its kind, in the same statement; a body over WEBHOOK_BODY_MAX_BYTES is truncated;
 * retention deletes old events and finished deliveries. PGlite, or PostgreSQL with DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { rootLog } from '../../../lib/log.ts';
import { DeviceEvents, eventBody, WEBHOOK_BODY_MAX_BYTES } from '../../../services/events/events.ts';
import type { EventDraft } from '../../../services/events/classify.ts';
import { freshDb, type TestDb } from '../../helpers/db.ts';

const log = rootLog.child({ test: 'device-events' });
const OWNER = { kind: 'user', role: 'user', userId: 'u-owner', username: 'owner' } as const;
const OTHER = { kind: 'user', role: 'user', userId: 'u-other', username: 'other' } as const;

describe('device events', () => {
  let t: TestDb;
  let events: DeviceEvents;
  let seq = 0;
  const draft = (kind: EventDraft['kind'], more: Partial<EventDraft> = {}): EventDraft => ({
    id: `pu:CAM-E:${++seq}`,
    deviceId: 'CAM-E',
    kind,
    at: Date.now() + seq,
    channel: null,
    data: { reason: kind },
    ...(kind === 'online' ? { unlessAlreadyOnline: true } : {}),
    ...more,
  });
  const kinds = async () => (await events.list(OWNER, { limit: 200 })).events.map((e) => e.kind).reverse();

  beforeAll(async () => {
    t = await freshDb();
    events = new DeviceEvents({ db: t.db, log });
    for (const u of [OWNER, OTHER]) await t.db.rows(sql`INSERT INTO users (id, username, password_hash) VALUES (${u.userId}, ${u.username}, 'x')`);
    await t.db.rows(sql`INSERT INTO devices (id, mac_id, password_hash, owner_id) VALUES ('CAM-E', 'a0b1c2d3e4f5', 'x', ${OWNER.userId})`);
    await t.db.rows(
      sql`INSERT INTO webhooks (id, user_id, url, secret_enc, kinds) VALUES ('wh-alarms', ${OWNER.userId}, 'https://a.example/h', 's', '["alarm"]'::jsonb)`,
    );
    await t.db.rows(sql`INSERT INTO webhooks (id, user_id, url, secret_enc) VALUES ('wh-all', ${OWNER.userId}, 'https://b.example/h', 's')`);
    await t.db.rows(sql`INSERT INTO webhooks (id, user_id, url, secret_enc) VALUES ('wh-other', ${OTHER.userId}, 'https://c.example/h', 's')`);
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('records online only when the last connectivity event was not online, and a repeat once', async () => {
    await events.record(draft('online')); // first login
    await events.record(draft('online')); // a wake from sleep: not back online
    const off = draft('offline');
    await events.record(off);
    await events.record(off); // heard twice
    await events.record(draft('online')); // back
    expect(await kinds()).toEqual(['online', 'offline', 'online']);
    expect((await events.list(OTHER, { limit: 200 })).events).toEqual([]);
  });

  it("fans an event out to the owner's webhooks that want its kind, with the body it lists", async () => {
    const alarm = draft('alarm', { channel: 0, data: { type: 3, state: 'start' } });
    await events.record(alarm);
    const rows = await t.db.rows<{ webhook_id: string; event_id: string; body: string; status: string }>(
      sql`SELECT webhook_id, event_id, body, status FROM webhook_deliveries WHERE event_id = ${alarm.id} ORDER BY webhook_id`,
    );
    expect(rows.map((r) => [r.webhook_id, r.status])).toEqual([
      ['wh-alarms', 'pending'],
      ['wh-all', 'pending'],
    ]);
    const [listed] = (await events.list(OWNER, { limit: 1, kind: ['alarm'] })).events;
    expect(JSON.parse(rows[0]!.body)).toEqual(listed);
    const offline = await t.db.rows<{ webhook_id: string }>(sql`SELECT webhook_id FROM webhook_deliveries WHERE body::jsonb->>'kind' = 'offline'`);
    expect(offline.map((r) => r.webhook_id)).toEqual(['wh-all']);
  });

  it('truncates a body over the bound', () => {
    const big = draft('recording_failed', { data: { reason: 'x'.repeat(WEBHOOK_BODY_MAX_BYTES) } });
    const body = JSON.parse(eventBody(big));
    expect(body.data).toEqual({ truncated: true });
    expect(body.kind).toBe('recording_failed');
  });

  it('deletes events and finished deliveries past the retention, keeping the rest', async () => {
    await t.db.rows(sql`UPDATE webhook_deliveries SET status = 'delivered'`);
    const old = draft('offline', { at: Date.now() - 10 * 86_400_000 });
    await events.record(old);
    await t.db.rows(sql`UPDATE webhook_deliveries SET created_at = now() - interval '10 days' WHERE event_id = ${old.id}`);
    await t.db.rows(sql`UPDATE webhook_deliveries SET status = 'delivered'`);
    const before = (await events.list(OWNER, { limit: 200 })).events.length;
    expect(await events.prune(Date.now() - 5 * 86_400_000)).toBe(1);
    expect((await events.list(OWNER, { limit: 200 })).events.length).toBe(before - 1);
    expect(await t.db.rows(sql`SELECT 1 FROM webhook_deliveries WHERE event_id = ${old.id}`)).toEqual([]);
    expect((await t.db.rows(sql`SELECT 1 FROM webhook_deliveries`)).length).toBeGreaterThan(0);
  });
});
