/** Reading actors for the API: lists (store rows, overlaid with fresher in-memory state), one actor, its history. */
import type { z } from 'zod';
import type { ActorListQuery } from '../../protocol/api.ts';
import { readHistory, type HistoryEntry } from '../../actors/host/store.ts';
import {
  ACTOR_PAGE_DEFAULT,
  ACTOR_PAGE_MAX,
  countActorsByType,
  cursorAfter,
  listActorRows,
  type ActorFilter,
  type RelatedTo,
} from '../../actors/host/actor-list.ts';
import { viewOfRow, type ActorHost, type ActorView } from '../../actors/host/host.ts';
import type { Db } from '../../db/client.ts';
import { DomainError } from '../errors.ts';
import { puActorId } from '../../actors/machines/ids.ts';

/** What reading actors uses: the store, and the host for what is newer in memory. */
export interface ActorReadDeps {
  db: Db;
  host: Pick<ActorHost, 'flush' | 'get' | 'peek' | 'registry'>;
}

/** A page of actors, and the cursor of the next page (null: this was the last). */
export interface ActorPage {
  actors: ActorView[];
  next: string | null;
}

/** The related actors of one type: how many, and the first page of them. */
export interface RelatedGroup extends ActorPage {
  type: string;
  count: number;
}

/** The wire form of a cursor (ActorCursorText reads it back). */
function cursorText(c: { updatedMs: number; id: string }): string {
  return `${c.updatedMs}:${c.id}`;
}

/** Read one page of rows, newest first, with the cursor after its last row when it is full. */
async function page(p: ActorReadDeps, f: ActorFilter, limit: number): Promise<ActorPage> {
  await p.host.flush(); // the list reads the store: let it see what is in memory
  const rows = await listActorRows(p.db, { ...f, limit });
  const last = rows.at(-1);
  return { actors: rows.map((r) => p.host.peek(r.id) ?? viewOfRow(r)), next: last && rows.length === limit ? cursorText(cursorAfter(last)) : null };
}

/** Who counts as related to an actor (its children; for a pu actor, its device's actors). */
async function relatedTo(p: ActorReadDeps, id: string): Promise<RelatedTo> {
  const v = await requireActor(p, id);
  return v.deviceId && v.id === puActorId(v.deviceId) ? { id, deviceId: v.deviceId } : { id };
}

/** List actors by type, state, device, parent, relation and update time, one page. */
export async function listActors(p: ActorReadDeps, q: z.infer<typeof ActorListQuery>): Promise<ActorPage> {
  const f: ActorFilter = {
    type: q.type,
    state: q.state,
    deviceId: q.device,
    parentId: q.parent,
    since: q.since,
    until: q.until,
    offset: q.offset,
    after: q.cursor,
    related: q.related === undefined ? undefined : await relatedTo(p, q.related),
  };
  return page(p, f, Math.min(q.limit ?? ACTOR_PAGE_DEFAULT, ACTOR_PAGE_MAX));
}

/** An actor's related actors by type: the count of each and its first `limit` (the rest through the list's `related=`). */
export async function relatedActors(p: ActorReadDeps, id: string, limit: number): Promise<{ groups: RelatedGroup[] }> {
  const related = await relatedTo(p, id);
  await p.host.flush();
  const counts = await countActorsByType(p.db, { related });
  const groups = await Promise.all(counts.map(async (c) => ({ type: c.type, count: c.count, ...(await page(p, { related, type: c.type }, limit)) })));
  return { groups };
}

/** One actor, or a not-found error. */
export async function requireActor(p: ActorReadDeps, id: string): Promise<ActorView> {
  const v = await p.host.get(id);
  if (!v) throw new DomainError('not-found', `no actor ${id}`);
  return v;
}

/** An actor's history page: events with seq > after, each with the state and context after it. */
export async function readActorHistory(p: ActorReadDeps, id: string, after: number, limit: number): Promise<HistoryEntry[]> {
  await requireActor(p, id);
  await p.host.flush();
  return readHistory(p.db, id, after, limit);
}
