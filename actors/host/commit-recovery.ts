/**
 * After a lost connection, was the write stored after all? A commit statement whose connection
 * dies after the server committed it but before its answer arrived looks failed; its retry is then
 * refused (the row's seq moved on, the event seq is taken), and without this check the committer
 * would take its own earlier write for another writer's and fence the actor.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { ActorRowWrite } from './store.ts';

/**
 * Whether the store already holds this write: its last event row (same seq, same time) when it has
 * events, else its actor row (same seq, same update time). Times are compared as the commit
 * statement stored them (`to_timestamp(ms / 1000)`), so equality is exact.
 */
export async function writtenBefore(db: Db, actorId: string, last: { seq: number; at: number } | undefined, row: ActorRowWrite | null): Promise<boolean> {
  if (last) {
    const found = await db.rows(sql`SELECT 1 FROM actor_events
      WHERE actor_id = ${actorId} AND seq = ${last.seq} AND at = to_timestamp(${last.at}::float8 / 1000)`);
    return found.length > 0;
  }
  if (!row) return false;
  const found = await db.rows(sql`SELECT 1 FROM actors
    WHERE id = ${actorId} AND seq = ${row.seq} AND updated_at = to_timestamp(${row.at}::float8 / 1000)`);
  return found.length > 0;
}

/** SQLSTATE of a unique violation: in the event log, a seq another writer took (or a message applied before). */
const UNIQUE_VIOLATION = '23505';
/** The unique index on the receivers' delivery keys (db/schema.ts). */
const DELIVERY_KEY_INDEX = 'actor_events_delivery_key_idx';

type DbError = { code?: string; constraint_name?: string; constraint?: string; cause?: DbError };

/** Whether a failed statement broke a unique constraint (on the error or, wrapped by Drizzle, its cause). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as DbError;
  return e.code === UNIQUE_VIOLATION || e.cause?.code === UNIQUE_VIOLATION;
}

/**
 * Whether it broke the delivery-key index: the receiver already logged this message (a redelivery),
 * so the write is a duplicate to drop, not another writer's. postgres.js names the constraint
 * `constraint_name`, PGlite `constraint`.
 */
export function isDeliveryKeyViolation(err: unknown): boolean {
  const e = err as DbError;
  return isUniqueViolation(err) && (e.constraint_name ?? e.constraint ?? e.cause?.constraint_name ?? e.cause?.constraint) === DELIVERY_KEY_INDEX;
}
