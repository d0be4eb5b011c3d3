/**
 * The hibernation benchmark's baseline: a bare Bun TCP server that holds the same connections and counts the bytes
 * of their heartbeats, with no framing, checks, actors or persistence. Prints `ready <port>`.
 */
import { parseArgs } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
let bytes = 0;
const server = Bun.listen({
  hostname: '0.0.0.0',
  port: Number(args.port ?? 0),
  socket: {
    data(_s, chunk) {
      bytes += chunk.length;
    },
  },
});
setInterval(() => void bytes, 60_000).unref();
console.log(`ready ${server.port}`);
