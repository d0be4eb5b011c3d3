/**
 * `bun run bench vr`: the recording path under load. N PUs (default 64) log in over Vd, are told
 * to record (StartRecord), and each runs the Vr cycle back to back against a real platform
 * process: `create` (confirming the previous segment, 9.3.4.1.3) → PUT of the segment → … with
 * 256 KiB segments for 60 s. Reports segment cycles per second, upload MB/s and p50/p99 of each
 * op; beside it, in the same run, the disk's own rate for the same writes (the segment storage's
 * put, same size, concurrency and fsync, without HTTP or actors: the limit) and a metadata-only
 * run (0-byte segments: create+save pairs, nothing to upload), and the CPU each side used. Then
 * the latency of each op at half those rates and at the goals' rates (open loop), since a closed
 * loop at saturation measures only its own queue (64 PUs / rate).
 *
 * Options: --seconds 60 --pus 64 (the concurrency) --cameras 1024 --size 262144 --db postgres|pglite --fsync 1 --meta-seconds 30 --disk-seconds 20 --steady-seconds 15
 * --storage local|s3 (s3: vr-s3.ts)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgClient as postgresClient } from '../db/client.ts';
import { LocalDiskStorage } from '../media/cs/index.ts';
import { benchDb, machineNote, parseArgs, procCpuSeconds, table } from './lib.ts';
import { platformHistogram, platformLoopDelays, stallsBetween, type LoopDelays } from './platform.ts';
import { benchPlatform, Lat, recordingPus, run, WARMUP_MS } from './vr-lib.ts';

const args = parseArgs(process.argv.slice(2));
// The S3 backend has its own run (vr-s3.ts): the store's raw PUT rate beside the platform's, and the local disk's CPU for comparison.
if (args.storage === 's3') {
  await import('./vr-s3.ts');
  process.exit(0);
} else if (args.storage !== undefined && args.storage !== 'local') throw new Error(`--storage must be local or s3, not ${args.storage}`);
const SECONDS = Number(args.seconds ?? 60);
const PUS = Number(args.pus ?? 64);
/**
 * Cameras whose cycles the PUS workers take in turn: a channel's Vr budget (5 requests/s, burst 200) holds one camera
 * far below the rates measured here, so enough cameras that the budget is not the limit at the metadata goal (5,000/s).
 */
const CAMERAS = Number(args.cameras ?? PUS * 16);
const SIZE = Number(args.size ?? 256 * 1024);
const KIND = (args.db ?? 'postgres') as 'postgres' | 'pglite';
const FSYNC = (args.fsync ?? '1') === '1';
const META_SECONDS = Number(args['meta-seconds'] ?? Math.min(SECONDS, 30));
const DISK_SECONDS = Number(args['disk-seconds'] ?? Math.min(SECONDS, 20));
const STEADY_SECONDS = Number(args['steady-seconds'] ?? 15);
/** Goals of issue #5 on a 2-core machine. */
const GOAL_CYCLES_PER_S = 500;
const GOAL_META_PAIRS_PER_S = 5000;
const GOAL_P99_MS = 40;
/** What counts as a tail event in the platform's own histograms (loop delay, commit duration). */
const TAIL_S = 0.02;

/** The same writes straight into the segment storage (same size, concurrency, fsync): the disk's limit for this path. */
async function disk(dir: string, size: number, concurrency: number, seconds: number) {
  const cs = new LocalDiskStorage({ root: dir, fsync: FSYNC });
  const body = new Uint8Array(size).fill(0x47);
  const lat = new Lat();
  let files = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, k) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        // The body arrives in 64 KiB chunks, as it does from an HTTP request.
        await cs.put(
          `d${k}/${n}.ts`,
          (async function* () {
            for (let o = 0; o < size; o += 65536) yield body.subarray(o, o + 65536);
          })(),
          size,
        );
        lat.add(performance.now() - t);
        files++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { filesPerS: files / s, mbPerS: (files * size) / s / 1e6, lat };
}

console.log(
  `bench vr: ${PUS} at a time over ${CAMERAS} PUs, ${SIZE} B segments, ${SECONDS} s (metadata-only ${META_SECONDS} s, disk ${DISK_SECONDS} s), ${KIND}, fsync ${FSYNC ? 'on' : 'off'}`,
);
console.log(machineNote());
const b = await benchDb(KIND, 'vr');
/** Transactions PostgreSQL committed in the bench database so far (statements, as the platform sends them one by one). */
async function transactions(): Promise<number> {
  if (KIND !== 'postgres') return NaN;
  const c = postgresClient(b.url!, { max: 1, onnotice: () => {} });
  const [r] = await c`SELECT xact_commit::float8 AS n FROM pg_stat_database WHERE datname = current_database()`;
  await c.end();
  return Number(r!.n);
}
if (b.dir) await b.db.close(); // PGlite is single-process: the platform opens it
const dataDir = b.dir ?? mkdtempSync(join(tmpdir(), 'h627-bench-vr-'));
const platform = await benchPlatform(dataDir, b.url ?? '', FSYNC, {}, args.profile);
const url = platform.url;
const pid = platform.proc.pid;
try {
  // Provision and log in the PUs, then start a record session on each.
  const pus = await recordingPus(url, CAMERAS, SIZE);
  const base = Math.floor(Date.now() / 1000) - 86_400;
  const c0 = procCpuSeconds(pid);
  const full = SECONDS > 0 ? await run(pus, SIZE, SECONDS, base, 0, undefined, PUS) : await run(pus.slice(0, 1), SIZE, 0.1, base);
  const fullCpu = procCpuSeconds(pid) - c0;
  const c1 = procCpuSeconds(pid);
  const x0 = await transactions();
  const meta = await run(pus, 0, META_SECONDS, base + 50_000, 0, undefined, PUS);
  const metaCpu = procCpuSeconds(pid) - c1;
  const metaXacts = (await transactions()) - x0;
  // Latency at a steady half of the measured rate (the closed loop above measures it saturated).
  // Where a tail comes from: the platform's event loop (a stall delays every request) or its
  // group commits (a slow PostgreSQL statement delays the requests waiting for it).
  const tails = async () => ({ loop: await platformLoopDelays(url), commit: await platformHistogram(url, 'h627_commit_latency_seconds') });
  const tailsBetween = (a: { loop: LoopDelays; commit: LoopDelays }, b: { loop: LoopDelays; commit: LoopDelays }) => {
    const loop = stallsBetween(a.loop, b.loop, TAIL_S);
    const commit = stallsBetween(a.commit, b.commit, TAIL_S);
    // Counted from the first histogram bucket at or above TAIL_S: "over" that bucket's bound.
    const bound = (h: LoopDelays) => (h.le.find((le) => le >= TAIL_S) ?? TAIL_S) * 1000;
    return (
      `event loop ${loop.over} of ${b.loop.count - a.loop.count} probes over ${bound(b.loop)} ms late (longest ${loop.longest}); ` +
      `commits ${commit.over} of ${b.commit.count - a.commit.count} over ${bound(b.commit)} ms (longest ${commit.longest})`
    );
  };
  const steadyRate = Math.max(1, Math.round(full.perS / 2));
  const t0 = await tails();
  const steady = await run(pus, SIZE, STEADY_SECONDS, base + 100_000, steadyRate, undefined, PUS);
  const t1 = await tails();
  const steadyMetaRate = Math.max(1, Math.round(meta.perS / 2));
  const steadyMeta = await run(pus, 0, STEADY_SECONDS, base + 150_000, steadyMetaRate, undefined, PUS);
  const t2 = await tails();
  // And at the goals' own rates: the goal is those rates with p99 under GOAL_P99_MS.
  const goal = await run(pus, SIZE, STEADY_SECONDS, base + 200_000, GOAL_CYCLES_PER_S, undefined, PUS);
  const t3 = await tails();
  const goalMeta = await run(pus, 0, STEADY_SECONDS, base + 250_000, GOAL_META_PAIRS_PER_S, undefined, PUS);
  const t4 = await tails();
  const steadyTails = [
    `${SIZE} B segments at half rate: ${tailsBetween(t0, t1)}`,
    `metadata only at half rate: ${tailsBetween(t1, t2)}`,
    `${SIZE} B segments at the goal rate: ${tailsBetween(t2, t3)}`,
    `metadata only at the goal rate: ${tailsBetween(t3, t4)}`,
  ];
  for (const p of pus) p.ws.close();
  platform.proc.kill('SIGTERM');
  await platform.proc.exited;
  rmSync(join(dataDir, 'cs'), { recursive: true, force: true });
  const diskDir = mkdtempSync(join(dataDir, 'disk-'));
  const d = await disk(diskDir, SIZE, PUS, DISK_SECONDS);
  rmSync(diskDir, { recursive: true, force: true });

  const row = (name: string, r: typeof full, cpu: number, size: number) => ({
    run: name,
    'cycles/s': Math.round(r.perS),
    'MB/s': size > 0 ? r.mbPerS : 0,
    'create p50 ms': r.create.p(50),
    'create p99 ms': r.create.p(99),
    'put p50 ms': size > 0 ? r.put.p(50) : NaN,
    'put p99 ms': size > 0 ? r.put.p(99) : NaN,
    errors: r.errors,
    '429s': r.refused,
    'platform cpu %': (cpu / r.s) * 100,
    'pg cpu %': KIND === 'postgres' ? (r.cpu.pg / r.s) * 100 : NaN,
    'load-gen cpu %': (r.cpu.self / r.s) * 100,
  });
  console.log(`\nVr cycles (create + previous confirmed, PUT): ${PUS} at a time over ${CAMERAS} PUs, back to back`);
  console.log(table([row(`${SIZE} B segments`, full, fullCpu, SIZE), row('metadata only (0 B)', meta, metaCpu, 0)]));
  const lat = (name: string, r: typeof full, offered: number, size: number) => ({
    run: name,
    'offered/s': offered,
    'done/s': Math.round(r.perS),
    'create p50 ms': r.create.p(50),
    'create p99 ms': r.create.p(99),
    'put p50 ms': size > 0 ? r.put.p(50) : NaN,
    'put p99 ms': size > 0 ? r.put.p(99) : NaN,
    errors: r.errors,
  });
  console.log(`\nlatency at half the saturated rate and at the goal rates (open loop, ${STEADY_SECONDS} s each)`);
  console.log(
    table([
      lat(`${SIZE} B, half rate`, steady, steadyRate, SIZE),
      lat('0 B, half rate', steadyMeta, steadyMetaRate, 0),
      lat(`${SIZE} B, goal rate`, goal, GOAL_CYCLES_PER_S, SIZE),
      lat('0 B, goal rate', goalMeta, GOAL_META_PAIRS_PER_S, 0),
    ]),
  );
  for (const line of steadyTails) console.log(`  platform during ${line}`);
  console.log(`\ndisk: the storage's put of ${SIZE} B, ${PUS} at a time, fsync ${FSYNC ? 'on' : 'off'}, no HTTP, no actors`);
  console.log(table([{ 'files/s': Math.round(d.filesPerS), 'MB/s': d.mbPerS, 'p50 ms': d.lat.p(50), 'p99 ms': d.lat.p(99) }]));
  if (full.firstError || meta.firstError) console.log(`first errors: ${full.firstError || '-'} / ${meta.firstError || '-'}`);
  const p99 = Math.max(full.create.p(99), full.put.p(99), meta.create.p(99));
  const steadyP99 = Math.max(steady.create.p(99), steady.put.p(99), steadyMeta.create.p(99));
  const goalP99 = Math.max(goal.create.p(99), goal.put.p(99), goalMeta.create.p(99));
  console.log(`\nplatform / disk, same bytes: ${(full.mbPerS / d.mbPerS).toFixed(2)}x`);
  console.log(
    `goal ${GOAL_CYCLES_PER_S} cycles/s with ${SIZE} B: ${Math.round(full.perS)} (${(full.perS / GOAL_CYCLES_PER_S).toFixed(2)}x); ` +
      `goal ${GOAL_META_PAIRS_PER_S} create+save pairs/s metadata-only: ${Math.round(meta.perS)} (${(meta.perS / GOAL_META_PAIRS_PER_S).toFixed(2)}x); ` +
      `goal p99 < ${GOAL_P99_MS} ms: worst p99 ${goalP99.toFixed(1)} ms at the goal rates (${Math.round(goal.perS)} and ${Math.round(goalMeta.perS)} done/s), ` +
      `${steadyP99.toFixed(1)} ms at half the saturated rates, ${p99.toFixed(1)} ms saturated (a closed loop's own queue)`,
  );
  console.log(
    `per cycle: platform ${((fullCpu / full.cycles) * 1e6).toFixed(0)} µs CPU (${SIZE} B), ${((metaCpu / meta.cycles) * 1e6).toFixed(0)} µs (metadata only)` +
      (KIND === 'postgres'
        ? `; PostgreSQL ${((full.cpu.pg / full.cycles) * 1e6).toFixed(0)} / ${((meta.cpu.pg / meta.cycles) * 1e6).toFixed(0)} µs, ` +
          `${(metaXacts / (meta.perS * (META_SECONDS + WARMUP_MS / 1000))).toFixed(2)} transactions per metadata cycle`
        : ''),
  );
  if (platform.logs.lines > 0) console.log(`platform log lines (LOG_LEVEL=warn): ${platform.logs.lines}; first: ${platform.logs.sample.slice(0, 600)}`);
  console.log(machineNote());
} finally {
  if (platform.proc.exitCode === null) platform.proc.kill('SIGKILL');
  await b.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
