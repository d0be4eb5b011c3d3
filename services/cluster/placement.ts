/**
 * Which node Vs gives a device (H.627.2 9.3.1, docs/cluster.md "Vs spreads the devices"): the node
 * that owns its pu actor while that node is active and live (sticky: its actors are there);
 * otherwise the less loaded of two active live nodes drawn at random ("the power of two choices":
 * nearly as even as the least loaded of all, without every node sending every device to the same
 * least loaded one between two heartbeats). A draining or dead node is never given. With no active
 * node (PGlite, always one node, has no rows; nor has a node before membership joins) the answer is
 * this node's, exactly as before clusters; so is it when this node is the one chosen.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { puActorId } from '../../actors/machines/ids.ts';
import { NODE_HEARTBEAT_MS } from './membership.ts';
import { canConnect } from './forward.ts';

/**
 * How long a read of `cluster_nodes` serves Vs (platform's choice): a burst of devices asking Vs
 * costs one query a second, and a node set draining stops being given within a second
 * (the drain's first batch waits DRAIN_BATCH_INTERVAL_MS, longer than this).
 */
export const PLACEMENT_CACHE_MS = 1_000;
/**
 * A node whose last heartbeat is older than this is given no device, though its lease still runs: it missed a
 * heartbeat (two periods), so it is likely dead, and a device sent there would only fail and ask again.
 */
export const PLACEMENT_SILENT_MS = 2 * NODE_HEARTBEAT_MS;
/**
 * How long a probe of another node (a TCP connection to its address) stands, ms (platform's choice): a node killed
 * outright refuses connections at once, long before it misses heartbeats (PLACEMENT_SILENT_MS) or its lease ends;
 * without the probe, every device of a dead node asking Vs in those seconds was sent back to it, failed again and slept
 * a longer backoff (9.3.1.3), which made most of a failover's time. A stream of Vs requests costs one probe a second
 * per other node.
 */
export const PLACEMENT_PROBE_TTL_MS = 1_000;
/**
 * Longest a Vs answer waits for a probe, ms (platform's choice): a node refusing answers within a millisecond on a LAN;
 * one that does not answer in this time (black-holed) is not given until a probe succeeds, which it may well
 * do at the next try if it was only slow.
 */
export const PLACEMENT_PROBE_TIMEOUT_MS = 500;

/**
 * States of a pu actor whose device has not logged in since it was provisioned (actors/machines/pu.machine.ts:
 * `provisioned`, then `scheduled` at its first Vs request; a device that was online goes to `offline`, and to
 * `scheduled` only from there). Its owner says nothing about where the device is: placement does not stick to it.
 * A device that asked Vs again after being offline without logging in between is placed afresh: it is rare and costs
 * only a take-over.
 */
const NEVER_LOGGED_IN_STATES = `('provisioned', 'scheduled')`;
/** The owner of a pu that has logged in (a constant text, prepared: every Vs request reads it). */
const OWNER_SQL = `SELECT owner_node AS "node", owner_epoch::float8 AS "epoch" FROM actors WHERE id = $1 AND state_key NOT IN ${NEVER_LOGGED_IN_STATES}`;

/** Where a device is sent: the Vs answer's `PassDomain` and `Secure_PassPort`, and the node they name. */
export interface Where {
  nodeId: string;
  host: string;
  port: number;
}

/** A node as placement reads it. */
export interface PlacedNode {
  id: string;
  epoch: number;
  state: string;
  publicHost: string;
  httpPort: number;
  /** PUs connected at its last heartbeat (`load.pus`). */
  pus: number;
  /** Its last heartbeat, epoch ms: a newer one counts the devices sent there since the previous. */
  heartbeatAt: number;
  /** Its lease is still running, by the database's clock. */
  live: boolean;
  /** Its node-to-node address (`base_url`), which probes connect to. */
  baseUrl: string;
}

/** What placement needs. */
export interface PlacementDeps {
  db: Db;
  /** This node's id (NODE_ID). */
  nodeId: string;
  /** This node's own answer, as Vs gave it before clusters: PUBLIC_HOST and the port the server listens on. */
  self: () => { host: string; port: number };
  /** Uniform in [0, 1) (tests pass a seeded one). */
  random?: () => number;
  /** Milliseconds, for the cache (tests pass another). */
  now?: () => number;
  /** Whether a node's address takes a connection within the timeout (tests pass another); default canConnect. */
  probe?: (baseUrl: string, timeoutMs: number) => Promise<boolean>;
}

/** Vs's choice of node for each device. */
export class Placement {
  private cache: { at: number; nodes: PlacedNode[] } | undefined;
  private reading: Promise<PlacedNode[]> | undefined;
  /** Devices this node sent to each node since that node's last heartbeat (whose `load.pus` does not count them yet). */
  private sent = new Map<string, { heartbeatAt: number; count: number }>();
  /** The last probe of each other node: when it was made (ms) and whether it connected; one in flight at a time. */
  private probes = new Map<string, { at: number; ok: boolean; running?: Promise<boolean> }>();

  constructor(private p: PlacementDeps) {}

  /**
   * The node to give device `deviceId`.
   * @example const { host, port } = await placement.choose('cam-1')
   */
  async choose(deviceId: string): Promise<Where> {
    const live = (await this.nodes()).filter((n) => n.state === 'active' && n.live);
    if (live.length === 0) return this.here();
    const reached = await Promise.all(live.map((n) => this.reachable(n)));
    const active = live.filter((_, k) => reached[k]);
    if (active.length === 0) return this.here();
    const owner = await this.ownerOf(deviceId);
    const sticky = owner && active.find((n) => n.id === owner.node && n.epoch === owner.epoch);
    if (sticky) return this.answer(sticky);
    const chosen = this.lessLoaded(active);
    const s = this.sent.get(chosen.id);
    if (s) s.count++;
    return this.answer(chosen);
  }

  /** Whether node `n` takes connections: this node does; another by its last probe, made again when older than the TTL. */
  private async reachable(n: PlacedNode): Promise<boolean> {
    if (n.id === this.p.nodeId || !n.baseUrl) return true;
    const now = (this.p.now ?? Date.now)();
    const last = this.probes.get(n.id);
    if (last && now - last.at < PLACEMENT_PROBE_TTL_MS) return last.running ?? last.ok;
    const probe = this.p.probe ?? canConnect;
    const entry: { at: number; ok: boolean; running?: Promise<boolean> } = { at: now, ok: last?.ok ?? true };
    entry.running = probe(n.baseUrl, PLACEMENT_PROBE_TIMEOUT_MS).then(
      (ok) => {
        entry.ok = ok;
        entry.running = undefined;
        return ok;
      },
      () => {
        entry.ok = false;
        entry.running = undefined;
        return false;
      },
    );
    this.probes.set(n.id, entry);
    return entry.running;
  }

  /** The less loaded of two distinct nodes drawn at random (the only one, when there is one). */
  private lessLoaded(nodes: PlacedNode[]): PlacedNode {
    const random = this.p.random ?? Math.random;
    const i = Math.floor(random() * nodes.length);
    const j = (i + 1 + Math.floor(random() * (nodes.length - 1))) % nodes.length;
    const a = nodes[i]!;
    const b = nodes[j]!;
    return this.load(b) < this.load(a) ? b : a;
  }

  /** A node's PUs at its heartbeat plus what this node sent there since. */
  private load(n: PlacedNode): number {
    return n.pus + (this.sent.get(n.id)?.count ?? 0);
  }

  private answer(n: PlacedNode): Where {
    // This node answers as it always has (its own PUBLIC_HOST and listening port).
    return n.id === this.p.nodeId ? this.here() : { nodeId: n.id, host: n.publicHost, port: n.httpPort };
  }

  private here(): Where {
    return { nodeId: this.p.nodeId, ...this.p.self() };
  }

  /** The nodes, read at most every PLACEMENT_CACHE_MS (one read in flight at a time). */
  private async nodes(): Promise<PlacedNode[]> {
    const now = (this.p.now ?? Date.now)();
    if (this.cache && now - this.cache.at < PLACEMENT_CACHE_MS) return this.cache.nodes;
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    const nodes = await this.reading;
    this.cache = { at: now, nodes };
    return nodes;
  }

  /** Read `cluster_nodes`; a node's count of devices sent restarts at each new heartbeat of it (its load then includes them). */
  private async read(): Promise<PlacedNode[]> {
    const rows = await this.p.db.rows<PlacedNode>(sql`
      SELECT id, epoch::float8 AS "epoch", state, public_host AS "publicHost", http_port AS "httpPort",
             coalesce((load->>'pus')::float8, 0) AS "pus", coalesce(base_url, '') AS "baseUrl",
             (extract(epoch FROM heartbeat_at) * 1000)::float8 AS "heartbeatAt",
             lease_until > now() AND heartbeat_at > now() - make_interval(secs => ${PLACEMENT_SILENT_MS / 1000}) AS "live"
      FROM cluster_nodes ORDER BY id`);
    const next = new Map<string, { heartbeatAt: number; count: number }>();
    for (const n of rows) {
      const before = this.sent.get(n.id);
      next.set(n.id, before && before.heartbeatAt === n.heartbeatAt ? before : { heartbeatAt: n.heartbeatAt, count: 0 });
    }
    this.sent = next;
    return rows;
  }

  /**
   * The owner (node, epoch) of the device's pu actor, if the device has logged in since it was provisioned. Before
   * that, the owner is only the node that happened to create the actor (the admin's provisioning request) or to
   * record a Vs request: keeping such a device there sent a whole fleet provisioned through one node to that node
   * (tests/cluster/spread.test.ts: 300 of 300 on node-1). Vs reads this before it records the request it answers.
   */
  private async ownerOf(deviceId: string): Promise<{ node: string; epoch: number } | undefined> {
    const [row] = await this.p.db.prepared<{ node: string | null; epoch: number | null }>(OWNER_SQL, [puActorId(deviceId)]);
    return row?.node && row.epoch !== null ? { node: row.node, epoch: row.epoch } : undefined;
  }
}
