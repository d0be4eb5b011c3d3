/**
 * The events page and webhooks (docs/webhooks.md, docs/console.md): the query of `GET /api/events/history`, the body
 * of `POST /api/webhooks`, and the kinds of event. The single source of their types and of their part of
 * /api/openapi.json.
 * @module
 */
import { z } from 'zod';
import { EPOCH_MS_MAX } from './constants.ts';
import { DeviceId } from './paths.ts';
import { text } from './text.ts';

import { EVENT_KINDS, type EventKind } from './event-kinds.ts';

export { EVENT_KINDS, type EventKind } from './event-kinds.ts';

/** Largest page of events (platform's choice). */
export const EVENTS_PAGE_MAX = 200;
/** Page of events when `limit` is not given. */
export const EVENTS_PAGE_DEFAULT = 50;
/** Longest event id (`<actor id>:<seq>`; actor ids are at most 200 characters). */
export const EVENT_ID_MAX_CHARS = 240;
/** Longest paging cursor: `<epoch ms>_<event id>`. */
export const EVENT_CURSOR_MAX_CHARS = EVENT_ID_MAX_CHARS + 20;

/** A paging cursor as `next` gives it: the time (epoch ms) and id of the last event of the page. */
export const EventCursor = text(EVENT_CURSOR_MAX_CHARS, 1)
  .regex(/^\d{1,16}_.+$/, 'expected the cursor a page gave as next')
  .transform((v) => {
    const cut = v.indexOf('_');
    return { at: Number(v.slice(0, cut)), id: v.slice(cut + 1) };
  });

/** A time as epoch milliseconds or ISO 8601 (`2026-12-06T08:00:00Z`). */
const Instant = (name: string) =>
  text(40, 1).transform((v, ctx) => {
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms) || ms < 0 || ms > EPOCH_MS_MAX) {
      ctx.addIssue({ code: 'custom', message: `${name} must be epoch milliseconds or an ISO 8601 time` });
      return z.NEVER;
    }
    return ms;
  });

/** `kind=alarm,offline`: one or more kinds, comma-separated. */
const Kinds = text(200, 1).transform((v, ctx) => {
  const kinds = [...new Set(v.split(','))];
  const bad = kinds.find((k) => !(EVENT_KINDS as readonly string[]).includes(k));
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown kind "${bad}": expected ${EVENT_KINDS.join(', ')}` });
    return z.NEVER;
  }
  return kinds as EventKind[];
});

/** `GET /api/events/history`: the caller's cameras' events, newest first, filtered, a page at a time (keyset). */
export const EventHistoryQuery = z.object({
  device: DeviceId.optional(),
  kind: Kinds.optional(),
  /** Events at or after this time. */
  from: Instant('from').optional(),
  /** Events before this time. */
  to: Instant('to').optional(),
  /** The `next` of the previous page. */
  before: EventCursor.optional(),
  limit: z.coerce.number().int().min(1).max(EVENTS_PAGE_MAX).default(EVENTS_PAGE_DEFAULT),
});
/** A parsed events query. */
export type EventHistoryQuery = z.output<typeof EventHistoryQuery>;

/** Longest webhook URL (platform's choice). */
export const WEBHOOK_URL_MAX_CHARS = 2048;

/** `POST /api/webhooks`: an https URL, and optionally the kinds to send (all when absent). */
export const WebhookCreate = z.strictObject({
  url: text(WEBHOOK_URL_MAX_CHARS, 1).refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'url must be an https:// URL without user name or password'),
  kinds: z.array(z.enum(EVENT_KINDS)).min(1).max(EVENT_KINDS.length).optional(),
});
/** A webhook to create. */
export type WebhookCreate = z.infer<typeof WebhookCreate>;

/** Longest webhook id. */
export const WEBHOOK_ID_MAX_CHARS = 40;
/** `/api/webhooks/:id`. */
export const WebhookPath = z.object({ id: text(WEBHOOK_ID_MAX_CHARS, 1).regex(/^[A-Za-z0-9_-]+$/, 'expected a webhook id') });

/** Largest page of a webhook's deliveries. */
export const DELIVERIES_PAGE_MAX = 200;
/** `GET /api/webhooks/:id/deliveries`: newest first. */
export const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(DELIVERIES_PAGE_MAX).default(EVENTS_PAGE_DEFAULT),
});
