/**
 * The keepalive benchmark's baseline: a bare Bun WSS server that accepts the same logins and
 * answers the same frames (`{"seq":n,"resp":{}}`, after parsing the JSON), with no validation,
 * actors or persistence. Prints `ready <port>`.
 */
import { parseArgs } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const server = Bun.serve({
  port: Number(args.port ?? 0),
  tls: { cert: Bun.file(args.cert!), key: Bun.file(args.key!) },
  fetch(req, srv) {
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
