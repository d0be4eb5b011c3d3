/**
 * `/api/webhooks`: a user's webhooks (docs/webhooks.md). `POST` makes one (its secret is in this answer only), `GET`
 * lists them, `DELETE /:id` removes one, `GET /:id/deliveries` shows its delivery history.
 */
import { Hono } from 'hono';
import { DeliveriesQuery, WebhookCreate, WebhookPath } from '../protocol/events-api.ts';
import type { AppServices } from './app.ts';
import type { AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { responds } from './responses.ts';
import { WebhookCreated, WebhookDeliveries, WebhookList } from '../protocol/api-responses.ts';

/** The webhooks sub-app (mounted under an authenticating middleware). */
export function webhookRoutes(p: Pick<AppServices, 'webhooks'>) {
  return new Hono<AuthEnv>()
    .post('/', responds(201, WebhookCreated, [403, 409]), validate('json', WebhookCreate), async (c) =>
      c.json(await p.webhooks.create(c.var.principal, c.req.valid('json')), 201),
    )
    .get('/', responds(200, WebhookList, [403]), async (c) => c.json({ webhooks: await p.webhooks.list(c.var.principal) }))
    .delete('/:id', responds(204, null, [403, 404]), validate('param', WebhookPath), async (c) => {
      await p.webhooks.remove(c.var.principal, c.req.valid('param').id);
      return c.body(null, 204);
    })
    .get('/:id/deliveries', responds(200, WebhookDeliveries, [403, 404]), validate('param', WebhookPath), validate('query', DeliveriesQuery), async (c) =>
      c.json({ deliveries: await p.webhooks.deliveries(c.var.principal, c.req.valid('param').id, c.req.valid('query').limit) }),
    );
}
