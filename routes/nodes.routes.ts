/** `/api/admin/nodes`: the cluster's nodes, and draining one (admins only; docs/cluster.md). */
import { Hono } from 'hono';
import { NodePath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import { requireAdmin, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { NodeList, NodeView } from '../protocol/api-responses.ts';
import { responds } from './responses.ts';

/** The nodes sub-app (mounted under an authenticating middleware). */
export function nodeRoutes(p: Pick<AppServices, 'nodes'>) {
  return new Hono<AuthEnv>()
    .use(requireAdmin)
    .get('/', responds(200, NodeList), async (c) => c.json({ nodes: await p.nodes.list() }))
    .post(
      '/:id/drain',
      responds(202, NodeView, { 404: 'no such node', 409: 'the node cannot be drained in its state' }),
      validate('param', NodePath),
      async (c) => c.json(await p.nodes.drain(c.req.valid('param').id), 202),
    );
}
