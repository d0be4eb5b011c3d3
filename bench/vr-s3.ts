/**
 * `bun run bench vr --storage s3` (issue 24's benchmark): 64 at a time (default), the Vr cycles of
 * many PUs (default 4 per worker: each camera well within its channel's Vr request budget, as real
 * cameras are; a 429 is honoured) run back to back against a platform that stores in S3, so each PUT goes straight to the store through the
 * presigned URL the create answered. In the same run, beside it:
 * - the store's raw rate: presigned PUTs of the same size with the same concurrency, no platform
 *   (goal: the platform's cycles at least 0.8x of it);
 * - the same cycles with the local-disk backend (a second platform process and database): the
 *   platform's CPU per cycle (goal: at least 5x lower on S3, the bytes no longer pass through it)
 *   and the metadata-only pairs per second (goal: unchanged within noise).
 * The store is the S3_* environment's when S3_ENDPOINT is set (the same settings the platform
 * reads), else a throw-away RADOS Gateway (scripts/s3-server.ts; objects in RAM: keep runs short).
 *
 * The platform's CPU is counted over each measured window only (not its warm-up), split by thread: the main thread,
 * JavaScriptCore's JIT compilers (busy for tens of seconds in a young process), the others.
 * On PostgreSQL it also prints what the database did a cycle over each window (statements, rows by table, WAL).
 *
 * Options: --seconds 15 --pus 64 (the concurrency) --cameras 256 --size 262144 --db postgres|pglite --meta-seconds 10 --raw-seconds 10 --fsync 1
 *          --warmup-seconds 10 (before each window of the platforms) --settle-seconds 60 (small segments first, unmeasured)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { S3Storage } from '../media/cs/index.ts';
import { type S3Server, startS3Server } from '../scripts/s3-server.ts';
import { loadStorageConfig } from '../services/recording/storage-config.ts';
import { benchDb, machineNote, parseArgs, type PgProcess, postgresCpuByRole, postgresProcesses, selfCpuSeconds, storeCpuSeconds, table } from './lib.ts';
import { benchPlatform, Lat, recordingPus, run, UPLOADED_LOCAL, UPLOADED_S3, WARMUP_MS } from './vr-lib.ts';

const args = parseArgs(process.argv.slice(2));
const SECONDS = Number(args.seconds ?? 15);
const PUS = Number(args.pus ?? 64);
/** Cameras whose cycles the PUS workers take in turn (the per-channel Vr budget, 5 requests/s, is not the limit). */
const CAMERAS = Number(args.cameras ?? PUS * 4);
const SIZE = Number(args.size ?? 256 * 1024);
const KIND = (args.db ?? 'postgres') as 'postgres' | 'pglite';
const FSYNC = (args.fsync ?? '1') === '1';
const META_SECONDS = Number(args['meta-seconds'] ?? Math.min(SECONDS, 10));
const RAW_SECONDS = Number(args['raw-seconds'] ?? Math.min(SECONDS, 10));
/** Cycles before each measured window of a platform (of that window's kind: its size, its rate). */
const WARMUP_SECONDS = Number(args['warmup-seconds'] ?? 10);
/**
 * Cycles of small segments each platform runs first, unmeasured: the same requests (create, HEAD, confirm, presign),
 * so that the windows measure a platform that has run for a while, not a young process whose JIT compilers are still
 * busy with its hot code (about 100 µs a cycle in its first 30 s, 5–10 ms/s after a minute). Small, so that a
 * throw-away store (objects in RAM) does not fill.
 */
const SETTLE_SECONDS = Number(args['settle-seconds'] ?? 60);
/** Bytes of a settling cycle's segment. */
const SETTLE_SIZE = 4096;
/** RAM the throw-away store may hold: every segment of the run stays there (about 1,000 cycles/s × 30 s × 256 KiB fit). */
const MEMSTORE_BYTES = 8 * 1024 * 1024 * 1024;
/** Life of a raw PUT's presigned URL. */
const RAW_URL_TTL_S = 600;
/**
 * Before a metadata window, the store is let settle: a previous run's PUTs can leave it flushing for a while on the
 * cores the platform shares (its CPU above its idle share by less than this, in samples of QUIET_SAMPLE_MS, at most
 * QUIET_WAIT_MAX_MS). Both backends' windows wait alike; the output says how long, and the store's CPU in them.
 */
const QUIET_STORE_SHARE_ABOVE_IDLE = 0.05;
const QUIET_SAMPLE_MS = 1_000;
const QUIET_WAIT_MAX_MS = 30_000;
/** The goals of issue 24. */
const GOAL_RAW_RATIO = 0.8;
const GOAL_CPU_RATIO = 5;

/** The store: the environment's, or a throw-away one. */
async function openStore(): Promise<{ env: Record<string, string>; storage: S3Storage; server?: S3Server }> {
  if (process.env.S3_ENDPOINT) {
    const cfg = loadStorageConfig({ ...process.env, CS_BACKEND: 's3' });
    if (cfg.backend !== 's3') throw new Error('unreachable');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && (k.startsWith('S3_') || k === 'PUBLIC_S3_ENDPOINT')));
    return { env: { ...(env as Record<string, string>), CS_BACKEND: 's3' }, storage: new S3Storage(cfg) };
  }
  const server = await startS3Server({ memstoreBytes: MEMSTORE_BYTES });
  const { backend: _, ...o } = loadStorageConfig(server.env) as Extract<ReturnType<typeof loadStorageConfig>, { backend: 's3' }>;
  return { env: server.env, storage: new S3Storage(o), server };
}

/** The store's CPU over one sample, as a share of a core. */
async function storeShare(): Promise<number> {
  const c0 = storeCpuSeconds();
  await Bun.sleep(QUIET_SAMPLE_MS);
  return (storeCpuSeconds() - c0) / (QUIET_SAMPLE_MS / 1000);
}

/** Wait until the store is back near its idle share (above); how long that took, ms. */
async function storeSettled(idleShare: number): Promise<number> {
  const t0 = performance.now();
  while ((await storeShare()) > idleShare + QUIET_STORE_SHARE_ABOVE_IDLE && performance.now() - t0 < QUIET_WAIT_MAX_MS);
  return performance.now() - t0;
}

/** What PostgreSQL has done so far: the bench database's transactions and rows written by table, the server's WAL. */
async function pgCounts(db: Db): Promise<{ xacts: number; wal: number; fpi: number; tables: Map<string, number>; procs: Map<number, PgProcess> }> {
  const procs = postgresProcesses();
  const [d] = await db.rows<{ xacts: number; wal: number; fpi: number }>(sql`SELECT xact_commit::float8 AS xacts,
      (SELECT wal_bytes::float8 FROM pg_stat_wal) AS wal, (SELECT wal_fpi::float8 FROM pg_stat_wal) AS fpi
    FROM pg_stat_database WHERE datname = current_database()`);
  const t = await db.rows<{ name: string; n: number }>(sql`SELECT relname AS name, (n_tup_ins + n_tup_upd + n_tup_del)::float8 AS n
    FROM pg_stat_user_tables`);
  return { ...d!, tables: new Map(t.map((r) => [r.name, r.n])), procs };
}

/** PostgreSQL's work a cycle between two readings: transactions, rows by table (most first), WAL bytes and full-page images. */
function pgPer(a: Awaited<ReturnType<typeof pgCounts>>, b: Awaited<ReturnType<typeof pgCounts>>, cycles: number) {
  const tables = [...b.tables].map(([name, n]) => [name, (n - (a.tables.get(name) ?? 0)) / cycles] as const).filter(([, n]) => n > 0);
  tables.sort((x, y) => y[1] - x[1]);
  const us = (sec: number) => Math.round((sec / cycles) * 1e6);
  const roles = [...postgresCpuByRole(a.procs, b.procs)].filter(([, c]) => us(c.user + c.system) > 0);
  roles.sort((x, y) => y[1].user + y[1].system - (x[1].user + x[1].system));
  return {
    cpu: roles.map(([role, c]) => `${role} ${us(c.user + c.system)} (user ${us(c.user)}, system ${us(c.system)})`).join(', '),
    xacts: (b.xacts - a.xacts) / cycles,
    rows: tables.reduce((sum, [, n]) => sum + n, 0),
    tables: tables.map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', '),
    wal: (b.wal - a.wal) / cycles,
    fpi: (b.fpi - a.fpi) / cycles,
  };
}

/** One platform (its own database and data directory) with `env`: metadata only, then the cycles with SIZE bytes; CPU of each. */
async function measure(label: string, env: Record<string, string>, uploaded: number, atRate = 0) {
  const b = await benchDb(KIND, `vr_${label}`);
  if (b.dir) await b.db.close(); // PGlite is single-process: the platform opens it
  const dataDir = b.dir ?? mkdtempSync(join(tmpdir(), `h627-bench-vr-${label}-`));
  const platform = await benchPlatform(dataDir, b.url ?? '', FSYNC, env, args.profile);
  try {
    const pus = await recordingPus(platform.url, CAMERAS, SIZE);
    const base = Math.floor(Date.now() / 1000) - 86_400;
    const window = { platformPid: platform.proc.pid, warmupMs: WARMUP_SECONDS * 1000 };
    if (SETTLE_SECONDS > 0) {
      const settle = await run(pus, SETTLE_SIZE, SETTLE_SECONDS, base - 200_000, 0, uploaded, PUS, { warmupMs: 0 });
      console.log(`${label}: settled with ${settle.cycles} cycles of ${SETTLE_SIZE} B in ${SETTLE_SECONDS} s (unmeasured), ${settle.errors} errors`);
    }
    // Metadata first, on a process both backends have brought to the same point (the settling): after the S3 data
    // window the S3 platform's pairs ran 0.88-0.91x the local disk's in four runs (2026-12-07), in this order 0.99x.
    const settledMs = await storeSettled(storeIdleShare);
    const meta = await run(pus, 0, META_SECONDS, base + 50_000, 0, uploaded, PUS, window);
    // PostgreSQL's statistics reach pg_stat_database within about a second of a transaction: each reading misses the
    // last second before it, the warm-up's (same rate) at the start and the window's at the end, which about cancel.
    const full = await run(pus, SIZE, SECONDS, base, 0, uploaded, PUS, { ...window, ...(b.dir ? {} : { sample: () => pgCounts(b.db) }) });
    const [pg0, pg1] = full.samples;
    const pgPerCycle = pg0 && pg1 && pgPer(pg0, pg1, full.cycles);
    // The same cycles offered at another backend's rate (open loop): what each costs when as many come a second. A lone
    // request's commit is not shared with others, so a cycle costs more at a lower rate, whatever the backend.
    const paced = atRate > 0 ? await run(pus, SIZE, SECONDS, base + 100_000, atRate, uploaded, PUS, window) : undefined;
    for (const p of pus) p.ws.close();
    const per = (r: { cycles: number; cpu: { platform?: { total: number } } } | undefined) => (r ? (r.cpu.platform?.total ?? NaN) / r.cycles : NaN);
    return { full, meta, paced, settledMs, pgPerCycle, fullCpu: per(full), metaCpu: per(meta), pacedCpu: per(paced) };
  } finally {
    platform.proc.kill('SIGTERM');
    await platform.proc.exited;
    await b.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Presigned PUTs of SIZE bytes straight to the store, PUS at a time, back to back: the store's own rate. */
async function rawPuts(storage: S3Storage, seconds: number) {
  const body = new Uint8Array(SIZE).fill(0x47);
  const lat = new Lat();
  let puts = 0;
  let errors = 0;
  let measuring = false;
  let running = true;
  const workers = Array.from({ length: PUS }, async (_, k) => {
    for (let n = 0; running; n++) {
      const t = performance.now();
      const r = await fetch(storage.direct.putUrl(`raw/${k}/${n}.ts`, SIZE, RAW_URL_TTL_S), { method: 'PUT', body });
      await r.arrayBuffer();
      if (r.status !== UPLOADED_S3) errors++;
      else if (measuring) {
        lat.add(performance.now() - t);
        puts++;
      }
    }
  });
  await Bun.sleep(WARMUP_MS);
  measuring = true;
  const t0 = performance.now();
  const store0 = storeCpuSeconds();
  const self0 = selfCpuSeconds();
  await Bun.sleep(seconds * 1000);
  measuring = false;
  const storeCpu = storeCpuSeconds() - store0;
  const selfCpu = selfCpuSeconds() - self0;
  const s = (performance.now() - t0) / 1000;
  running = false;
  await Promise.all(workers);
  return { perS: puts / s, lat, errors, storeCpu, selfCpu, puts };
}

console.log(
  `bench vr --storage s3: ${PUS} at a time over ${CAMERAS} PUs, ${SIZE} B segments, ${SECONDS} s (metadata-only ${META_SECONDS} s, raw PUTs ${RAW_SECONDS} s), ${KIND}`,
);
console.log(machineNote());
const store = await openStore();
/** The store's own CPU when nothing is asked of it (the least of three one-second samples after it started). */
const storeIdleShare = Math.min(await storeShare(), await storeShare(), await storeShare());
try {
  const s3 = await measure('s3', store.env, UPLOADED_S3);
  const raw = await rawPuts(store.storage, RAW_SECONDS);
  const local = await measure('local', { CS_BACKEND: 'local' }, UPLOADED_LOCAL, Math.round(s3.full.perS));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const row = (name: string, r: typeof s3) => ({
    backend: name,
    'cycles/s': Math.round(r.full.perS),
    'create p50 ms': r.full.create.p(50),
    'create p99 ms': r.full.create.p(99),
    'put p50 ms': r.full.put.p(50),
    'put p99 ms': r.full.put.p(99),
    'platform µs/cycle': Math.round(r.fullCpu * 1e6),
    'meta pairs/s': Math.round(r.meta.perS),
    'platform µs/pair': Math.round(r.metaCpu * 1e6),
    errors: r.full.errors + r.meta.errors,
    '429s': r.full.refused + r.meta.refused,
  });
  console.log(`\nVr cycles through the platform (create + previous confirmed, PUT), ${PUS} at a time over ${CAMERAS} PUs, back to back`);
  console.log(table([row('s3', s3), row('local disk', local)]));
  const split = (name: string, r: (typeof s3)['full']) => {
    const p = r.cpu.platform!;
    const us = (x: number) => Math.round((x / r.cycles) * 1e6);
    return {
      backend: name,
      'cycles/s': Math.round(r.perS),
      'µs/cycle': us(p.total),
      'main thread': us(p.main),
      'JIT compilers': us(p.jit),
      'other threads': us(p.total - p.main - p.jit),
    };
  };
  console.log(`\nthe platform's CPU per cycle by thread, over the measured windows only`);
  console.log(table([split('s3', s3.full), split('local disk', local.full), ...(local.paced ? [split('local disk, S3 rate', local.paced)] : [])]));
  for (const [name, r] of [
    ['S3', s3],
    ['local disk', local],
  ] as const)
    if (r.pgPerCycle)
      console.log(
        `PostgreSQL a cycle over the ${name} window: ${r.pgPerCycle.xacts.toFixed(2)} transactions, ${r.pgPerCycle.rows.toFixed(1)} rows written ` +
          `(${r.pgPerCycle.tables}), ${Math.round(r.pgPerCycle.wal)} B of WAL with ${r.pgPerCycle.fpi.toFixed(2)} full-page images (the server's); ` +
          `its processes' CPU, µs: ${r.pgPerCycle.cpu}`,
      );
  console.log(`\nthe store alone: presigned PUTs of ${SIZE} B, ${PUS} at a time, no platform`);
  console.log(table([{ 'PUTs/s': Math.round(raw.perS), 'p50 ms': raw.lat.p(50), 'p99 ms': raw.lat.p(99), errors: raw.errors }]));
  if (store.server) {
    // Everything shares the 2 cores: what a cycle costs the machine beside what a raw PUT does bounds the raw-rate ratio.
    const us = (sec: number, n: number) => Math.round((sec / n) * 1e6);
    const c = s3.full.cpu;
    const cycle = {
      store: us(c.store, s3.full.cycles),
      platform: us(c.platform!.total, s3.full.cycles),
      pg: us(c.pg, s3.full.cycles),
      cams: us(c.self, s3.full.cycles),
    };
    const put = { store: us(raw.storeCpu, raw.puts), cams: us(raw.selfCpu, raw.puts) };
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    console.log(
      `CPU on this machine, µs: an S3 cycle ${sum(cycle)} (the store ${cycle.store}, the platform ${cycle.platform}, PostgreSQL ${cycle.pg}, ` +
        `the bench's cameras ${cycle.cams}); a raw PUT ${sum(put)} (the store ${put.store}, the bench ${put.cams}): ${ratio(sum(put), sum(cycle))}x`,
    );
  }
  if (local.paced)
    console.log(
      `\nlocal disk at the S3 run's rate (${Math.round(s3.full.perS)} cycles/s offered, open loop): ${Math.round(local.paced.perS)}/s done, ` +
        `platform ${Math.round(local.pacedCpu * 1e6)} µs/cycle, ${local.paced.errors} errors`,
    );
  // The store's CPU in each metadata window, as a share of a core: what shared the cores with the platform there.
  const metaStore = (r: (typeof s3)['meta']) => `${Math.round((r.cpu.store / (r.cycles / r.perS)) * 100)} %`;
  console.log(
    `\nmetadata windows, after the store settled (${Math.round(s3.settledMs / 1000)} s and ${Math.round(local.settledMs / 1000)} s): ` +
      `the store's CPU ${metaStore(s3.meta)} (S3), ${metaStore(local.meta)} (local disk) of a core, ${Math.round(storeIdleShare * 100)} % idle`,
  );
  const firsts = [s3.full.firstError, s3.meta.firstError, local.full.firstError, local.meta.firstError].filter(Boolean);
  if (firsts.length) console.log(`first errors: ${firsts.join(' / ')}`);
  /** CPU per cycle of a window but for the JIT compilers' threads (a young process's compilations, not a cycle's cost). */
  const exJit = (r: (typeof s3)['full']) => (r.cpu.platform!.total - r.cpu.platform!.jit) / r.cycles;
  console.log(
    `\ncycles/s on S3 / the store's raw PUTs/s: ${ratio(s3.full.perS, raw.perS)}x (goal >= ${GOAL_RAW_RATIO}x); ` +
      `platform CPU per cycle, local / S3: ${ratio(local.fullCpu, s3.fullCpu)}x lower on S3 at each one's own rate, ` +
      `${ratio(local.pacedCpu, s3.fullCpu)}x at the same rate (goal >= ${GOAL_CPU_RATIO}x), ` +
      `${local.paced ? ratio(exJit(local.paced), exJit(s3.full)) : 'NaN'}x at the same rate without the JIT compilers' threads; ` +
      `metadata pairs/s, S3 / local: ${ratio(s3.meta.perS, local.meta.perS)}x (goal: unchanged within noise)`,
  );
  console.log(machineNote());
} finally {
  await store.server?.stop();
}
