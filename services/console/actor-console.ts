/** Actors as the API and the console read them: lists, one actor, its history, its export and its replay check. */
import type { z } from 'zod';
import type { ActorListQuery } from '../../protocol/api.ts';
import type { ActorView } from '../../actors/host/host.ts';
import type { HistoryEntry } from '../../actors/host/store.ts';
import type { ReplayVerdict } from '../../actors/host/replay.ts';
import { type ActorPage, type ActorReadDeps, listActors, readActorHistory, relatedActors, type RelatedGroup, requireActor } from './actors.ts';
import { exportActorHistory, type HistoryExport, replayOneActor } from './actor-tools.ts';

/** Reads actors for the routes (which run no queries themselves). */
export class ActorConsole {
  constructor(private p: ActorReadDeps) {}

  /** A page of actors by type, state, device, parent, relation and update time. */
  list(q: z.infer<typeof ActorListQuery>): Promise<ActorPage> {
    return listActors(this.p, q);
  }

  /** An actor's related actors: per type, the count and the first page. */
  related(id: string, limit: number): Promise<{ groups: RelatedGroup[] }> {
    return relatedActors(this.p, id, limit);
  }

  /** One actor, or a not-found error. */
  get(id: string): Promise<ActorView> {
    return requireActor(this.p, id);
  }

  /** A page of an actor's history. */
  history(id: string, after: number, limit: number): Promise<HistoryEntry[]> {
    return readActorHistory(this.p, id, after, limit);
  }

  /** An actor's whole kept history, as one document. */
  export(id: string): Promise<HistoryExport> {
    return exportActorHistory(this.p, id);
  }

  /** The replay check of one actor. */
  replay(id: string): Promise<ReplayVerdict & { checkedAt: string }> {
    return replayOneActor(this.p, id);
  }
}
