/**
 * Device events (docs/webhooks.md, docs/console.md "Events"): recorded from the host's committed transitions
 * (classify.ts), each with its webhook deliveries in the same statement (the outbox services/webhooks/delivery.ts
 * sends), listed per user with filters and keyset paging, and pruned after EVENTS_RETENTION_DAYS.
 */
import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { deviceEvents } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import type { EventHistoryQuery } from '../../protocol/events-api.ts';
import type { Principal } from '../users/principal.ts';
import { classify, type EventDraft } from './classify.ts';
import { audienceOf, visibleDevices } from './visibility.ts';

/** Events waiting to be written at once, all devices together (platform's choice); past it new ones are dropped and logged. */
export const EVENTS_PENDING_MAX = 10_000;
/** Tries of an event's write before it is given up (and logged): a database away for a moment loses nothing. */
export const EVENTS_WRITE_ATTEMPTS = 4;
/** The wait before the first retry of an event's write (then twice as long each time). */
export const EVENTS_RETRY_MS = 500;
/** Rows one pruning statement deletes (bounded, so pruning never holds a long lock). */
export const EVENTS_PRUNE_BATCH = 5_000;

/** An event as the API lists it and webhooks send it. */
export interface DeviceEventInfo {
  id: string;
  kind: string;
  device_id: string;
  channel: number | null;
  /** ISO 8601. */
  at: string;
  data: Record<string, unknown>;
}

/** A page of events and the cursor of the next (older) one. */
export interface EventPage {
  events: DeviceEventInfo[];
  /** Pass as `before` for the next page; null on the last. */
  next: string | null;
}

/** Largest webhook body (platform's choice); an event whose data would pass it is sent with `data: {truncated: true}`. */
export const WEBHOOK_BODY_MAX_BYTES = 16 * 1024;

/** The body a webhook receives for an event. */
export function eventBody(d: EventDraft): string {
  const e: DeviceEventInfo = { id: d.id, kind: d.kind, device_id: d.deviceId, channel: d.channel, at: new Date(d.at).toISOString(), data: d.data };
  const body = JSON.stringify(e);
  return Buffer.byteLength(body) <= WEBHOOK_BODY_MAX_BYTES ? body : JSON.stringify({ ...e, data: { truncated: true } });
}

/** Events one statement writes at most (platform's choice: a fleet's login storm is a few statements, each bounded). */
export const EVENTS_BATCH_MAX = 500;

/**
 * Events (a repeat is a no-op) and, in the same statement, a pending delivery per webhook that hears each: $1 a JSON
 * array of `{id, device_id, kind, at, channel, data, body, unless_online}` (`body` the webhook body; `unless_online`:
 * an `online` is written only when the device's last connectivity event is not `online` already). One constant text,
 * prepared, one parameter on both drivers: a login storm or an alarm flood is a statement per batch, not per event.
 * A batch holds at most one event per device (the condition on a device's last event does not see a row inserted by
 * the same statement), so a device's events are written in the order of its transitions.
 */
const RECORD_SQL = `WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::text::jsonb)
      AS t(id text, device_id text, kind text, at timestamptz, channel int, data jsonb, body text, unless_online boolean)),
  ev AS (
    INSERT INTO device_events (id, device_id, kind, at, channel, data)
    SELECT i.id, i.device_id, i.kind, i.at, i.channel, i.data FROM input i
    WHERE NOT i.unless_online OR coalesce((SELECT e.kind FROM device_events e WHERE e.device_id = i.device_id
      AND e.kind IN ('online', 'offline') AND e.at <= i.at AND e.id <> i.id ORDER BY e.at DESC, e.id DESC LIMIT 1), '') <> 'online'
    ON CONFLICT (id) DO NOTHING
    RETURNING id, device_id, kind)
  INSERT INTO webhook_deliveries (id, webhook_id, user_id, event_id, body, status, attempts, next_attempt_at)
  SELECT gen_random_uuid()::text, w.id, w.user_id, ev.id, i.body, 'pending', 0, now()
  FROM ev JOIN input i ON i.id = ev.id JOIN webhooks w ON w.user_id = ${audienceOf('ev.device_id')}
  WHERE w.kinds IS NULL OR w.kinds @> jsonb_build_array(ev.kind)
  ON CONFLICT (webhook_id, event_id) DO NOTHING`;

/** An event as RECORD_SQL's input row. */
function inputRow(d: EventDraft) {
  return {
    id: d.id,
    device_id: d.deviceId,
    kind: d.kind,
    at: new Date(d.at).toISOString(),
    channel: d.channel,
    data: d.data,
    body: eventBody(d),
    unless_online: d.unlessAlreadyOnline === true,
  };
}

/** Records, lists and prunes device events. */
export class DeviceEvents {
  /** Per device, its events not written yet, oldest first: a device's events are written in the order of its transitions. */
  private queues = new Map<string, EventDraft[]>();
  private pending = 0;
  private dropped = 0;
  /** The batch being written (one at a time: what arrives meanwhile forms the next, as a group commit). */
  private writing: Promise<void> | null = null;
  private unsubscribe = () => {};

  constructor(private p: { db: Db; log: Logger }) {}

  /** Listen to the host's committed transitions. */
  start(host: Pick<ActorHost, 'subscribe'>): void {
    this.unsubscribe = host.subscribe(
      (t) => {
        const d = classify(t);
        if (d) this.enqueue(d);
      },
      { unlogged: false },
    );
  }

  /** Stop listening and wait for what was waiting to be written. */
  async stop(): Promise<void> {
    this.unsubscribe();
    while (this.writing) await this.writing;
  }

  /** Write an event after the device's earlier ones, batched with other devices' events; bounded (EVENTS_PENDING_MAX). */
  enqueue(d: EventDraft): void {
    if (this.pending >= EVENTS_PENDING_MAX) {
      if (this.dropped++ === 0) this.p.log.warn({ max: EVENTS_PENDING_MAX }, 'device events waiting at their bound: new ones dropped');
      return;
    }
    this.pending++;
    const queue = this.queues.get(d.deviceId);
    if (queue) queue.push(d);
    else this.queues.set(d.deviceId, [d]);
    this.writing ??= this.drain();
  }

  /** Write batches until nothing waits; each batch takes the oldest waiting event of up to EVENTS_BATCH_MAX devices. */
  private async drain(): Promise<void> {
    await Promise.resolve(); // what the same tick enqueues joins the first batch
    try {
      while (this.queues.size > 0) {
        const batch: EventDraft[] = [];
        const more: Array<[string, EventDraft[]]> = [];
        for (const [device, queue] of this.queues) {
          if (batch.length >= EVENTS_BATCH_MAX) break;
          batch.push(queue.shift() as EventDraft);
          this.queues.delete(device);
          if (queue.length > 0) more.push([device, queue]);
        }
        // to the back: devices with several events waiting take turns with the rest
        for (const [device, queue] of more) this.queues.set(device, queue);
        try {
          await this.recordWithRetries(batch);
        } catch (err) {
          this.p.log.warn({ events: batch.length, first: batch[0]?.kind, err: String(err) }, 'device events not recorded');
        }
        this.pending -= batch.length;
      }
    } finally {
      if (this.pending === 0) this.dropped = 0;
      this.writing = null;
    }
  }

  /** {@link record}, tried again after EVENTS_RETRY_MS, twice as long each time, EVENTS_WRITE_ATTEMPTS times in all. */
  private async recordWithRetries(batch: EventDraft[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.recordAll(batch);
      } catch (err) {
        if (attempt >= EVENTS_WRITE_ATTEMPTS) throw err;
        await Bun.sleep(EVENTS_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** Insert the event (a repeat is a no-op) and, in the same statement, a pending delivery per webhook that hears it. */
  record(d: EventDraft): Promise<void> {
    return this.recordAll([d]);
  }

  /** Insert events of distinct devices in one statement (RECORD_SQL). */
  private async recordAll(batch: EventDraft[]): Promise<void> {
    await this.p.db.prepared(RECORD_SQL, [JSON.stringify(batch.map(inputRow))]);
  }

  /** The events of the cameras `who` may see, newest first, filtered, one page. */
  async list(who: Principal, q: EventHistoryQuery): Promise<EventPage> {
    const conds: Array<SQL | undefined> = [visibleDevices(who) ?? undefined];
    if (q.device) conds.push(eq(deviceEvents.deviceId, q.device));
    if (q.kind) conds.push(inArray(deviceEvents.kind, q.kind));
    if (q.from !== undefined) conds.push(gte(deviceEvents.at, new Date(q.from)));
    if (q.to !== undefined) conds.push(lt(deviceEvents.at, new Date(q.to)));
    if (q.before) {
      const b = new Date(q.before.at);
      conds.push(or(lt(deviceEvents.at, b), and(eq(deviceEvents.at, b), lt(deviceEvents.id, q.before.id))));
    }
    const rows = await this.p.db.orm
      .select()
      .from(deviceEvents)
      .where(and(...conds))
      .orderBy(desc(deviceEvents.at), desc(deviceEvents.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      events: page.map((r) => ({
        id: r.id,
        kind: r.kind,
        device_id: r.deviceId,
        channel: r.channel,
        at: r.at.toISOString(),
        data: r.data as Record<string, unknown>,
      })),
      next: rows.length > q.limit && last ? `${last.at.getTime()}_${last.id}` : null,
    };
  }

  /** Delete events (and finished deliveries) older than `cutoffMs`, a batch at a time; returns the events deleted. */
  async prune(cutoffMs: number): Promise<number> {
    const cutoff = new Date(cutoffMs).toISOString();
    let total = 0;
    for (;;) {
      const gone = await this.p.db.rows<{ id: string }>(
        sql`DELETE FROM device_events WHERE id IN (SELECT id FROM device_events WHERE at < ${cutoff}::timestamptz LIMIT ${EVENTS_PRUNE_BATCH}) RETURNING id`,
      );
      total += gone.length;
      if (gone.length < EVENTS_PRUNE_BATCH) break;
    }
    for (;;) {
      const gone = await this.p.db.rows<{ id: string }>(
        sql`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE created_at < ${cutoff}::timestamptz AND status <> 'pending' LIMIT ${EVENTS_PRUNE_BATCH}) RETURNING id`,
      );
      if (gone.length < EVENTS_PRUNE_BATCH) break;
    }
    return total;
  }
}
