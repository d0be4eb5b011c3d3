/**
 * `wss://host/media/live/<stream_id>?token=…`: live MPEG-TS over a WebSocket for browsers
 * (mpegts.js). Binary messages of whole 188-byte TS packets, starting at the latest keyframe.
 */
import { Hono } from 'hono';
import type { Server, ServerWebSocket } from 'bun';
import type { AppServices } from './app.ts';
import { MediaLivePath } from '../protocol/paths.ts';
import { validateForDevice } from './validate.ts';
import type { SocketData, SocketHandler } from './ws.ts';

type Grant = NonNullable<ReturnType<AppServices['live']['takeWsToken']>>;
type MediaWs = ServerWebSocket<SocketData<{ grant: Grant }>>;

/** The live media WebSocket endpoint. */
export function mediaRoutes(p: Pick<AppServices, 'live'>) {
  const handler: SocketHandler<{ grant: Grant }> = {
    open: (ws: MediaWs) => p.live.attachWs(ws.data.state.grant, ws),
    message: () => {}, // viewers only receive
    close: (ws: MediaWs, code) => p.live.detachWs(ws.data.state.grant, `WSS viewer closed (${code})`),
  };
  return new Hono<{ Bindings: Server<SocketData> }>().get('/media/live/:streamId', validateForDevice('param', MediaLivePath), (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.json({ info: 'a WebSocket endpoint' }, 426);
    const grant = p.live.takeWsToken(c.req.param('streamId'), c.req.query('token') ?? '');
    if (!grant) return c.json({ info: 'unknown, expired or used viewer token' }, 403);
    if (!c.env.upgrade(c.req.raw, { data: { handler: handler as SocketHandler<unknown>, state: { grant } } }))
      return c.json({ info: 'WebSocket upgrade failed' }, 400);
    return new Response(null);
  });
}
