/**
 * The cluster's nodes as admins see them (`/api/admin/nodes`, docs/cluster.md): each row of
 * `cluster_nodes` with its node actor's state and whether its lease runs by the database's clock,
 * and a drain request, which is an event for the node's actor (the machine decides).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import { ActorNotFoundError } from '../../actors/host/errors.ts';
import { nodeActorId } from '../../actors/machines/ids.ts';
import { DomainError } from '../errors.ts';

/** A node's load as its heartbeat reports it (services/cluster/membership.ts); 0 for what it has not reported. */
export interface NodeLoad {
  /** PUs connected to it. */
  pus: number;
  /** Live streams it relays. */
  streams: number;
  /** Uploads (segments, pictures, logs) it is receiving. */
  uploads: number;
  /** Its CPU use, 0–1 per core. */
  cpu: number;
}

/** A cluster node as `GET /api/admin/nodes` shows it (docs/cluster.md). */
export interface NodeView {
  id: string;
  /** Its row's membership state (joining, active, draining, gone, dead): what Vs reads. */
  state: string;
  /** Its node actor's state (`node:<id>`), null when it has none: where the decisions are. */
  actorState: string | null;
  epoch: number;
  baseUrl: string;
  publicHost: string;
  ports: { http: number; srt: number };
  load: NodeLoad;
  /** Epoch ms. */
  startedAt: number;
  heartbeatAt: number;
  leaseUntil: number;
  /** Its lease runs, by the database's clock. */
  live: boolean;
}

/** Row states of a node that will never serve again (in this incarnation): it cannot be drained. */
const ENDED = new Set(['dead', 'gone']);

/** What the nodes service needs. */
export interface NodesDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch'>;
}

interface Row {
  id: string;
  epoch: number;
  state: string;
  base_url: string;
  public_host: string;
  http_port: number;
  srt_port: number;
  load: Partial<NodeLoad> | null;
  started_at: number;
  heartbeat_at: number;
  lease_until: number;
  live: boolean;
  actor_state: string | null;
}

/** A load figure as reported, or 0 when the heartbeat did not report it (or not as a number). */
const figure = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function viewOf(r: Row): NodeView {
  const load = r.load ?? {};
  return {
    id: r.id,
    state: r.state,
    actorState: r.actor_state,
    epoch: r.epoch,
    baseUrl: r.base_url,
    publicHost: r.public_host,
    ports: { http: r.http_port, srt: r.srt_port },
    load: { pus: figure(load.pus), streams: figure(load.streams), uploads: figure(load.uploads), cpu: figure(load.cpu) },
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    leaseUntil: r.lease_until,
    live: r.live,
  };
}

/** The admin's view of the cluster's nodes. */
export class Nodes {
  constructor(private p: NodesDeps) {}

  /** Every node, by id. */
  async list(): Promise<NodeView[]> {
    return (await this.read()).map(viewOf);
  }

  /** One node, or a not-found error. */
  async get(id: string): Promise<NodeView> {
    const [row] = await this.read(id);
    if (!row) throw new DomainError('not-found', `no node ${id} in the cluster`, 'id');
    return viewOf(row);
  }

  /**
   * Ask node `id` to drain: its actor goes draining, Vs stops giving it, and its devices are told to
   * Reschedule in batches (actors/machines/node.machine.ts). Dispatched here: the forwarding layer
   * takes it to the node that owns the actor. A node already draining stays so.
   */
  async drain(id: string): Promise<NodeView> {
    const node = await this.get(id);
    if (ENDED.has(node.state)) throw new DomainError('conflict', `node ${id} is ${node.state}: only a live node can be drained`, 'id');
    let result: Awaited<ReturnType<NodesDeps['host']['dispatch']>>;
    try {
      result = await this.p.host.dispatch(nodeActorId(id), { type: 'node.drain' });
    } catch (err) {
      if (err instanceof ActorNotFoundError) throw new DomainError('conflict', `node ${id} has no node actor yet (it has not joined through membership)`, 'id');
      throw err;
    }
    if (result.stateKey !== 'draining') {
      throw new DomainError('conflict', `node ${id} is ${result.stateKey}: only a joining or active node can be drained`, 'id');
    }
    return { ...node, actorState: result.stateKey };
  }

  private read(id?: string): Promise<Row[]> {
    return this.p.db.rows<Row>(sql`
      SELECT n.id, n.epoch::float8 AS epoch, n.state, n.base_url, n.public_host, n.http_port, n.srt_port, n.load,
             (extract(epoch FROM n.started_at) * 1000)::float8 AS started_at,
             (extract(epoch FROM n.heartbeat_at) * 1000)::float8 AS heartbeat_at,
             (extract(epoch FROM n.lease_until) * 1000)::float8 AS lease_until,
             n.lease_until > now() AS live,
             a.state_key AS actor_state
      FROM cluster_nodes n LEFT JOIN actors a ON a.id = 'node:' || n.id -- nodeActorId (actors/machines/ids.ts)
      WHERE ${id === undefined ? sql`true` : sql`n.id = ${id}`}
      ORDER BY n.id`);
  }
}
