/**
 * The actor store's SQL: one statement per group-commit batch, and the reads that rehydrate
 * actors, arm timers at start and page through history. Runs unchanged on PostgreSQL and PGlite.
 */
import type { ActorSpawn } from './tell.ts';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { ContextChanges } from './diff.ts';
import { applyChanges } from './diff.ts';
import { ownedOrClaimable, type WriterIdentity } from './ownership.ts';

/** A pending delayed event as persisted in `actors.timers`. */
export interface PersistedTimer {
  id: string;
  /** Epoch ms at which it fires. */
  due: number;
  gen: number;
  event: { type: string } & Record<string, unknown>;
}

/** The actor row as the committer writes it. */
export interface ActorRowWrite {
  id: string;
  type: string;
  machine_id: string;
  machine_version: number;
  /** null: insert a new actor; else the seq the row must still have (fencing). */
  base_seq: number | null;
  seq: number;
  status: string;
  state_key: string;
  value: unknown;
  /** The full context, or null to keep the stored one (the event diffs carry the change). */
  context: unknown | null;
  history_value: unknown;
  timers: PersistedTimer[];
  next_timer_at: number | null;
  device_id: string | null;
  parent_id: string | null;
  /** Epoch ms of the write. */
  at: number;
}

/** One event-log row as the committer writes it. */
export interface EventRowWrite {
  actor_id: string;
  seq: number;
  at: number;
  machine_version: number;
  event: unknown;
  value: unknown;
  changes: ContextChanges;
  context: unknown | null;
  /** For a message from another actor: its outbox key (the commit deletes that outbox row). */
  delivery_key?: string;
}

/** A message to another actor as the sender's commit writes it to the outbox. */
export interface OutboxRowWrite {
  key: string;
  sender_id: string;
  sender_seq: number;
  position: number;
  receiver_id: string;
  event: unknown;
  /** How to make the receiver if it does not exist (tell.ts `create`), or null. */
  spawn: unknown;
  /** Epoch ms of the sender's event. */
  at: number;
}

/**
 * The group-commit statement ($1 actor rows, $2 event rows, $3 ids appending events only, $4
 * outbox rows; in a cluster $5 this node and $6 its epoch, else null), prepared once per
 * connection. Its parts are one statement, so one transaction: a sender's messages are stored
 * with its event, and a receiver's event deletes the message it applies. In a cluster the write
 * itself is fenced (docs/cluster.md): rows are written only where they still name this node and
 * epoch, and only while this node's lease holds by the database's clock; a row that appends
 * events only is locked `FOR SHARE`, so an adoption (an UPDATE of its owner) waits for it or
 * excludes it. The rows appending events only are looked up by id from h627_ids (one row assumed, as h627_actor_rows),
 * and their owner test cannot be an index condition (IS NOT DISTINCT FROM): a generic plan made while the table was
 * small otherwise scanned every actor this node owns (owner index) or the whole table at each commit (7–12 ms a commit
 * at 7,500 actors, found with auto_explain: most of PostgreSQL's CPU in the Vr bench and in a failover).
 */
const COMMIT_SQL = `
  WITH a AS MATERIALIZED (SELECT * FROM h627_actor_rows($1::text::json)),
  lease AS MATERIALIZED (SELECT $5::text IS NULL OR EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.id = $5::text
    AND n.epoch = $6::bigint AND n.state IN ('joining', 'active', 'draining') AND n.lease_until > now()) AS ok),
  ins AS (
    INSERT INTO actors (id, type, machine_id, machine_version, seq, status, state_key, value, context, context_seq,
      history_value, timers, next_timer_at, device_id, parent_id, owner_node, owner_epoch, created_at, updated_at)
    SELECT id, type, machine_id, machine_version, seq, status, state_key, value, context, seq, history_value,
      timers, to_timestamp(next_timer_at::float8 / 1000), device_id, parent_id, $5::text, $6::bigint,
      to_timestamp(at::float8 / 1000), to_timestamp(at::float8 / 1000)
    FROM a WHERE base_seq IS NULL AND (SELECT ok FROM lease)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ),
  upd AS (
    UPDATE actors t SET seq = a.seq, status = a.status, state_key = a.state_key, value = a.value,
      context = coalesce(a.context, t.context),
      context_seq = CASE WHEN a.context IS NULL THEN t.context_seq ELSE a.seq END,
      history_value = a.history_value, timers = a.timers,
      next_timer_at = to_timestamp(a.next_timer_at::float8 / 1000), updated_at = to_timestamp(a.at::float8 / 1000)
    FROM a WHERE a.base_seq IS NOT NULL AND t.id = a.id AND t.seq = a.base_seq
      AND ($5::text IS NULL OR (t.owner_node = $5::text AND t.owner_epoch = $6::bigint AND (SELECT ok FROM lease)))
    RETURNING t.id
  ),
  owned AS (
    SELECT t.id FROM h627_ids($3::text::json) AS j(id) JOIN actors t ON t.id = j.id WHERE $5::text IS NOT NULL
      AND (t.owner_node, t.owner_epoch) IS NOT DISTINCT FROM ($5::text, $6::bigint) AND (SELECT ok FROM lease)
    FOR SHARE OF t
  ),
  eo AS (SELECT value AS id FROM json_array_elements_text($3::text::json) WHERE $5::text IS NULL
    UNION ALL SELECT id FROM owned),
  ok AS (SELECT id FROM ins UNION ALL SELECT id FROM upd UNION ALL SELECT id FROM eo),
  ev AS (
    INSERT INTO actor_events (actor_id, seq, at, machine_version, event, value, changes, context, delivery_key, writer)
    SELECT e.actor_id, e.seq, to_timestamp(e.at::float8 / 1000), e.machine_version, e.event, e.value, e.changes, e.context,
      e.delivery_key, CASE WHEN $5::text IS NULL THEN NULL ELSE $5::text || '#' || $6::bigint END
    FROM json_to_recordset($2::text::json) AS e(actor_id text, seq bigint, at bigint, machine_version int,
      event json, value json, changes json, context json, delivery_key text)
    WHERE e.actor_id IN (SELECT id FROM ok)
    RETURNING delivery_key
  ),
  delivered AS (
    DELETE FROM actor_outbox o USING ev WHERE ev.delivery_key IS NOT NULL AND o.key = ev.delivery_key
    RETURNING 1
  ),
  sent AS (
    INSERT INTO actor_outbox (key, sender_id, sender_seq, position, receiver_id, event, spawn, created_at)
    SELECT m.key, m.sender_id, m.sender_seq, m.position, m.receiver_id, m.event, m.spawn, to_timestamp(m.at::float8 / 1000)
    FROM json_to_recordset($4::text::json) AS m(key text, sender_id text, sender_seq bigint, position int,
      receiver_id text, event json, spawn json, at bigint)
    WHERE m.sender_id IN (SELECT id FROM ok)
    RETURNING 1
  )
  SELECT a.id FROM a WHERE a.id NOT IN (SELECT id FROM ins UNION ALL SELECT id FROM upd)
  UNION ALL SELECT value FROM json_array_elements_text($3::text::json) WHERE value NOT IN (SELECT id FROM eo)`;

/**
 * Write one batch in one statement: insert new actor rows, update existing rows whose seq still
 * matches, and append the events of exactly those actors plus of `eventOnly` actors (whose row
 * needs no update this time). Returns the ids whose row was not written: each lost a race (another
 * writer, or it already existed), or, in a cluster, is no longer this writer's (another node owns
 * it, or this node's lease ended). Only refusals come back, so a batch of thousands of actors
 * returns no rows in the usual case. The log itself fences writers: `(actor_id, seq)`
 * is the primary key, so a stale writer's event fails the statement (SQLSTATE 23505), never
 * interleaves; the caller then isolates that actor and keeps the rest of the batch. `events` are
 * the event rows already serialised ({@link EventRowWrite} as JSON, one string each).
 */
export async function commitBatch(
  db: Db,
  actors: ActorRowWrite[],
  events: string[],
  eventOnly: string[],
  outbox: string[] = [],
  writer?: WriterIdentity,
): Promise<Set<string>> {
  // Separate parameters, each parsed once: a json value is re-parsed by every operator applied to it.
  const rows = await db.prepared<{ id: string }>(COMMIT_SQL, [
    JSON.stringify(actors),
    `[${events.join(',')}]`,
    JSON.stringify(eventOnly),
    `[${outbox.join(',')}]`,
    writer?.node ?? null,
    writer?.epoch ?? null,
  ]);
  return new Set(rows.map((r) => r.id));
}

/** A stored message not yet applied by its receiver. */
export interface OutboxRow {
  key: string;
  sender_id: string;
  receiver_id: string;
  event: { type: string } & Record<string, unknown>;
  spawn: ActorSpawn | null;
}

/** Most outbox keys one delete names (a statement's parameters are bounded: 65,535 in PostgreSQL's protocol). */
const OUTBOX_DELETE_BATCH_MAX = 1000;

/**
 * The messages still to deliver, in the order they were sent. A message its receiver already logged
 * (the receiver's commit deletes it, so only a write outside the host leaves one) is deleted instead
 * of returned. One statement when there is nothing to deliver, which is every cluster watch round
 * (services/cluster/membership.ts): the second, deleting, runs only when there is something to delete.
 */
export async function loadOutbox(db: Db, w?: WriterIdentity, olderThanMs = 0): Promise<OutboxRow[]> {
  // In a cluster: the messages to actors this node owns or may claim (one to an actor not made yet, to whoever looks).
  const rows = await db.rows<OutboxRow & { delivered: boolean }>(sql`SELECT o.key, o.sender_id, o.receiver_id, o.event, o.spawn,
      EXISTS (SELECT 1 FROM actor_events e WHERE e.actor_id = o.receiver_id AND e.delivery_key = o.key) AS delivered
    FROM actor_outbox o LEFT JOIN actors a ON a.id = o.receiver_id
    WHERE (a.id IS NULL OR ${ownedOrClaimable(w)}) AND o.created_at < now() - make_interval(secs => ${olderThanMs / 1000})
    ORDER BY o.created_at, o.sender_id, o.sender_seq, o.position`);
  const delivered = rows.filter((r) => r.delivered).map((r) => r.key);
  for (let i = 0; i < delivered.length; i += OUTBOX_DELETE_BATCH_MAX) {
    const keys = delivered.slice(i, i + OUTBOX_DELETE_BATCH_MAX).map((k) => sql`${k}`);
    await db.rows(sql`DELETE FROM actor_outbox WHERE key IN (${sql.join(keys, sql`, `)})`);
  }
  return rows.filter((r) => !r.delivered).map(({ delivered: _, ...r }) => r);
}

/** Delete a message that will never be applied (its receiver ignored it, or does not exist). */
export async function deleteOutboxRow(db: Db, key: string): Promise<void> {
  await db.rows(sql`DELETE FROM actor_outbox WHERE key = ${key}`);
}

/** An actor row as read back (its context and seq brought up to the head of its log). */
export interface ActorRow {
  id: string;
  /** The seq the stored row was written at (the fencing base of its next row update). */
  row_seq: number;
  type: string;
  machine_id: string;
  machine_version: number;
  seq: number;
  status: string;
  state_key: string;
  value: unknown;
  context: Record<string, unknown>;
  context_seq: number;
  history_value: unknown;
  timers: PersistedTimer[];
  device_id: string | null;
  parent_id: string | null;
  /** The node and epoch that own it (docs/cluster.md), null when nobody has yet. */
  owner_node: string | null;
  owner_epoch: number | null;
  created_at: number;
  updated_at: number;
}

/** The columns of an {@link ActorRow}, as SQL text. */
export const ACTOR_COLUMNS = `id, seq AS row_seq, type, machine_id, machine_version, seq, status, state_key, value, context, context_seq,
  history_value, timers, device_id, parent_id, owner_node, owner_epoch::float8 AS owner_epoch,
  (extract(epoch from created_at) * 1000)::float8 AS created_at,
  (extract(epoch from updated_at) * 1000)::float8 AS updated_at`;

// Constant texts with the ids as one JSON array parameter: prepared once per connection, no statement to build per
// read (every login and Vs request reads its pu: building each with drizzle's sql cost more CPU than the read).
const ACTOR_ROWS_SQL = `SELECT ${ACTOR_COLUMNS} FROM actors WHERE id = ANY(ARRAY(SELECT json_array_elements_text($1::text::json)))`;
// The diffs' ids come from h627_ids (one row assumed): from an array (10 assumed) the planner hash-joined a sequential
// scan of the whole event log (24 ms a load at 12,000 actors in a failover, auto_explain) instead of probing its key.
const ACTOR_DIFFS_SQL = `SELECT e.actor_id, e.seq, e.changes
  FROM h627_ids($1::text::json) AS i(id) JOIN actors a ON a.id = i.id
  JOIN actor_events e ON e.actor_id = a.id AND e.seq > a.context_seq
  ORDER BY e.actor_id, e.seq`;
const ACTOR_EXISTS_SQL = 'SELECT 1 FROM actors WHERE id = $1';

/** Read one actor row, or undefined, with its context brought up to its seq. */
export async function loadActorRow(db: Db, id: string): Promise<ActorRow | undefined> {
  return (await loadActorRows(db, [id]))[0];
}

/** Read several actor rows (those that exist), each brought up to the head of its log. */
export async function loadActorRows(db: Db, ids: string[]): Promise<ActorRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.prepared<ActorRow>(ACTOR_ROWS_SQL, [JSON.stringify(ids)]);
  return foldContexts(db, rows);
}

/** Whether an actor row exists. */
export async function actorExists(db: Db, id: string): Promise<boolean> {
  return (await db.prepared(ACTOR_EXISTS_SQL, [id])).length > 0;
}

/**
 * Bring each row to the head of its log: the row's state, timers and status are always current
 * (the committer writes the row whenever they change), but its context is as of `context_seq`
 * and its seq may lag; the logged diffs after `context_seq` complete them.
 */
export async function foldContexts(db: Db, rows: ActorRow[]): Promise<ActorRow[]> {
  if (rows.length === 0) return rows;
  const diffs = await db.prepared<{ actor_id: string; seq: number; changes: ContextChanges }>(ACTOR_DIFFS_SQL, [JSON.stringify(rows.map((r) => r.id))]);
  const byId = new Map(rows.map((r) => [r.id, r] as const));
  for (const d of diffs) {
    const r = byId.get(d.actor_id);
    if (!r) continue;
    r.context = applyChanges(r.context, d.changes);
    r.seq = Math.max(r.seq, d.seq);
    r.context_seq = r.seq;
  }
  return rows;
}

/** Actors with pending timers and their earliest due time (epoch ms): armed at start. */
export async function loadTimerIndex(db: Db, w?: WriterIdentity): Promise<Array<{ id: string; due: number }>> {
  return db.rows(sql`SELECT a.id, (extract(epoch from a.next_timer_at) * 1000)::float8 AS due
    FROM actors a WHERE a.next_timer_at IS NOT NULL AND ${ownedOrClaimable(w)}`);
}

/** Count actors by type and state key (for /metrics). */
export async function countActorsByState(db: Db): Promise<Array<{ type: string; state_key: string; n: number }>> {
  return db.rows(sql`SELECT type, state_key, count(*)::int AS n FROM actors GROUP BY type, state_key`);
}

/** One history entry: the event and the state and full context after it. */
export interface HistoryEntry {
  seq: number;
  at: number;
  machineVersion: number;
  event: { type: string } & Record<string, unknown>;
  value: unknown;
  changes: ContextChanges;
  context: Record<string, unknown>;
  /** Whether the row stores its full context (a checkpoint), rather than only the diff. */
  checkpoint: boolean;
}

interface EventRow {
  seq: number;
  at: number;
  machine_version: number;
  event: HistoryEntry['event'];
  value: unknown;
  changes: ContextChanges;
  context: Record<string, unknown> | null;
}

/** Read history rows with seq > after (at most limit), each with its full context rebuilt. */
export async function readHistory(db: Db, actorId: string, after: number, limit: number): Promise<HistoryEntry[]> {
  // Start from the last checkpoint at or before the first wanted row, then fold diffs forward.
  const cp = await db.rows<{ seq: number }>(sql`SELECT coalesce(max(seq), 0)::bigint AS seq FROM actor_events
    WHERE actor_id = ${actorId} AND seq <= ${after + 1} AND context IS NOT NULL`);
  const from = cp[0]?.seq ?? 0;
  const rows = await db.rows<EventRow>(sql`SELECT seq, (extract(epoch from at) * 1000)::float8 AS at, machine_version,
      event, value, changes, context
    FROM actor_events WHERE actor_id = ${actorId} AND seq >= ${from} AND seq <= ${after + limit}
    ORDER BY seq`);
  const out: HistoryEntry[] = [];
  let ctx: Record<string, unknown> = {};
  for (const r of rows) {
    ctx = r.context ?? applyChanges(ctx, r.changes);
    if (r.seq > after) {
      out.push({
        seq: r.seq,
        at: r.at,
        machineVersion: r.machine_version,
        event: r.event,
        value: r.value,
        changes: r.changes,
        context: ctx,
        checkpoint: r.context !== null,
      });
    }
  }
  return out;
}

/** Ids of every actor (for the replay check), in id order. */
export async function allActorIds(db: Db): Promise<string[]> {
  return (await db.rows<{ id: string }>(sql`SELECT id FROM actors ORDER BY id`)).map((r) => r.id);
}

/**
 * Forget history older than `cutoffMs`, keeping for each actor the last checkpoint row (full
 * context) before the cutoff and everything after it, and never a row the actor's own stored
 * context still needs to be folded from. Returns the rows deleted.
 */
export async function pruneHistory(db: Db, cutoffMs: number): Promise<number> {
  const rows = await db.rows<{ n: number }>(sql`WITH k AS (
      SELECT actor_id, max(seq) AS keep_from FROM actor_events
      WHERE at < to_timestamp(${cutoffMs}::float8 / 1000) AND context IS NOT NULL GROUP BY actor_id
    ), d AS (
      DELETE FROM actor_events e USING k, actors a
      WHERE e.actor_id = k.actor_id AND a.id = k.actor_id AND e.seq < k.keep_from AND e.seq <= a.context_seq
      RETURNING 1
    ) SELECT count(*)::int AS n FROM d`);
  return rows[0]?.n ?? 0;
}
