/**
 * The cluster bench's pieces (bench/cluster.bench.ts): platform nodes on one database, the two
 * load generators of PUs, the CPU of this database's PostgreSQL backends, and the database's
 * commit capacity (a run of bench/actors.bench.ts).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { loadGen, PASSWORD } from './keepalive-gens.ts';
import { procCpuSeconds } from './lib.ts';
import { ROOT } from './platform.ts';

/** A running node: its id, https base and process. */
export interface BenchNode {
  id: string;
  url: string;
  proc: Subprocess<'ignore', 'pipe', 'inherit'>;
}

/**
 * Start node `id` (its own DATA_DIR under `dir`) with the cluster's shared environment; its log (stdout, from
 * `ready` on) is appended to `<logDir>/<id>.log`. `bunArgs`: Bun's own flags (a CPU profile).
 */
export async function startNode(id: string, dir: string, shared: Record<string, string>, logDir: string, bunArgs: string[] = []): Promise<BenchNode> {
  const dataDir = join(dir, id);
  mkdirSync(dataDir, { recursive: true });
  const env = { LOG_LEVEL: 'warn', ...shared, NODE_ID: id, DATA_DIR: dataDir, HTTP_PORT: '0', SRT_PORT: '0', HIBERNATION_PORT: '0' };
  const proc = Bun.spawn(['bun', ...bunArgs, join(ROOT, 'main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'inherit' });
  const log = createWriteStream(join(logDir, `${id}.log`), { flags: 'a' });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    log.write(r.value);
    buf += decoder.decode(r.value, { stream: true });
    const m = /ready (https:\/\/\S+)/.exec(buf);
    if (m) {
      // The rest of its log, read to the end (a pipe nobody reads would stop the node when full).
      void (async () => {
        for (let rest = await reader.read(); !rest.done; rest = await reader.read()) log.write(rest.value);
        log.end();
      })();
      return { id, url: m[1]!, proc };
    }
  }
  throw new Error(`node ${id} exited before it was ready (log: ${join(logDir, `${id}.log`)})`);
}

/** Stop a node cleanly (SIGTERM: it flushes) and wait for it. */
export async function stopNode(n: BenchNode): Promise<void> {
  n.proc.kill('SIGTERM');
  await n.proc.exited;
}

/** CPU seconds of a set of nodes so far. */
export function nodesCpu(nodes: BenchNode[]): number {
  return nodes.reduce((a, n) => a + procCpuSeconds(n.proc.pid), 0);
}

/** One generator per half of the PUs: A has PUs [0, half), B [half, count); `extra` goes to both. */
export function twoGens(urlA: string, urlB: string, count: number, extra: string[] = []) {
  const half = Math.floor(count / 2);
  const a = loadGen(urlA, half, 0, extra);
  const b = loadGen(urlB, count - half, half, extra);
  const both = (m: Record<string, unknown>) => Promise.all([a.ask(m), b.ask(m)]);
  return {
    a,
    b,
    both,
    ready: () => Promise.all([a.next(), b.next()]),
    cpu: () => procCpuSeconds(a.proc.pid) + procCpuSeconds(b.proc.pid),
    stop: async () => {
      a.proc.send({ cmd: 'stop' });
      b.proc.send({ cmd: 'stop' });
      await Promise.all([a.proc.exited, b.proc.exited]);
    },
  };
}
export type TwoGens = ReturnType<typeof twoGens>;
export { PASSWORD };

/**
 * CPU seconds so far of the PostgreSQL backends serving database `name` (the nodes' connections), by
 * pid: the machine's PostgreSQL also serves other people's tests, which the all-processes figure counts.
 */
export async function backendsCpu(db: Db, name: string): Promise<Map<number, number>> {
  const rows = await db.rows<{ pid: number }>(sql`SELECT pid FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      out.set(pid, procCpuSeconds(pid));
    } catch {
      // the backend ended meanwhile
    }
  }
  return out;
}

/** CPU seconds the backends used between two readings (a backend new in `b` counts from zero; one gone is lost). */
export function backendsDelta(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0;
  for (const [pid, cpu] of b) s += cpu - (a.get(pid) ?? 0);
  return s;
}

/** The database's commit capacity: bench/actors.bench.ts on PostgreSQL, its host events/s and PostgreSQL µs per event. */
export async function commitCapacity(seconds: number): Promise<{ eventsPerS: number; rawRowsPerS: number; pgUsPerEvent: number; line: string }> {
  const proc = Bun.spawn(['bun', join(import.meta.dir, 'actors.bench.ts'), '--db', 'postgres', '--seconds', String(seconds), '--latency-seconds', '3'], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  // The throughput table's row: db, host events/s, raw rows/s, host/raw, bun µs/event, pg µs/event, …
  const row = out.split('\n').find((l) => /^\s*postgres\s+\d/.test(l));
  if (!row) throw new Error(`actors bench printed no postgres row:\n${out}`);
  const f = row.trim().split(/\s+/);
  return { eventsPerS: Number(f[1]), rawRowsPerS: Number(f[2]), pgUsPerEvent: Number(f[5]), line: row.trim() };
}
