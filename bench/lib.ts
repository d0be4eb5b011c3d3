/** Shared helpers of the benchmarks: argument parsing, fresh databases, CPU accounting, percentiles, tables. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../db/scratch.ts';
import { openDb, type Db } from '../db/client.ts';
import { missingRuntimeEnv, RUNTIME_ENV } from '../lib/runtime-env.ts';

/** PostgreSQL server the benchmarks use (CI's and the README's). */
export const BENCH_PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Clock ticks per second of /proc CPU counters (USER_HZ on Linux). */
const USER_HZ = 100;

/** `--name value` arguments as a record. */
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        out[a.slice(2)] = next;
        i++;
      } else out[a.slice(2)] = 'true';
    }
  }
  return out;
}

/** A database made for one benchmark run, and how to drop it. */
export interface BenchDb {
  kind: 'postgres' | 'pglite';
  db: Db;
  url?: string;
  dir?: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of the given kind. */
export async function benchDb(kind: 'postgres' | 'pglite', label: string): Promise<BenchDb> {
  if (kind === 'postgres') {
    const scratch = await createScratchDatabase(BENCH_PG_URL, `h627_bench_${label}`);
    const db = await openDb({ url: scratch.url });
    return {
      kind,
      db,
      url: scratch.url,
      drop: async () => {
        await db.close().catch(() => {});
        await scratch.drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `h627-bench-${label}-`));
  const db = await openDb({ pgliteDir: join(dir, 'pg') });
  return {
    kind,
    db,
    dir,
    drop: async () => {
      await db.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Page size of /proc statm counts. */
const PAGE_BYTES = 4096;

/** The fields of a /proc `stat` file after the command name (field 3 on is index 0 here). */
export function statFields(path: string): string[] {
  return readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
}

/** The nice value in a /proc `stat` file (field 19): of a process, or of one of its threads. */
export function statNice(path: string): number {
  return Number(statFields(path)[16]);
}

/** Bun's flags for a CPU profile of a spawned platform written to `dir` (a diagnostic run), or none. */
export function cpuProfileArgs(dir: string | undefined): string[] {
  return dir ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${dir}`] : [];
}

/** CPU seconds (user + system) in a /proc `stat` file: of a process, or of one of its threads. */
export function statCpuSeconds(path: string): number {
  const f = statFields(path);
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

/** CPU seconds used so far by a process. */
export function procCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** Threads whose names are JavaScriptCore's compilers (a young process compiles its hot code for a while). */
const JIT_THREADS = new Set(['JITWorker', 'JSCWarmUp']);

/** A process's CPU seconds so far, and each of its threads' with the thread's name. */
export interface ThreadCpu {
  total: number;
  threads: Map<number, { name: string; cpu: number }>;
}

/** CPU seconds used so far by a process and by each of its threads. */
export function procThreadCpu(pid: number): ThreadCpu {
  const threads = new Map<number, { name: string; cpu: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), cpu: statCpuSeconds(`/proc/${pid}/task/${tid}/stat`) });
    } catch {
      // the thread ended between the listing and the reading
    }
  }
  return { total: procCpuSeconds(pid), threads };
}

/**
 * The CPU seconds a process used between two readings, split: its main thread (the event loop: the JavaScript, the
 * sockets), the JIT compilers' threads (JavaScriptCore starts and ends them as it needs), and the rest (the HTTP
 * client's, the allocator's, the collector's helpers…). A thread that ended in between took its seconds with it: what
 * it used in the window is in the total, and so counted with the rest.
 */
export function cpuBetween(a: ThreadCpu, b: ThreadCpu, pid: number): { total: number; main: number; jit: number } {
  let main = 0;
  let jit = 0;
  for (const [tid, t] of b.threads) {
    const used = t.cpu - (a.threads.get(tid)?.cpu ?? 0);
    if (tid === pid) main += used;
    else if (JIT_THREADS.has(t.name)) jit += used;
  }
  return { total: b.total - a.total, main, jit };
}

/** Resident memory of a process now. */
export function procRssBytes(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
}

/** CPU seconds used so far by all the processes on this machine whose command name is one of `commands`. */
export function commandsCpuSeconds(commands: ReadonlySet<string>): number {
  let s = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!commands.has(readFileSync(`/proc/${d}/comm`, 'utf8').trim())) continue;
      s += procCpuSeconds(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return s;
}

const POSTGRES_COMMANDS = new Set(['postgres']);
/** CPU seconds used so far by all PostgreSQL server processes on this machine. */
export function postgresCpuSeconds(): number {
  return commandsCpuSeconds(POSTGRES_COMMANDS);
}

/** A PostgreSQL server process: what it does (its title) and its CPU so far, user and system apart. */
export interface PgProcess {
  /** `walwriter`, `autovacuum worker`, `checkpointer`…, or `backend <database>` for a client's connection. */
  role: string;
  user: number;
  system: number;
}

/**
 * PostgreSQL's processes on this machine by pid, each with its role (from its process title: `postgres: walwriter`,
 * `postgres: <user> <database> <client> <activity>`, after Debian's cluster name) and CPU seconds, so that a window's CPU can be split by role.
 */
export function postgresProcesses(): Map<number, PgProcess> {
  const out = new Map<number, PgProcess>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      // Debian's titles name the cluster first: `postgres: 15/main: walwriter`.
      const words = title.replace(/^postgres:\s*(\S+:\s+)?/, '').split(/\s+/);
      // A client's backend names its user, database and client address (`127.0.0.1(5678)` or `[local]`).
      const role = /^(\d|\[local\])/.test(words[2] ?? '') ? `backend ${words[1]}` : title.startsWith('postgres:') ? words.join(' ') : 'postmaster';
      const f = statFields(`/proc/${d}/stat`);
      out.set(Number(d), { role, user: Number(f[11]) / USER_HZ, system: Number(f[12]) / USER_HZ });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds by role between two readings of {@link postgresProcesses}: of the processes in both, and all of those
 * started in between; a process that ended in between is not counted (its CPU is lost to /proc).
 */
export function postgresCpuByRole(a: Map<number, PgProcess>, b: Map<number, PgProcess>): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  for (const [pid, p] of b) {
    const before = a.get(pid);
    const r = out.get(p.role) ?? { user: 0, system: 0 };
    r.user += p.user - (before?.user ?? 0);
    r.system += p.system - (before?.system ?? 0);
    out.set(p.role, r);
  }
  return out;
}

/** The processes of an S3 store on this machine (scripts/s3-server.ts starts these three): their CPU is the store's. */
const STORE_COMMANDS = new Set(['radosgw', 'ceph-osd', 'ceph-mon']);
/** CPU seconds used so far by the S3 store's processes on this machine (none when the store is elsewhere). */
export function storeCpuSeconds(): number {
  return commandsCpuSeconds(STORE_COMMANDS);
}

/** CPU seconds used so far by this process. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The p-th percentile (0–100) of unsorted samples. */
export function percentile(samples: number[] | Float64Array, p: number): number {
  if (samples.length === 0) return NaN;
  const s = Float64Array.from(samples).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Print rows as an aligned text table. */
export function table(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(width[i]!)).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => fmt(r[c] ?? ''))))].join('\n');
}

/** Load average and CPU count, printed with every result (other load skews every figure). */
export function machineNote(): string {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const missing = missingRuntimeEnv();
  const settings = Object.keys(RUNTIME_ENV)
    .map((k) => `${k}=${process.env[k] ?? 'unset'}`)
    .join(' ');
  return `machine: ${navigator.hardwareConcurrency} cpus, load average ${load}, bun ${Bun.version}; ${settings}${missing.length ? " (not the platform's runtime settings: run benches with `bun run bench`)" : ''}`;
}

/** Bytes hashed by {@link referenceSpeed}. */
const REFERENCE_BYTES = 64 * 2 ** 20;

/**
 * How fast this machine's core is right now: SHA-256 over 64 MiB in this thread, MB/s. Printed
 * with each load benchmark, so runs on different days (or on a host that is busier) can be told
 * apart from a change in the code.
 */
export function referenceSpeed(): number {
  const data = new Uint8Array(2 ** 20).fill(7);
  const t0 = performance.now();
  const h = new Bun.CryptoHasher('sha256');
  for (let done = 0; done < REFERENCE_BYTES; done += data.length) h.update(data);
  h.digest();
  return REFERENCE_BYTES / 1e6 / ((performance.now() - t0) / 1000);
}

/** The machine's CPU time so far (/proc/stat, all cores, in ticks): busy, idle and stolen by the hypervisor. */
export function machineCpuTicks(): { busy: number; idle: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** Share of the machine's CPU time the hypervisor took between two readings, %. */
export function stealPercent(a: ReturnType<typeof machineCpuTicks>, b: ReturnType<typeof machineCpuTicks>): number {
  const total = b.busy + b.idle + b.steal - (a.busy + a.idle + a.steal);
  return total > 0 ? (100 * (b.steal - a.steal)) / total : 0;
}

/** Device id of the i-th simulated PU of a load benchmark. */
export function benchDeviceId(i: number): string {
  return `BENCH-${String(i).padStart(6, '0')}`;
}

/** The bench PUs' MAC addresses start here (12 hex digits, one per PU index). */
const BENCH_MAC_BASE = 0xa0b1c2000000;

/** MAC address of the i-th simulated PU. */
export function benchMac(i: number): string {
  return (BENCH_MAC_BASE + i).toString(16).padStart(12, '0');
}

/** Count one more failure for its reason (a device's own URL in it counted as one reason, whichever device). */
export function countReason(m: Map<string, number>, why: string): void {
  why = why.replace(/'wss:\/\/[^']*'/g, 'to /Vd');
  m.set(why, (m.get(why) ?? 0) + 1);
}

/** The five most counted reasons, as "N× reason; …". */
export function topReasons(m: Map<string, number>): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k, n]) => `${n}× ${k}`)
    .join('; ');
}
