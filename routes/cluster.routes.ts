/** `GET /api/cluster/feed`: this node's actor transitions for another node's consoles (node-signed requests only). */
import { Hono } from 'hono';
import type { Server } from 'bun';
import { CLUSTER_FEED_PATH, type ClusterFeed } from '../services/cluster/cluster-feed.ts';
import { nodeCaller } from './client-ip.ts';
import { problem } from './problem.ts';

/** The node-to-node routes. */
export function clusterRoutes(feed: Pick<ClusterFeed, 'exportStream'>) {
  return new Hono().get(CLUSTER_FEED_PATH, (c) => {
    if (!nodeCaller(c)) return problem(c, 401, 'a node-to-node endpoint: only requests signed by a node of this cluster');
    (c.env as Server<unknown> | undefined)?.timeout?.(c.req.raw, 0); // idle between transitions by nature
    return new Response(feed.exportStream(c.req.raw.signal), { headers: { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' } });
  });
}
