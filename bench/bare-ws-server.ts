/**
 * The keepalive benchmark's baseline: a bare Bun WSS server that accepts the same logins and
 * answers the same frames (`{"seq":n,"resp":{}}`, after parsing the JSON), with no validation,
 * actors or persistence. `GET /loop` answers its event-loop delays (the platform's probe, as
 * JSON cumulative buckets). Prints `ready <port>`.
 */
import { EVENT_LOOP_DELAY_BUCKETS_S, probeEventLoop } from '../lib/loop-delay.ts';
import { parseArgs } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const atMost = EVENT_LOOP_DELAY_BUCKETS_S.map(() => 0);
let probes = 0;
probeEventLoop((s) => {
  probes++;
  EVENT_LOOP_DELAY_BUCKETS_S.forEach((le, i) => {
    if (s <= le) atMost[i]!++;
  });
});
const server = Bun.serve({
  port: Number(args.port ?? 0),
  tls: { cert: Bun.file(args.cert!), key: Bun.file(args.key!) },
  fetch(req, srv) {
    if (new URL(req.url).pathname === '/loop') return Response.json({ le: EVENT_LOOP_DELAY_BUCKETS_S, atMost, count: probes });
    return srv.upgrade(req) ? undefined : new Response('not a websocket', { status: 426 });
  },
  websocket: {
    message(ws, data) {
      const f = JSON.parse(String(data)) as { seq?: number };
      if (f.seq !== undefined) ws.send(`{"seq":${f.seq},"resp":{}}`);
    },
  },
});
console.log(`ready ${server.port}`);
