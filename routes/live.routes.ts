/**
 * Live viewing (H.627.2 9.3.3): `POST /api/devices/:id/channels/:ch/live` starts the channel's
 * stream if needed and returns SRT and WSS URLs; `DELETE …?stream_id=` leaves. Owners and admins.
 */
import { Hono } from 'hono';
import { LiveLeaveQuery, LiveRequest } from '../protocol/api.ts';
import { ChannelPath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import type { AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { allowSilence } from './idle-timeout.ts';
import { LiveTicket } from '../protocol/api-responses.ts';
import { responds } from './responses.ts';

/** The live sub-app (mounted under /api/devices with authentication). */
export function liveRoutes(p: Pick<AppServices, 'devices' | 'live'>) {
  return new Hono<AuthEnv>()
    .post('/:id/channels/:ch/live', responds(201, LiveTicket, [404, 429]), validate('param', ChannelPath), validate('json', LiveRequest), async (c) => {
      const { id, ch } = c.req.valid('param');
      const { row } = await p.devices.visibleOne(c.var.principal, id, 'viewer');
      allowSilence(c, p.live.watchWaitMs()); // a sleeping camera's wake, then the join
      return c.json(await p.live.watch(c.var.principal, row.id, ch, c.req.valid('json').max_bitrate), 201);
    })
    .delete('/:id/channels/:ch/live', responds(204, null, [404]), validate('param', ChannelPath), validate('query', LiveLeaveQuery), async (c) => {
      const { id, ch } = c.req.valid('param');
      const { row } = await p.devices.visibleOne(c.var.principal, id, 'viewer');
      await p.live.unwatch(c.var.principal, row.id, ch, c.req.valid('query').stream_id);
      return c.body(null, 204);
    });
}
