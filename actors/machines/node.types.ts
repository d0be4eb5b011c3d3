/** Types of the node actor (docs/cluster.md): its input, context and events (plain JSON: epochs, times, counts). */

/** What a node actor is created with: the incarnation that joined (the same fields as `node.joined`). */
export interface NodeInput {
  /** The membership epoch of this incarnation (`cluster_nodes.epoch`, bumped at every join). */
  epoch: number;
  /** Where other nodes reach it: `https://PUBLIC_HOST:HTTP_PORT`. */
  baseUrl: string;
  /** Epoch ms of the join, when the caller knows it (the initial event carries no time of its own). */
  at?: number;
}

/** Progress of a drain (9.3.1.2 Reschedule in paced batches). */
export interface NodeDrain {
  /** When the drain began. */
  startedAt: number;
  /** Batches of Reschedule sent so far. */
  batches: number;
  /** Devices still connected to the node at the last report; null before the first. */
  remaining: number | null;
}

/** The node actor's context. */
export interface NodeContext {
  epoch: number;
  baseUrl: string;
  /** When this incarnation joined. */
  joinedAt: number;
  /** Time the current state was entered, and why. */
  since: number;
  reason: string;
  /** Set while (and after) the node drains; a new incarnation starts without. */
  drain: NodeDrain | null;
}

type At = { at?: number };

/** Events of the node actor (dot-case; `at` is stamped by the host). Membership sends all but the drain's own. */
export type NodeEvent = At &
  (
    | { type: 'node.joined'; epoch: number; baseUrl: string }
    | { type: 'node.started' }
    | { type: 'node.dead'; epoch: number }
    | { type: 'node.left' }
    | { type: 'node.drain' }
    | { type: 'node.rescheduled'; remaining: number }
  );
