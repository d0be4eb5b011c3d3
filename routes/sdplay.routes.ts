/**
 * Playing a camera's SD-card recordings (docs/sd-playback.md): `POST /api/devices/:id/channels/:ch/sdplay`
 * {from, to} starts a playback and returns SRT and WSS URLs; `POST …/sdplay/:sid/ctrl` {action, pos?,
 * speed?} controls it; `GET …/sdplay/:sid` reads it with the camera's position; `DELETE` stops it.
 * Owners and admins, as live. `wss://host/media/sd/:playId?token=…` is its MPEG-TS for browsers.
 */
import { Hono } from 'hono';
import type { Server, ServerWebSocket } from 'bun';
import { ChannelPath, MediaSdPath, SdPlayPath } from '../protocol/paths.ts';
import { SdPlayCtrl, SdPlayRequest } from '../protocol/sdplay-api.ts';
import type { SdGrant, SdPlayService } from '../services/live/sdplay.ts';
import type { AppServices } from './app.ts';
import type { AuthEnv } from './auth.ts';
import { validate, validateForDevice } from './validate.ts';
import type { SocketData, SocketHandler } from './ws.ts';
import { SdPlayTicket, SdPlayView } from '../protocol/api-responses.ts';
import { ERROR_DESCRIPTIONS, responds } from './responses.ts';

/** The SD-card playback sub-app (mounted under /api/devices with authentication). */
export function sdPlayRoutes(p: Pick<AppServices, 'devices'> & { sdplay: SdPlayService }) {
  return new Hono<AuthEnv>()
    .post('/:id/channels/:ch/sdplay', responds(201, SdPlayTicket, [404, 429]), validate('param', ChannelPath), validate('json', SdPlayRequest), async (c) => {
      const { id, ch } = c.req.valid('param');
      const { row } = await p.devices.visibleOne(c.var.principal, id, 'viewer');
      const { from, to } = c.req.valid('json');
      return c.json(await p.sdplay.play(c.var.principal, row.id, ch, from, to), 201);
    })
    .post(
      '/:id/channels/:ch/sdplay/:sid/ctrl',
      responds(200, SdPlayView, { 404: ERROR_DESCRIPTIONS[404], 409: 'the playback cannot do this in its state' }),
      validate('param', SdPlayPath),
      validate('json', SdPlayCtrl),
      async (c) => {
        const { id, ch, sid } = c.req.valid('param');
        const { row } = await p.devices.visibleOne(c.var.principal, id, 'viewer');
        const { action, pos, speed } = c.req.valid('json');
        const ctrl = { op: action, ...(pos !== undefined ? { pos } : {}), ...(speed !== undefined ? { speed } : {}) };
        return c.json(await p.sdplay.control(c.var.principal, row.id, ch, sid, ctrl));
      },
    )
    .get('/:id/channels/:ch/sdplay/:sid', responds(200, SdPlayView, [404]), validate('param', SdPlayPath), async (c) => {
      const { id, ch, sid } = c.req.valid('param');
      const { row } = await p.devices.visibleOne(c.var.principal, id, 'viewer');
      return c.json(await p.sdplay.status(c.var.principal, row.id, ch, sid));
    })
    .delete('/:id/channels/:ch/sdplay/:sid', responds(204, null, [404]), validate('param', SdPlayPath), async (c) => {
      const { id, ch, sid } = c.req.valid('param');
      const { row } = await p.devices.visibleOne(c.var.principal, id, 'viewer');
      await p.sdplay.control(c.var.principal, row.id, ch, sid, { op: 'stop' });
      return c.body(null, 204);
    });
}

type SdWs = ServerWebSocket<SocketData<{ grant: SdGrant }>>;

/** The SD-card playback's media WebSocket endpoint. */
export function sdMediaRoutes(p: { sdplay: SdPlayService }) {
  const handler: SocketHandler<{ grant: SdGrant }> = {
    open: (ws: SdWs) => p.sdplay.attachWs(ws.data.state.grant, ws),
    message: () => {}, // viewers only receive
    close: (ws: SdWs, code) => p.sdplay.detachWs(ws.data.state.grant, `WSS viewer closed (${code})`),
  };
  return new Hono<{ Bindings: Server<SocketData> }>().get('/media/sd/:playId', validateForDevice('param', MediaSdPath), (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.json({ info: 'a WebSocket endpoint' }, 426);
    const grant = p.sdplay.takeWsToken(c.req.param('playId'), c.req.query('token') ?? '');
    if (!grant) return c.json({ info: 'unknown, expired or used viewer token' }, 403);
    if (!c.env.upgrade(c.req.raw, { data: { handler: handler as SocketHandler<unknown>, state: { grant } } }))
      return c.json({ info: 'WebSocket upgrade failed' }, 400);
    return new Response(null);
  });
}
