/** `/api/actors`: the read API over every actor, its state and its history (admins: engineers and QA). */
import { Hono } from 'hono';
import { ActorListQuery, HistoryQuery, RelatedQuery } from '../protocol/api.ts';
import { ActorPath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import { requireAdmin, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { ActorList, ActorView, HistoryPage, RelatedActors } from '../protocol/api-responses.ts';
import { responds } from './responses.ts';

/** The actors sub-app. */
export function actorRoutes(p: Pick<AppServices, 'actors'>) {
  return new Hono<AuthEnv>()
    .use(requireAdmin)
    .get('/', responds(200, ActorList), validate('query', ActorListQuery), async (c) => c.json(await p.actors.list(c.req.valid('query'))))
    .get('/:id', responds(200, ActorView, [404]), validate('param', ActorPath), async (c) => c.json(await p.actors.get(c.req.param('id'))))
    .get('/:id/related', responds(200, RelatedActors, [404]), validate('param', ActorPath), validate('query', RelatedQuery), async (c) =>
      c.json(await p.actors.related(c.req.param('id'), c.req.valid('query').limit)),
    )
    .get('/:id/history', responds(200, HistoryPage, [404]), validate('param', ActorPath), validate('query', HistoryQuery), async (c) => {
      const q = c.req.valid('query');
      return c.json({ events: await p.actors.history(c.req.param('id'), q.after, q.limit) });
    });
}
