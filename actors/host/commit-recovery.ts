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
