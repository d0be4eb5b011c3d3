/**
 * Events a process heard but did not write before it died (the listener runs after the commit, and the write after
 * it): at start, before the host resumes its actors, the last EVENTS_CATCHUP_WINDOW_MS of the pu and recording
 * actors' event log are read again and classified as the listener would have (classify.ts). What was written is a
 * no-op (the ids derive from the transitions); what was not is written now. The log rows carry the event, the state
 * after it and what it changed; what a row's diff does not carry (a reason that did not change, a session's channel)
 * comes from the actor's stored context.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { ContextChanges } from '../../actors/host/diff.ts';
import { stateKeyOf } from '../../actors/host/state-key.ts';
import type { Transition } from '../../actors/host/host.ts';
import { classify } from './classify.ts';
import type { DeviceEvents } from './events.ts';

/** How far back the log is read at start (platform's choice: a crash and a restart take well under this). */
export const EVENTS_CATCHUP_WINDOW_MS = 10 * 60_000;

interface LogRow {
  actor_id: string;
  seq: number | string;
  at: Date | string;
  type: string;
  /** The `json` columns, as text (the drivers differ in what they parse). */
  event: string;
  value: string;
  changes: string;
  context: string;
}

const parsed = <T>(v: string): T => JSON.parse(v) as T;

/** Classify the recent log again and write what is missing; returns the events written or confirmed. */
export async function catchUpEvents(db: Db, events: Pick<DeviceEvents, 'record'>, nowMs = Date.now()): Promise<number> {
  const cutoff = new Date(nowMs - EVENTS_CATCHUP_WINDOW_MS).toISOString();
  // Only rows that can be events: an alarm, a detection's result, a state entered (`since` set), an upgrade changed.
  const rows = await db.rows<LogRow>(sql`
    SELECT e.actor_id, e.seq, e.at, a.type, e.event::text AS event, e.value::text AS value, e.changes::text AS changes, a.context::text AS context
    FROM actor_events e JOIN actors a ON a.id = e.actor_id
    WHERE e.at > ${cutoff}::timestamptz AND a.type IN ('pu', 'recording', 'detector')
      AND ((e.event->>'type') IN ('vd.alarm', 'detect.result') OR (e.changes->'set'->'since') IS NOT NULL
        OR (e.changes->'set'->'upgrade') IS NOT NULL OR (e.changes->'patch'->'upgrade') IS NOT NULL)
    ORDER BY e.at, e.actor_id, e.seq`);
  let n = 0;
  for (const r of rows) {
    const changes = parsed<ContextChanges>(r.changes);
    const value = parsed<unknown>(r.value);
    const t: Transition = {
      actorId: r.actor_id,
      type: r.type,
      seq: Number(r.seq),
      logged: true,
      at: new Date(r.at).getTime(),
      event: parsed(r.event),
      value,
      stateKey: stateKeyOf(value),
      status: 'active',
      context: { ...parsed<Record<string, unknown>>(r.context), ...changes.set },
      changes,
    };
    const d = classify(t);
    if (!d) continue;
    await events.record(d);
    n++;
  }
  return n;
}
