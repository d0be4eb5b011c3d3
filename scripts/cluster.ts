/**
 * `bun run cluster`: a cluster of N platform nodes on this machine, to try it and watch failover (docs/cluster.md,
 * docs/deploy.md). Each node is a child process (`bun main.ts`, with the runtime settings of `bun run start`) on one
 * PostgreSQL database, created if absent (the embedded database is always one node). Node N (from 1) has NODE_ID
 * `node-N`, HTTP_PORT base+N-1, SRT_PORT srt-base+N-1 and DATA_DIR <dir>/node-N; all share <dir>/secret-key
 * (PLATFORM_KEY_FILE), <dir>/cs (CS_DIR) and one ADMIN_TOKEN, generated once into <dir>/admin-token. Every line a
 * node prints is prefixed with its id. SIGINT/SIGTERM stop every node; a node that dies is reported and NOT restarted,
 * so that its devices can be watched failing over. Exits 0 after a stop, 1 once every node has died, 2 on bad usage.
 *
 * @example bun run cluster --nodes 3 --database-url postgres://postgres@127.0.0.1:5432/h627_cluster --base-port 8443
 */
import { type Subprocess, spawn } from 'bun';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pgClient } from '../db/client.ts';
import { DEFAULT_HTTP_PORT, DEFAULT_SRT_PORT } from '../lib/config.ts';
import { runtimeEnvFor } from '../lib/runtime-env.ts';
import { randomToken } from '../lib/secrets.ts';

/** The database when none is given: a local PostgreSQL trusting `postgres`, as scripts/setup.sh leaves it. */
export const DEFAULT_CLUSTER_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/h627_cluster';
/** Nodes when none are given: the smallest cluster that keeps a majority of its nodes after losing one. */
export const DEFAULT_CLUSTER_NODES = 3;
/** Most nodes on one machine: each is a process with its own pool of PG_POOL_SIZE connections. */
const MAX_NODES = 32;
/** Where the nodes' data dirs, the shared key, the shared store and the admin token go. */
const DEFAULT_DIR = './data/cluster';
/** Random bytes of the admin token (32 base64url characters, over ADMIN_TOKEN's minimum of 16). */
const ADMIN_TOKEN_BYTES = 24;
/** Highest TCP/UDP port. */
const MAX_PORT = 65_535;
/** Exit statuses. */
const EXIT_STOPPED = 0;
const EXIT_ALL_DIED = 1;
const EXIT_USAGE = 2;
/** How long the script waits to reach PostgreSQL before saying it cannot, seconds. */
const CONNECT_TIMEOUT_S = 5;
/** Signals this soon after the first are the same Ctrl-C, delivered twice (see stop()). */
const REPEAT_SIGNAL_WINDOW_MS = 1_000;
/** A database name the script creates: a plain identifier, so it needs no quoting rules. */
const DB_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ROOT = join(import.meta.dir, '..');

const USAGE = `usage: bun run cluster [--nodes ${DEFAULT_CLUSTER_NODES}] [--database-url ${DEFAULT_CLUSTER_DATABASE_URL}]
                       [--base-port ${DEFAULT_HTTP_PORT}] [--srt-base-port ${DEFAULT_SRT_PORT}] [--dir ${DEFAULT_DIR}]`;

/** What the script was asked for. */
interface ClusterArgs {
  nodes: number;
  databaseUrl: string;
  basePort: number;
  srtBasePort: number;
  dir: string;
}

function fail(message: string, status = EXIT_USAGE): never {
  process.stderr.write(`cluster: ${message}\n`);
  process.exit(status);
}

function int(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}, not "${text}"\n${USAGE}`);
  return n;
}

function parse(argv: string[]): ClusterArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        'database-url': { type: 'string' },
        'base-port': { type: 'string' },
        'srt-base-port': { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(EXIT_STOPPED);
  }
  const nodes = int('nodes', String(values.nodes ?? DEFAULT_CLUSTER_NODES), 1, MAX_NODES);
  const databaseUrl = String(values['database-url'] ?? DEFAULT_CLUSTER_DATABASE_URL);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) fail(`--database-url must be a postgres:// URL (the embedded database is always one node)`);
  return {
    nodes,
    databaseUrl,
    basePort: int('base-port', String(values['base-port'] ?? DEFAULT_HTTP_PORT), 1, MAX_PORT - nodes + 1),
    srtBasePort: int('srt-base-port', String(values['srt-base-port'] ?? DEFAULT_SRT_PORT), 1, MAX_PORT - nodes + 1),
    dir: resolve(String(values.dir ?? DEFAULT_DIR)),
  };
}

/** The URL with its password hidden, for printing. */
function shown(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Create the database `url` names on its server unless it exists. */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!DB_NAME.test(name)) fail(`--database-url must name a database (letters, digits, _), not "${name}"`);
  u.pathname = '/postgres';
  const admin = pgClient(u.toString(), { max: 1, onnotice: () => {}, connect_timeout: CONNECT_TIMEOUT_S });
  try {
    const found = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (found.length === 0) {
      await admin.unsafe(`CREATE DATABASE ${name}`);
      process.stdout.write(`cluster: created database ${name}\n`);
    }
  } catch (err) {
    fail(`cannot reach PostgreSQL at ${shown(u.toString())} to create ${name}: ${err instanceof Error ? err.message : String(err)}`, EXIT_ALL_DIED);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** The shared admin token: <dir>/admin-token, made once (mode 0600). */
function adminToken(dir: string): string {
  const file = join(dir, 'admin-token');
  if (!existsSync(file)) writeFileSync(file, `${randomToken(ADMIN_TOKEN_BYTES)}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/** Copy a child's stream to ours, each line prefixed with the node's id; `onLine` sees each line. */
async function relay(stream: ReadableStream<Uint8Array>, id: string, out: NodeJS.WriteStream, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      out.write(`${id} | ${line}\n`);
      onLine(line);
    }
  }
  if (buf) out.write(`${id} | ${buf}\n`);
}

/** A node as the script runs it. */
interface Node {
  id: string;
  httpPort: number;
  srtPort: number;
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url?: string;
}

const args = parse(process.argv.slice(2));
await ensureDatabase(args.databaseUrl);
mkdirSync(join(args.dir, 'cs'), { recursive: true });
const token = adminToken(args.dir);
const shared: Record<string, string> = {
  DATABASE_URL: args.databaseUrl,
  ADMIN_TOKEN: token,
  PLATFORM_KEY_FILE: join(args.dir, 'secret-key'),
  CS_DIR: join(args.dir, 'cs'),
  FILES_DIR: join(args.dir, 'files'),
  // Without TLS_CERT each node makes its own self-signed certificate, which its peers cannot verify: every forward
  // and console feed between nodes failed "self signed certificate" (docs/cluster.md, TLS between nodes).
  ...(process.env.TLS_CERT ? {} : { CLUSTER_TLS_INSECURE: '1' }),
};
// The platform as `bun run start` runs it: the allocator settings (lib/runtime-env.ts), unless already set.
const base = { ...runtimeEnvFor(), ...process.env } as Record<string, string>;

/** When the first stop signal came (performance.now()), once one has. */
let stopping: number | undefined;
const nodes: Node[] = [];
const alive = () => nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);

function summary(): void {
  const lines = [`cluster: ${nodes.length} nodes ready on ${shown(args.databaseUrl)} (files in ${args.dir})`];
  for (const n of nodes) lines.push(`cluster:   ${n.id}  ${n.url}  (SRT ${n.srtPort}, pid ${n.proc.pid})`);
  lines.push(`cluster: admin token ${token} (kept in ${join(args.dir, 'admin-token')})`);
  lines.push('cluster: Ctrl-C stops every node; a node that dies (try kill -9 <pid>) is not restarted');
  process.stdout.write(`${lines.join('\n')}\n`);
}

for (let i = 0; i < args.nodes; i++) {
  const id = `node-${i + 1}`;
  const dataDir = join(args.dir, id);
  mkdirSync(dataDir, { recursive: true });
  const httpPort = args.basePort + i;
  const srtPort = args.srtBasePort + i;
  const env = { ...base, ...shared, NODE_ID: id, DATA_DIR: dataDir, HTTP_PORT: String(httpPort), SRT_PORT: String(srtPort), HIBERNATION_PORT: '0' }; // hibernation: any free port each (Vs announces it)
  const proc = spawn(['bun', join(ROOT, 'main.ts')], { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const node: Node = { id, httpPort, srtPort, proc };
  nodes.push(node);
  relay(proc.stdout, id, process.stdout, (line) => {
    const ready = line.match(/^ready (https:\/\/\S+)/);
    if (!ready) return;
    node.url = ready[1];
    if (nodes.length === args.nodes && nodes.every((n) => n.url)) summary();
  }).catch(() => {});
  relay(proc.stderr, id, process.stderr, () => {}).catch(() => {});
  proc.exited.then((code) => {
    if (stopping !== undefined) return;
    const how = proc.signalCode ? `was killed (${proc.signalCode})` : `exited with status ${code}`;
    process.stdout.write(`cluster: ${id} ${how}; not restarted (${alive().length} of ${nodes.length} nodes left)\n`);
    if (alive().length === 0) {
      process.stdout.write('cluster: every node has died\n');
      process.exit(EXIT_ALL_DIED);
    }
  });
}

/**
 * Stop every node (SIGTERM: each flushes and exits 0). Ctrl-C reaches every process of the terminal's group, and
 * `bun run` passes it on once more: signals within REPEAT_SIGNAL_WINDOW_MS of the first are that same one. A signal
 * after that kills the nodes still running.
 */
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping !== undefined) {
    if (performance.now() - stopping < REPEAT_SIGNAL_WINDOW_MS) return;
    process.stdout.write(`cluster: ${signal} again: killing ${alive().length} nodes\n`);
    for (const n of alive()) n.proc.kill('SIGKILL');
    return;
  }
  stopping = performance.now();
  process.stdout.write(`cluster: ${signal}: stopping ${alive().length} nodes\n`);
  for (const n of alive()) n.proc.kill('SIGTERM');
  const codes = await Promise.all(nodes.map((n) => n.proc.exited));
  process.stdout.write(`cluster: stopped (exit statuses ${nodes.map((n, i) => `${n.id} ${codes[i]}`).join(', ')})\n`);
  process.exit(EXIT_STOPPED);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
