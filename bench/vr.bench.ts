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
 * Options: --seconds 60 --pus 64 --size 262144 --db postgres|pglite --fsync 1 --meta-seconds 30 --disk-seconds 20 --steady-seconds 15
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgClient as postgresClient } from '../db/client.ts';
import { LocalDiskStorage } from '../media/cs/index.ts';
import { benchDb, cpuProfileArgs, machineNote, parseArgs, percentile, postgresCpuSeconds, procCpuSeconds, selfCpuSeconds, table } from './lib.ts';
import { platformHistogram, platformLoopDelays, stallsBetween, type LoopDelays } from './platform.ts';

const args = parseArgs(process.argv.slice(2));
const SECONDS = Number(args.seconds ?? 60);
const PUS = Number(args.pus ?? 64);
const SIZE = Number(args.size ?? 256 * 1024);
const KIND = (args.db ?? 'postgres') as 'postgres' | 'pglite';
const FSYNC = (args.fsync ?? '1') === '1';
const META_SECONDS = Number(args['meta-seconds'] ?? Math.min(SECONDS, 30));
const DISK_SECONDS = Number(args['disk-seconds'] ?? Math.min(SECONDS, 20));
const STEADY_SECONDS = Number(args['steady-seconds'] ?? 15);
/** Warm-up before each measured window. */
const WARMUP_MS = 3000;
/** Goals of issue #5 on a 2-core machine. */
const GOAL_CYCLES_PER_S = 500;
const GOAL_META_PAIRS_PER_S = 5000;
const GOAL_P99_MS = 40;
/** What counts as a tail event in the platform's own histograms (loop delay, commit duration). */
const TAIL_S = 0.02;
const ADMIN_TOKEN = 'bench-admin-token-vr-0123456789';
const PASSWORD = 'bench-password';
const ROOT = join(import.meta.dir, '..');
const TLS = { tls: { rejectUnauthorized: false } } as const;

async function spawnPlatform(env: Record<string, string>) {
  const proc = Bun.spawn(['bun', ...cpuProfileArgs(args.profile), join(ROOT, 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value);
    const m = /ready (https:\/\/\S+)/.exec(buf);
    if (m) {
      const logs = { lines: 0, sample: '' };
      (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          const text = decoder.decode(r.value);
          logs.lines += text.split('\n').length - 1;
          if (logs.sample.length < 2000) logs.sample += text;
        }
      })();
      return { proc, url: m[1]!, logs };
    }
  }
  throw new Error(`platform exited before ready: ${buf}`);
}

/** A PU logged in over Vd that answers every platform request with `{}` and keeps alive; resolves StartRecord's cbk_url. */
function loginPu(url: string, id: string, mac: string): Promise<{ ws: WebSocket; cbk: Promise<string> }> {
  const q = new URLSearchParams({ login_code: id, login_passwd: PASSWORD, hardware_model: 'BENCH', firmware_model: '1', sdk: 'bench' });
  const ws = new WebSocket(`${url.replace(/^https/, 'wss')}/Vd?${q}`, TLS as never);
  let seq = 0;
  let gotCbk!: (u: string) => void;
  const cbk = new Promise<string>((r) => {
    gotCbk = r;
  });
  ws.onmessage = (m) => {
    const f = JSON.parse(String(m.data));
    if (typeof f.req === 'string') {
      if (f.req === 'StartRecord') gotCbk(f.params.cbk_url);
      ws.send(JSON.stringify({ seq: f.seq, resp: {} }));
    }
  };
  const keepalive = () => ws.send(JSON.stringify({ req: 'Keepalive', params: { mac_id: mac, state: 1, channels: [{ channel: 0, state: 1 }] }, seq: ++seq }));
  return new Promise((resolve, reject) => {
    ws.onopen = () => {
      keepalive();
      const t = setInterval(() => (ws.readyState === WebSocket.OPEN ? keepalive() : clearInterval(t)), 10_000);
      resolve({ ws, cbk });
    };
    ws.onerror = () => reject(new Error(`Vd login of ${id} failed`));
  });
}

const api = (url: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...TLS,
  } as RequestInit);

/** Samples of one op, ms. */
class Lat {
  samples: number[] = [];
  add(ms: number) {
    this.samples.push(ms);
  }
  p(n: number) {
    return percentile(this.samples, n);
  }
}

/**
 * Every PU runs cycles back to back for `seconds` after a warm-up: create(+previous) and, when
 * `size` > 0, the PUT. Counts what completes inside the window. With `rate` (cycles/s over all
 * PUs) each PU starts its cycles on a fixed schedule instead (open loop: latency at that load).
 */
async function run(cbks: Array<{ cbk: string; mac: string }>, size: number, seconds: number, startBase: number, rate = 0) {
  const body = new Uint8Array(size).fill(0x47);
  const create = new Lat();
  const putLat = new Lat();
  let cycles = 0;
  let bytes = 0;
  let errors = 0;
  let firstError = '';
  let measuring = false;
  let running = true;
  const pu = async (k: number) => {
    const { cbk, mac } = cbks[k]!;
    let prev: string | undefined;
    const period = rate > 0 ? (cbks.length / rate) * 1000 : 0;
    const first = performance.now() + (period * k) / cbks.length;
    for (let n = 0; running; n++) {
      if (period > 0) {
        const wait = first + n * period - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
      const t0 = performance.now();
      const form = `op=create&content_type=video%2Fmp2t&size=${size}&start=${startBase + k * 1e5 + n}&duration=1&discontinue=0&https=1${prev ? `&name=${prev}` : ''}`;
      const r = await fetch(cbk, {
        method: 'POST',
        body: form,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Mac-Identity': mac },
        ...TLS,
      } as RequestInit);
      const j = (await r.json()) as { name?: string; url?: string; info?: string };
      const t1 = performance.now();
      if (r.status !== 200) {
        errors++;
        firstError ||= `create ${r.status} ${j.info}`;
        prev = undefined;
        continue;
      }
      if (measuring) create.add(t1 - t0);
      if (size > 0) {
        const u = await fetch(j.url!, { method: 'PUT', body, headers: { 'Content-Type': 'video/mp2t' }, ...TLS } as RequestInit);
        await u.arrayBuffer();
        if (u.status !== 201) {
          errors++;
          firstError ||= `put ${u.status}`;
          prev = undefined;
          continue;
        }
        if (measuring) putLat.add(performance.now() - t1);
      }
      prev = j.name;
      if (measuring) {
        cycles++;
        bytes += size;
      }
    }
  };
  const all = cbks.map((_, k) => pu(k));
  await Bun.sleep(WARMUP_MS);
  measuring = true;
  const t0 = performance.now();
  const cpu0 = { self: selfCpuSeconds(), pg: postgresCpuSeconds() };
  await Bun.sleep(seconds * 1000);
  measuring = false;
  const s = (performance.now() - t0) / 1000;
  const cpu = { self: selfCpuSeconds() - cpu0.self, pg: postgresCpuSeconds() - cpu0.pg };
  running = false;
  await Promise.all(all);
  return { perS: cycles / s, mbPerS: bytes / s / 1e6, create, put: putLat, errors, firstError, cycles, s, cpu };
}

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
  `bench vr: ${PUS} PUs, ${SIZE} B segments, ${SECONDS} s (metadata-only ${META_SECONDS} s, disk ${DISK_SECONDS} s), ${KIND}, fsync ${FSYNC ? 'on' : 'off'}`,
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
const platform = await spawnPlatform({
  DATA_DIR: dataDir,
  HTTP_PORT: '0',
  SRT_PORT: '0',
  HIBERNATION_PORT: '0',
  LOG_LEVEL: 'warn',
  ADMIN_TOKEN,
  CS_FSYNC: FSYNC ? '1' : '0',
  DATABASE_URL: b.url ?? '',
});
const url = platform.url;
const pid = platform.proc.pid;
try {
  // Provision and log in the PUs, then start a record session on each.
  const pus: Array<{ cbk: string; mac: string; ws: WebSocket }> = [];
  for (let i = 0; i < PUS; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, PUS - i) }, async (_, j) => {
        const n = i + j;
        const id = `BENCH-VR-${String(n).padStart(4, '0')}`;
        const mac = (0xa0b1c3000000 + n).toString(16).padStart(12, '0');
        const r = await api(url, '/api/admin/devices', { device_id: id, password: PASSWORD, mac_id: mac });
        if (r.status !== 201) throw new Error(`provisioning ${id}: ${r.status} ${await r.text()}`);
        const { ws, cbk } = await loginPu(url, id, mac);
        await Bun.sleep(200); // the pu actor takes the login
        const s = await api(url, `/api/devices/${id}/channels/0/recording`, { seg_duration: 1, seg_max_size: Math.max(SIZE, 1024) });
        if (s.status !== 201) throw new Error(`starting ${id}: ${s.status} ${await s.text()}`);
        pus.push({ cbk: await cbk, mac, ws });
      }),
    );
  }
  const base = Math.floor(Date.now() / 1000) - 86_400;
  const c0 = procCpuSeconds(pid);
  const full = SECONDS > 0 ? await run(pus, SIZE, SECONDS, base) : await run(pus.slice(0, 1), SIZE, 0.1, base);
  const fullCpu = procCpuSeconds(pid) - c0;
  const c1 = procCpuSeconds(pid);
  const x0 = await transactions();
  const meta = await run(pus, 0, META_SECONDS, base + 50_000);
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
  const steady = await run(pus, SIZE, STEADY_SECONDS, base + 100_000, steadyRate);
  const t1 = await tails();
  const steadyMetaRate = Math.max(1, Math.round(meta.perS / 2));
  const steadyMeta = await run(pus, 0, STEADY_SECONDS, base + 150_000, steadyMetaRate);
  const t2 = await tails();
  // And at the goals' own rates: the goal is those rates with p99 under GOAL_P99_MS.
  const goal = await run(pus, SIZE, STEADY_SECONDS, base + 200_000, GOAL_CYCLES_PER_S);
  const t3 = await tails();
  const goalMeta = await run(pus, 0, STEADY_SECONDS, base + 250_000, GOAL_META_PAIRS_PER_S);
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
    'platform cpu %': (cpu / r.s) * 100,
    'pg cpu %': KIND === 'postgres' ? (r.cpu.pg / r.s) * 100 : NaN,
    'load-gen cpu %': (r.cpu.self / r.s) * 100,
  });
  console.log(`\nVr cycles (create + previous confirmed, PUT): ${PUS} PUs back to back`);
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
