/**
 * Drizzle schema of the events page and webhooks (docs/webhooks.md), part of db/schema.ts (which re-exports it).
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './schema.ts';

/**
 * The events page and webhooks (docs/webhooks.md): what happened to a camera that its user cares about (an alarm,
 * offline and back online, a recording failure, a firmware upgrade's end), recorded from the committed transitions of
 * the pu and recording actors (services/events/events.ts `DeviceEvents`). `id` derives from the transition, so a repeat is a no-op.
 */
export const deviceEvents = pgTable(
  'device_events',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id').notNull(),
    /** `alarm`, `offline`, `online`, `recording_failed`, `firmware_done`, `firmware_failed` (protocol/events-api.ts). */
    kind: text('kind').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    channel: integer('channel'),
    /** What the kind carries: a reason, an alarm's type and state, a session, a firmware model. */
    data: jsonb('data').notNull(),
  },
  (t) => [index('device_events_device_at_idx').on(t.deviceId, t.at, t.id), index('device_events_at_idx').on(t.at, t.id)],
);

/** A user's webhook: events of the cameras they own are POSTed to `url`, signed with the secret (sealed by the platform key). */
export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    secretEnc: text('secret_enc').notNull(),
    /** The kinds sent; null: all. */
    kinds: jsonb('kinds'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('webhooks_user_idx').on(t.userId)],
);

/**
 * The delivery outbox: one row per (webhook, event), written with the event; a node claims due rows with
 * `FOR UPDATE SKIP LOCKED` and a lease (`next_attempt_at` moved past the attempt), so one node sends each attempt.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    eventId: text('event_id').notNull(),
    /** The JSON body sent, fixed at enqueue so every attempt signs the same bytes. */
    body: text('body').notNull(),
    /** `pending`, `delivered` or `failed` (attempts exhausted). */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    lastStatus: integer('last_status'),
    /** Each attempt's outcome, oldest first: `[{at, status, error}]` (at most WEBHOOK_ATTEMPTS_MAX entries). */
    attemptLog: jsonb('attempt_log').notNull().default(sql`'[]'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.webhookId, t.eventId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
  ],
);
