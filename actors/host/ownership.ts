/**
 * Ownership in a cluster (docs/cluster.md): each actor row names the node and membership epoch
 * that may advance it. The host claims what it loads, takes a device's actors over when the device
 * logs in here, and adopts the actors of dead nodes whose timers fall due. Liveness is judged in
 * SQL by the database's clock, never by comparing nodes' clocks.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';

/** Who writes: this node and its membership epoch (docs/cluster.md); absent for a host outside a cluster. */
export interface WriterIdentity {
  node: string;
  epoch: number;
}

/** This node's claim to write: who it is, and whether its lease still holds by its own reckoning. */
export interface OwnerLease {
  readonly node: string;
  /** The current membership epoch (a node declared dead joins again under a new one). */
  epoch(): number;
  /** False once the node's own lease deadline passed: the host sends no commit until it holds again. */
  writable(): boolean;
}

/** The identity a commit writes under. */
export function writerOf(o: OwnerLease): WriterIdentity {
  return { node: o.node, epoch: o.epoch() };
}

/** Node states whose leases count (a `dead` or `gone` node owns nothing, whatever its lease says). */
const LIVE_NODE_STATES_TEXT = `('joining', 'active', 'draining')`;
export const LIVE_NODE_STATES = sql.raw(LIVE_NODE_STATES_TEXT);

/** Whether this node's own membership row is live now: no claim is made without it. */
const selfLive = (w: WriterIdentity) => sql`EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.id = ${w.node}
  AND n.epoch = ${w.epoch} AND n.state IN ${LIVE_NODE_STATES} AND n.lease_until > now())`;

/** The actor (aliased `a`) is owned by no live incarnation but possibly this one. */
const claimable = (w: WriterIdentity) => sql`(a.owner_node IS NULL OR (a.owner_node = ${w.node} AND a.owner_epoch = ${w.epoch})
  OR NOT EXISTS (SELECT 1 FROM cluster_nodes c WHERE c.id = a.owner_node AND c.epoch = a.owner_epoch
    AND c.state IN ${LIVE_NODE_STATES} AND c.lease_until > now()))`;

// The same conditions as SQL text for the prepared statements below, naming this writer's node and epoch by the
// statement's placeholders.
/** The actor `a` is not yet owned by this writer. */
const notMineText = (node: string, epoch: string) => `(a.owner_node IS DISTINCT FROM ${node}::text OR a.owner_epoch IS DISTINCT FROM ${epoch}::bigint)`;
/** This writer's own membership row is live now (as {@link selfLive}). */
const selfLiveText = (node: string, epoch: string) => `EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.id = ${node}::text AND n.epoch = ${epoch}::bigint
  AND n.state IN ${LIVE_NODE_STATES_TEXT} AND n.lease_until > now())`;
/** The actor `a` is owned by no live incarnation but possibly this writer (as {@link claimable}). */
const claimableText = (node: string, epoch: string) => `(a.owner_node IS NULL OR (a.owner_node = ${node}::text AND a.owner_epoch = ${epoch}::bigint)
  OR NOT EXISTS (SELECT 1 FROM cluster_nodes c WHERE c.id = a.owner_node AND c.epoch = a.owner_epoch
    AND c.state IN ${LIVE_NODE_STATES_TEXT} AND c.lease_until > now()))`;

/**
 * The claim of {@link claimActors}: $1 the `{id, root}` pairs (JSON, unpacked by h627_claims: one row assumed, so each
 * actor is an index probe, not a scan of every actor), $2 and $3 this writer's node and epoch.
 */
const CLAIM_SQL = `UPDATE actors a SET owner_node = $2::text, owner_epoch = $3::bigint
  FROM h627_claims($1::text::json) AS v
  WHERE a.id = v.id AND ${notMineText('$2', '$3')} AND ${selfLiveText('$2', '$3')}
    AND (${claimableText('$2', '$3')}
      OR EXISTS (SELECT 1 FROM actors p WHERE p.id = v.root AND p.id <> a.id
        AND (p.owner_node, p.owner_epoch) IS NOT DISTINCT FROM ($2::text, $3::bigint)))
  RETURNING a.id`;
/** The owners of the actors $1 (JSON ids) not claimed, and whether this writer ($2, $3) is one. */
const OWNERS_SQL = `SELECT a.id, a.owner_node, NOT ${notMineText('$2', '$3')} AS mine FROM actors a
  WHERE a.id = ANY(ARRAY(SELECT json_array_elements_text($1::text::json)))`;

/**
 * Claim the actors among `ids` that nobody live owns, and those whose device's root actor (`root`,
 * its pu) this writer owns: a device's actors follow it to the node that serves it, those left
 * behind (a confirmed segment) on their first use there. Returns the ids now this writer's and,
 * for each one another live node owns, that node.
 */
export async function claimActors(
  db: Db,
  w: WriterIdentity,
  actors: Array<{ id: string; root: string | null }>,
): Promise<{ claimed: Set<string>; elsewhere: Map<string, string> }> {
  if (actors.length === 0) return { claimed: new Set(), elsewhere: new Map() };
  const ids = actors.map((x) => x.id);
  // Constant texts, prepared (every actor load claims): the pairs and ids go as JSON array parameters.
  const claimed = await db.prepared<{ id: string }>(CLAIM_SQL, [JSON.stringify(actors), w.node, w.epoch]);
  const mine = new Set(claimed.map((r) => r.id));
  const rest = ids.filter((id) => !mine.has(id));
  const elsewhere = new Map<string, string>();
  if (rest.length > 0) {
    const owners = await db.prepared<{ id: string; owner_node: string | null; mine: boolean }>(OWNERS_SQL, [JSON.stringify(rest), w.node, w.epoch]);
    for (const o of owners) {
      if (o.mine) mine.add(o.id);
      else elsewhere.set(o.id, o.owner_node ?? '');
    }
  }
  return { claimed: mine, elsewhere };
}

/**
 * Take over the working actors of these devices (a pu, its streams, recordings, segments being
 * uploaded), from a live owner too: the device logged in here, so its actors follow it. Finished
 * actors stay where they are, and so do dormant ones (`dormant`: type and state pairs, such as a
 * confirmed segment waiting days for its retention): a device may have thousands, moved one by one
 * on first use (claimActors). `roots` (the devices' pu actors) are taken whatever their state: a sleeping camera's pu
 * is dormant, and its login moves it. `by: 'actor'` takes the actors of these ids instead. Returns the ids taken and
 * the node each was taken from (null: nobody owned it).
 */
export async function takeOverDevices(
  db: Db,
  w: WriterIdentity,
  ids: string[],
  by: 'device' | 'actor' = 'device',
  dormant: ReadonlyArray<readonly [string, string]> = [],
  roots: string[] = [],
): Promise<Array<{ id: string; from: string | null }>> {
  if (ids.length === 0) return [];
  // A constant text per column, prepared (every login runs one): the lists go as JSON array parameters.
  return db.prepared<{ id: string; from: string | null }>(by === 'device' ? TAKE_OVER_BY_DEVICE_SQL : TAKE_OVER_BY_ACTOR_SQL, [
    JSON.stringify(ids),
    JSON.stringify(dormant),
    JSON.stringify(roots),
    w.node,
    w.epoch,
  ]);
}

/**
 * The take-over statement of {@link takeOverDevices}: $1 the ids (JSON), $2 the dormant [type, state] pairs (JSON),
 * $3 the roots taken whatever their state (JSON), $4 and $5 this writer's node and epoch. The ids come from h627_ids
 * (one row assumed): from an array (100 assumed) the planner expected hundreds of actors to move and hash-joined a
 * sequential scan of every actor for the UPDATE (14 ms a login at 12,000 actors in a failover, auto_explain). The
 * claim's test that this writer owns the root is not an index condition (IS NOT DISTINCT FROM) for the same reason as
 * the commit's: through the owner index it read every actor this node owns.
 */
const takeOverSql = (column: string) => `WITH moved AS (
    SELECT a.id, a.owner_node FROM h627_ids($1::text::json) AS k(id) JOIN actors a ON ${column} = k.id
    WHERE a.status <> 'done'
      AND NOT ((a.type, a.state_key) IN (SELECT d->>0, d->>1 FROM json_array_elements($2::text::json) d)
        AND a.id <> ALL(ARRAY(SELECT json_array_elements_text($3::text::json))))
      AND ${notMineText('$4', '$5')} AND ${selfLiveText('$4', '$5')}
    FOR UPDATE OF a)
  UPDATE actors a SET owner_node = $4::text, owner_epoch = $5::bigint FROM moved WHERE a.id = moved.id
  RETURNING a.id, moved.owner_node AS "from"`;
const TAKE_OVER_BY_DEVICE_SQL = takeOverSql('a.device_id');
const TAKE_OVER_BY_ACTOR_SQL = takeOverSql('a.id');

/**
 * Adopt up to `limit` actors of dead incarnations (and up to `limit` let go) whose next timer falls due
 * before `horizonMs` from now (`FOR UPDATE SKIP LOCKED`: survivors adopting at once share the work). Returns each
 * adopted actor and its timer's time, for the timer queue. The dead incarnations are read from
 * `cluster_nodes` (every epoch of a node before its current one, and its current one once its
 * lease ended), and each is looked up in `actors_owner_timer_idx` by its due timers only: a
 * round costs as much as there is to adopt, not as many timers as the live nodes hold. Actors a
 * leaving node let go (owner null) are adopted the same way.
 */
export async function adoptDueActors(db: Db, w: WriterIdentity, horizonMs: number, limit: number): Promise<Array<{ id: string; due: number }>> {
  const horizon = sql`now() + make_interval(secs => ${horizonMs / 1000})`;
  // One statement a round (it runs every ADOPT_INTERVAL_MS on every node, nearly always adopting nothing): the dead
  // incarnations' due actors and the let-go ones, each picked by its index and locked, up to `limit` of each. The
  // LATERAL makes each dead incarnation an index probe: joined instead, the planner scanned every due timer of every
  // live node and looked each one's node up (18.7 ms a round at 3,000 PUs, growing with the cluster's PUs, on every
  // node: measured), where the probes take 0.4 ms.
  return db.rows<{ id: string; due: number }>(sql`WITH n AS (SELECT id, epoch, state IN ${LIVE_NODE_STATES} AND lease_until > now() AS live FROM cluster_nodes),
      dead AS (SELECT n.id, e::bigint AS epoch FROM n, generate_series(1, n.epoch) AS e
        WHERE (e < n.epoch OR NOT n.live) AND NOT (n.id = ${w.node} AND e = ${w.epoch})),
      of_dead AS (SELECT x.id FROM dead d CROSS JOIN LATERAL (SELECT a.id, a.next_timer_at FROM actors a
          WHERE a.owner_node = d.id AND a.owner_epoch = d.epoch AND a.next_timer_at < ${horizon}
          ORDER BY a.next_timer_at LIMIT ${limit} FOR UPDATE OF a SKIP LOCKED) x
        ORDER BY x.next_timer_at LIMIT ${limit}),
      let_go AS (SELECT a.id FROM actors a WHERE a.owner_node IS NULL AND a.next_timer_at < ${horizon}
        ORDER BY a.next_timer_at LIMIT ${limit} FOR UPDATE OF a SKIP LOCKED),
      pick AS (SELECT id FROM of_dead UNION ALL SELECT id FROM let_go)
    UPDATE actors a SET owner_node = ${w.node}, owner_epoch = ${w.epoch} FROM pick
    WHERE a.id = pick.id AND ${selfLive(w)}
    RETURNING a.id, (extract(epoch from a.next_timer_at) * 1000)::float8 AS due`);
}

/** The condition (on an actor aliased `a`) that this writer owns it or may claim it: what a start arms and redelivers. */
export function ownedOrClaimable(w: WriterIdentity | undefined): SQL {
  return w ? claimable(w) : sql`true`;
}

/**
 * Split writes into those of residents of the current epoch (or of no cluster) and those of an earlier incarnation of
 * this node: declared dead while a write waited (held past its lease deadline), the node joined again as a new epoch,
 * which may own the row by now. Sent, such a write would be stored under the new epoch's name though the dead one
 * decided it; it is refused instead.
 */
export function splitByIncarnation<T extends { r: { epoch: number | null } }>(writes: T[], o: OwnerLease): [current: T[], stale: T[]] {
  const epoch = o.epoch();
  const stale = writes.filter((w) => w.r.epoch !== null && w.r.epoch !== epoch);
  return stale.length === 0 ? [writes, stale] : [writes.filter((w) => !stale.includes(w)), stale];
}
