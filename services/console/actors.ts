/** Reading actors for the API: lists (store rows, overlaid with fresher in-memory state), one actor, its history. */
import type { z } from 'zod';
import type { ActorListQuery } from '../../protocol/api.ts';
import { listActorRows, readHistory, type HistoryEntry } from '../../actors/host/store.ts';
import { viewOfRow, type ActorHost, type ActorView } from '../../actors/host/host.ts';
import type { Db } from '../../db/client.ts';
import { DomainError } from '../errors.ts';

/** What reading actors uses: the store, and the host for what is newer in memory. */
export interface ActorReadDeps {
  db: Db;
  host: Pick<ActorHost, 'flush' | 'get' | 'peek' | 'registry'>;
}

/** List actors by type, state, device, parent and update time. */
export async function listActors(p: ActorReadDeps, q: z.infer<typeof ActorListQuery>): Promise<ActorView[]> {
  await p.host.flush(); // the list reads the store: let it see what is in memory
  const rows = await listActorRows(p.db, {
    type: q.type,
    state: q.state,
    deviceId: q.device,
    parentId: q.parent,
    since: q.since,
    limit: q.limit,
    offset: q.offset,
  });
  return rows.map((r) => p.host.peek(r.id) ?? viewOfRow(r));
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
