/**
 * `GET /api/events/history`: the events of the caller's cameras (alarms, offline and back online, recording failures,
 * firmware upgrades' ends), newest first, filtered by camera, kind and time, a page at a time (docs/console.md).
 * Beside the live feed `GET /api/events` (events.routes.ts), which it does not clash with.
 */
import { Hono } from 'hono';
import { EventHistoryQuery } from '../protocol/events-api.ts';
import type { AppServices } from './app.ts';
import type { AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { responds } from './responses.ts';
import { EventPage } from '../protocol/api-responses.ts';

/** The history sub-app (mounted at `/api/events/history` under an authenticating middleware). */
export function historyRoutes(p: Pick<AppServices, 'devices' | 'events'>) {
  return new Hono<AuthEnv>().get('/', responds(200, EventPage, [404]), validate('query', EventHistoryQuery), async (c) => {
    const q = c.req.valid('query');
    // A camera the caller has no role on is a 404, as everywhere (Devices.visibleOne); any role sees its events.
    if (q.device) await p.devices.visibleOne(c.var.principal, q.device, 'viewer');
    return c.json(await p.events.list(c.var.principal, q));
  });
}
