/**
 * Where an actor lives (docs/cluster.md): the owner the `actors` row names and whether that
 * incarnation is live, judged by the database (`now()`, never a node's clock). Read for every request
 * that addresses a device, so answers are kept a moment and lookups of one turn share one query.
 */
import DataLoader from 'dataloader';
import { inArray, sql } from 'drizzle-orm';
import { actors } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';

/**
 * How long an owner lookup is reused, ms (platform's choice): a burst of requests for one device costs one query,
 * and a moved actor is found within a second (a forward to a node that lost it is refused there and looked up again).
 */
export const DIRECTORY_CACHE_MS = 1_000;
/** Membership states of a node that serves (docs/cluster.md: joining → active → draining → gone, or dead). */
export const SERVING_STATES = ['joining', 'active', 'draining'] as const;

/** The owner of an actor: its node, where that node is reached, and whether its lease holds. */
export interface ActorOwner {
  node: string;
  baseUrl: string;
  /** The row's epoch is the node's current one, the node serves, and its lease has not ended. */
  live: boolean;
}

/** A cluster node as other nodes see it. */
export interface ClusterNode {
  id: string;
  epoch: number;
  state: string;
  baseUrl: string;
  live: boolean;
}

/** What the directory reads. */
export interface DirectoryDeps {
  db: Pick<Db, 'rows'>;
}

const liveSql = sql`(n.state IN ('joining', 'active', 'draining') AND n.lease_until > now())`;

/** Owners of actors and the nodes of the cluster, from the database. */
export class ClusterDirectory {
  private owners = new Map<string, { at: number; owner: Promise<ActorOwner | null> }>();
  /** Owner lookups not cached are read together: every request of one turn shares one query. */
  private loader = new DataLoader<string, ActorOwner | null>((ids) => this.read([...ids]), { cache: false, batchScheduleFn: (run) => setImmediate(run) });

  constructor(
    private p: DirectoryDeps,
    private cacheMs = DIRECTORY_CACHE_MS,
  ) {}

  /**
   * The owner of `actorId`, or null when the actor does not exist or nobody owns it.
   * @example const o = await dir.ownerOfActor(puActorId('cam-1')); if (o?.live && o.node !== self) forward(o.baseUrl)
   */
  ownerOfActor(actorId: string): Promise<ActorOwner | null> {
    const now = performance.now();
    const hit = this.owners.get(actorId);
    if (hit && now - hit.at < this.cacheMs) return hit.owner;
    const owner = this.loader.load(actorId);
    this.owners.set(actorId, { at: now, owner });
    owner.catch(() => this.owners.delete(actorId));
    return owner;
  }

  /** Forget what is known of `actorId`'s owner (a forward failed, the actor moved): the next lookup reads the database. */
  invalidate(actorId: string): void {
    this.owners.delete(actorId);
  }

  /** One node, or null if no row names it. */
  async node(id: string): Promise<ClusterNode | null> {
    const rows = await this.p.db.rows<NodeRow>(sql`SELECT n.id, n.epoch, n.state, n.base_url, ${liveSql} AS live FROM cluster_nodes n WHERE n.id = ${id}`);
    return rows[0] ? nodeOf(rows[0]) : null;
  }

  /** The live nodes (serving states, lease not ended), `except` one (this node). */
  async liveNodes(except?: string): Promise<ClusterNode[]> {
    const rows = await this.p.db.rows<NodeRow>(
      sql`SELECT n.id, n.epoch, n.state, n.base_url, true AS live FROM cluster_nodes n WHERE ${liveSql} ORDER BY n.id`,
    );
    return rows.map(nodeOf).filter((n) => n.id !== except);
  }

  private async read(ids: string[]): Promise<(ActorOwner | null)[]> {
    const rows = await this.p.db.rows<{ id: string; owner_node: string | null; base_url: string | null; live: boolean | null }>(sql`
      SELECT a.id, a.owner_node, n.base_url, (n.epoch = a.owner_epoch AND ${liveSql}) AS live
      FROM ${actors} a LEFT JOIN cluster_nodes n ON n.id = a.owner_node
      WHERE ${inArray(sql`a.id`, ids)}`);
    const byId = new Map(rows.map((r) => [r.id, r] as const));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r?.owner_node) return null;
      return { node: r.owner_node, baseUrl: r.base_url ?? '', live: r.live === true };
    });
  }
}

interface NodeRow {
  id: string;
  epoch: number | string;
  state: string;
  base_url: string;
  live: boolean;
}

function nodeOf(r: NodeRow): ClusterNode {
  return { id: r.id, epoch: Number(r.epoch), state: r.state, baseUrl: r.base_url, live: r.live === true };
}
