/**
 * The far side of bench/forward.bench.ts, in its own process as another node would be: an HTTPS
 * server that checks the node signature and answers with the request's body, and a LISTEN on
 * `fwd_req` that NOTIFYs `fwd_rep` with the same payload. Prints `ready <port>` once both listen.
 */
import selfsigned from 'selfsigned';
import { pgClient } from '../db/client.ts';
import { verifyNodeRequest } from '../services/cluster/node-auth.ts';

const [url, keyB64] = [process.argv[2]!, process.argv[3]!];
const key = Buffer.from(keyB64, 'base64url');
const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keyType: 'ec', curve: 'P-256', days: 1 } as never);
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  tls: { cert: pems.cert, key: pems.private },
  async fetch(req) {
    const u = new URL(req.url);
    const check = verifyNodeRequest(key, req.method, u.pathname + u.search, req.headers);
    if (check.kind !== 'node') return new Response('refused', { status: 401 });
    return new Response(await req.text(), { headers: { 'Content-Type': 'application/json' } });
  },
});
const listener = pgClient(url, { max: 1, onnotice: () => {} });
const sender = pgClient(url, { max: 4, onnotice: () => {} });
await listener.listen('fwd_req', (payload) => {
  sender.notify('fwd_rep', payload).catch(() => {});
});
console.log(`ready ${server.port}`);
