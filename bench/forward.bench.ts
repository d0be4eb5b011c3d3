/**
 * `bun run bench forward [--n 2000] [--concurrency 32] [--seconds 5] [--bytes 1024]`: what a request
 * costs to reach another node, two ways, same payload, same run, same PostgreSQL: (a) an HTTPS hop
 * (node-signed, as services/cluster/forward.ts sends it; the connection kept alive) and (b) a
 * LISTEN/NOTIFY round trip (NOTIFY a request, the far side NOTIFYs the reply). The far side is its
 * own process (bench/forward-echo.ts). Prints latency p50/p99 (one request at a time) and
 * throughput (`--concurrency` in flight for `--seconds`), and the ratio.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pgClient } from '../db/client.ts';
import { createScratchDatabase } from '../db/scratch.ts';
import { signNodeRequest } from '../services/cluster/node-auth.ts';
import { BENCH_PG_URL, machineNote, parseArgs, percentile, table } from './lib.ts';

/** Sequential round trips measured for latency. */
const DEFAULT_N = 2000;
/** Round trips in flight for the throughput figure. */
const DEFAULT_CONCURRENCY = 32;
/** Length of the throughput run, seconds. */
const DEFAULT_SECONDS = 5;
/** Payload size, bytes: about an API answer (a device's status); NOTIFY takes at most 8000. */
const DEFAULT_BYTES = 1024;
/** Round trips before measuring (connections, TLS sessions, JIT). */
const WARMUP = 200;

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? DEFAULT_N);
const concurrency = Number(args.concurrency ?? DEFAULT_CONCURRENCY);
const seconds = Number(args.seconds ?? DEFAULT_SECONDS);
const bytes = Number(args.bytes ?? DEFAULT_BYTES);

const key = randomBytes(32);
const scratch = await createScratchDatabase(BENCH_PG_URL, 'h627_bench_fwd');
const echo = Bun.spawn(['bun', join(import.meta.dir, 'forward-echo.ts'), scratch.url, key.toString('base64url')], { stdout: 'pipe', stderr: 'inherit' });
const port = await (async () => {
  let buf = '';
  for await (const chunk of echo.stdout) {
    buf += new TextDecoder().decode(chunk);
    const m = buf.match(/ready (\d+)/);
    if (m) return Number(m[1]);
  }
  throw new Error('the echo process exited before it was ready');
})();

const filler = 'x'.repeat(Math.max(0, bytes - 40));
const payload = (id: number) => JSON.stringify({ id, filler }).slice(0, bytes);

// (a) HTTPS: as the forwarder sends it.
const path = '/api/devices/cam-1/status';
const https = async (id: number) => {
  const body = payload(id);
  const r = await fetch(`https://127.0.0.1:${port}${path}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...signNodeRequest(key, 'POST', path, 'bench') },
    tls: { rejectUnauthorized: false },
  } as RequestInit);
  const text = await r.text();
  if (r.status !== 200 || text.length !== body.length) throw new Error(`https echo failed: ${r.status}`);
};

// (b) LISTEN/NOTIFY: the reply is matched to its request by the id in the payload.
const listener = pgClient(scratch.url, { max: 1, onnotice: () => {} });
const sender = pgClient(scratch.url, { max: 4, onnotice: () => {} });
const waiting = new Map<number, () => void>();
await listener.listen('fwd_rep', (p) => waiting.get(JSON.parse(p).id)?.());
const notify = (id: number) =>
  new Promise<void>((resolve, reject) => {
    waiting.set(id, () => {
      waiting.delete(id);
      resolve();
    });
    sender.notify('fwd_req', payload(id)).catch(reject);
  });

let nextId = 0;
async function measure(name: string, once: (id: number) => Promise<void>) {
  for (let i = 0; i < WARMUP; i++) await once(nextId++);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once(nextId++);
    lat.push(performance.now() - t0);
  }
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await once(nextId++);
        done++;
      }
    }),
  );
  return { way: name, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), per_s: Math.round(done / seconds) };
}

try {
  const a = await measure('https hop', https);
  const b = await measure('listen/notify', notify);
  console.log(`forward bench: ${bytes}-byte payload, ${n} sequential round trips, ${concurrency} in flight for ${seconds} s; ${machineNote()}`);
  console.log(table([a, b]));
  console.log(
    `ratio https/notify: p50 ${(a.p50_ms / b.p50_ms).toFixed(2)}, p99 ${(a.p99_ms / b.p99_ms).toFixed(2)}, throughput ${(a.per_s / b.per_s).toFixed(2)}`,
  );
} finally {
  echo.kill();
  await echo.exited;
  await listener.end();
  await sender.end();
  await scratch.drop();
}
