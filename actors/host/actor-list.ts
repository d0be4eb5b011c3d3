/**
 * Listing actor rows for the read API: filters, a time range, the actors related to one actor, and
 * keyset paging (newest update first, then id), so a page costs the same however deep it is.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { ACTOR_COLUMNS, foldContexts, type ActorRow } from './store.ts';

/** Where a page of the actor list resumes: the last row's update time (whole epoch ms) and id. */
export interface ActorCursor {
  updatedMs: number;
  id: string;
}

/** The actors related to one: its children, and for a device's root actor every actor of the device. */
export interface RelatedTo {
  id: string;
  /** Set when every actor of this device counts as related (the device's pu actor). */
  deviceId?: string;
}

/** Filters of {@link listActorRows}. */
export interface ActorFilter {
  type?: string;
  /** Exact state key, or a prefix of it (`online` matches `online.idle`). */
  state?: string;
  deviceId?: string;
  parentId?: string;
  /** Only actors updated at or after this epoch ms. */
  since?: number;
  /** Only actors updated at or before this epoch ms (the whole millisecond). */
  until?: number;
  related?: RelatedTo;
  limit?: number;
  /** Rows to skip (the older way to page; {@link ActorFilter.after} is the keyset way). */
  offset?: number;
  /** Only rows after this one in the list's order. */
  after?: ActorCursor;
}

/** Default and largest page of actor lists. */
export const ACTOR_PAGE_DEFAULT = 100;
export const ACTOR_PAGE_MAX = 1000;
/** One millisecond, for a range's inclusive upper end. */
const ONE_MS = 1;

/** The list's sort key: the update time in whole milliseconds (exact: extract() is numeric). */
const UPDATED_MS = sql`floor(extract(epoch from updated_at) * 1000)::bigint`;

/** The `related` condition: children of the actor, or the actors of its device; never itself. */
function relatedWhere(r: RelatedTo): SQL {
  const link = r.deviceId ? sql`(parent_id = ${r.id} OR device_id = ${r.deviceId})` : sql`parent_id = ${r.id}`;
  return sql`${link} AND id <> ${r.id}`;
}

function whereOf(f: ActorFilter): SQL {
  const where = [sql`true`];
  if (f.type) where.push(sql`type = ${f.type}`);
  if (f.state) where.push(sql`(state_key = ${f.state} OR state_key LIKE ${`${f.state}.%`})`);
  if (f.deviceId) where.push(sql`device_id = ${f.deviceId}`);
  if (f.parentId) where.push(sql`parent_id = ${f.parentId}`);
  if (f.since !== undefined) where.push(sql`updated_at >= to_timestamp(${f.since / 1000})`);
  if (f.until !== undefined) where.push(sql`updated_at < to_timestamp(${(f.until + ONE_MS) / 1000})`);
  if (f.related) where.push(relatedWhere(f.related));
  if (f.after) where.push(sql`(${UPDATED_MS} < ${f.after.updatedMs} OR (${UPDATED_MS} = ${f.after.updatedMs} AND id > ${f.after.id}))`);
  return sql.join(where, sql` AND `);
}

/** List actor rows by type, state, device, parent, relation and update time, newest first. */
export async function listActorRows(db: Db, f: ActorFilter): Promise<ActorRow[]> {
  const limit = Math.min(f.limit ?? ACTOR_PAGE_DEFAULT, ACTOR_PAGE_MAX);
  const rows = await db.rows<ActorRow>(sql`SELECT ${sql.raw(ACTOR_COLUMNS)} FROM actors WHERE ${whereOf(f)}
    ORDER BY ${UPDATED_MS} DESC, id LIMIT ${limit} OFFSET ${f.offset ?? 0}`);
  return foldContexts(db, rows);
}

/** How many actors each type has among those the filter keeps (types in name order). */
export async function countActorsByType(db: Db, f: ActorFilter): Promise<Array<{ type: string; count: number }>> {
  return db.rows(sql`SELECT type, count(*)::int AS count FROM actors WHERE ${whereOf(f)} GROUP BY type ORDER BY type`);
}

/** The cursor after a row. */
export function cursorAfter(row: Pick<ActorRow, 'id' | 'updated_at'>): ActorCursor {
  return { updatedMs: Math.floor(row.updated_at), id: row.id };
}
