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
import { catchUpEvents } from '../../../services/events/catch-up.ts';
import { freshDb, type TestDb } from '../../helpers/db.ts';

const log = rootLog.child({ test: 'device-events' });
const OWNER = { kind: 'user', role: 'user', userId: 'u-owner', username: 'owner' } as const;
const BATCH = { kind: 'user', role: 'user', userId: 'u-batch', username: 'batch' } as const;
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
  const i2 = (d: string) => Number(d.slice('CAM-B'.length));
  const kinds = async () => (await events.list(OWNER, { limit: 200 })).events.map((e) => e.kind).reverse();

  beforeAll(async () => {
    t = await freshDb();
    events = new DeviceEvents({ db: t.db, log });
    for (const u of [OWNER, OTHER, BATCH]) await t.db.rows(sql`INSERT INTO users (id, username, password_hash) VALUES (${u.userId}, ${u.username}, 'x')`);
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

  it("writes at start what the log says and the listener did not write, once, and only the window's", async () => {
    const now = Date.now();
    const ctx = { deviceId: 'CAM-E', reason: 'logged in', since: now - 5000, activeAlarms: [] };
    await t.db.rows(sql`INSERT INTO actors (id, type, machine_id, machine_version, seq, status, state_key, value, context, device_id)
      VALUES ('pu:CAM-E', 'pu', 'pu', 1, 12, 'active', 'offline', '"offline"', ${JSON.stringify(ctx)}::json, 'CAM-E')`);
    const row = (seq: number, atMs: number, event: unknown, value: unknown, set: Record<string, unknown>) =>
      t.db.rows(sql`INSERT INTO actor_events (actor_id, seq, at, machine_version, event, value, changes)
        VALUES ('pu:CAM-E', ${seq}, ${new Date(atMs).toISOString()}::timestamptz, 1, ${JSON.stringify(event)}::json, ${JSON.stringify(value)}::json,
          ${JSON.stringify({ set, unset: [] })}::json)`);
    // An alarm and a drop the listener never wrote (the process died), a keepalive that is no event, and an alarm
    // older than the window.
    await row(10, now - 3000, { type: 'vd.alarm', alarmType: 12, state: 'start', channel: 0, alarmId: 'al-1', timestamp: 1 }, { online: 'ready' }, {});
    await row(11, now - 2000, { type: 'vd.keepalive' }, { online: 'ready' }, { lastSeenAt: now });
    await row(12, now - 1000, { type: 'heartbeat.expired' }, 'offline', { since: now - 1000, reason: 'no message for 3 heartbeat intervals' });
    await row(9, now - 3600_000, { type: 'vd.alarm', alarmType: 3, state: 'start', channel: 0, alarmId: 'al-0', timestamp: 1 }, { online: 'ready' }, {});
    expect(await catchUpEvents(t.db, events, now)).toBe(2);
    const caught = ['pu:CAM-E:12', 'pu:CAM-E:10'];
    const recent = (await events.list(OWNER, { limit: 200 })).events.filter((e) => caught.includes(e.id));
    expect(recent.map((e) => [e.id, e.kind])).toEqual([
      ['pu:CAM-E:12', 'offline'],
      ['pu:CAM-E:10', 'alarm'],
    ]);
    expect(recent[0]!.data).toEqual({ reason: 'no message for 3 heartbeat intervals' });
    expect(recent[1]!.data).toMatchObject({ type: 12, name: 'pir_motion', state: 'start', alarm_id: 'al-1' });
    // Again: nothing new.
    const count = (await events.list(OWNER, { limit: 200 })).events.length;
    await catchUpEvents(t.db, events, now);
    expect((await events.list(OWNER, { limit: 200 })).events.length).toBe(count);
    expect((await events.list(OWNER, { limit: 200 })).events.some((e) => e.id === 'pu:CAM-E:9')).toBe(false);
  });

  it("writes what arrives at once in batches of one event per device, each device's in order, webhooks fanned out", async () => {
    const devices = Array.from({ length: 40 }, (_, i) => `CAM-B${i}`);
    for (const d of devices)
      await t.db.rows(
        sql`INSERT INTO devices (id, mac_id, password_hash, owner_id) VALUES (${d}, ${`b0${String(i2(d)).padStart(10, '0')}`}, 'x', ${BATCH.userId})`,
      );
    await t.db.rows(sql`INSERT INTO webhooks (id, user_id, url, secret_enc) VALUES ('wh-batch-all', ${BATCH.userId}, 'https://d.example/h', 's')`);
    await t.db.rows(
      sql`INSERT INTO webhooks (id, user_id, url, secret_enc, kinds) VALUES ('wh-batch-alarms', ${BATCH.userId}, 'https://e.example/h', 's', '["alarm"]'::jsonb)`,
    );
    let statements = 0;
    const counted = new DeviceEvents({ db: { ...t.db, prepared: (text, params) => (statements++, t.db.prepared(text, params)) }, log });
    const flow = ['online', 'offline', 'online', 'alarm'] as const;
    for (const kind of flow)
      for (const deviceId of devices)
        counted.enqueue(draft(kind, { deviceId, id: `pu:${deviceId}:${kind}:${seq}`, ...(kind === 'alarm' ? { channel: 0 } : {}) }));
    await counted.stop();
    // four events per device: four batches of one each, not 160 statements
    expect(statements).toBe(flow.length);
    for (const d of devices) {
      const listed = (await counted.list(BATCH, { device: d, limit: 10 })).events.map((e) => e.kind).reverse();
      expect(listed).toEqual([...flow]);
    }
    const fanned = await t.db.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM webhook_deliveries w JOIN device_events e ON e.id = w.event_id WHERE e.device_id LIKE 'CAM-B%'`,
    );
    // wh-batch-all hears all four kinds, wh-batch-alarms the alarm only
    expect(fanned[0]?.n).toBe(devices.length * (flow.length + 1));
  });
});
