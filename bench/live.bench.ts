/**
 * `bun run bench live`: S streams at R kbit/s through a real platform process, each with one SRT and
 * one WSS viewer, for T seconds; then the same streams with SRT viewers only; then, as the baseline
 * in the same run, Debian's `srt-live-transmit` doing the same hop (one process per stream, SRT
 * listener in, SRT listener out, the same latency and AES-128). Publishers replay one pre-encoded
 * MPEG-TS sample (FFmpeg runs once per run) from a separate load-generator process
 * (`live-load.ts`), which also holds the bare Vd devices and every viewer.
 *
 * Reports per phase: relay CPU (% of one core, /proc/<pid>/stat), RSS, TS packets sent vs received
 * per viewer kind (loss), the latency the relay adds beyond the configured SRT latencies (p50/p99/max,
 * from timestamps inside the payload), CPU per relayed Mbit/s (egress) and µs per packet per side,
 * the generator's own CPU, and the load average: other work on this machine skews every figure.
 *
 * Priorities: every process the bench starts (platform, generator, srt-live-transmit) inherits the
 * bench's nice value, which it sets to the relay worker's `MDU_THREAD_NICE` first: all their threads
 * then get equal shares of the two cores. A deployment serves the relay worker before the rest of the
 * platform; here that would also put it before the generator, which stands for cameras and viewers
 * on machines of their own: at nice 0 the generator's viewers' receive thread fell 250 ms behind and
 * the kernel dropped their datagrams; with only the generator raised, the platform's main thread
 * (WSS viewers) fell behind both; with the generator 5 steps ahead of both relays (−15), the relay
 * fell behind it (one SRT viewer kept an 85 ms handshake offset for its life, WSS p99 34 ms) and
 * srt-live-transmit's phase still lost packets. Each phase prints the nice values it ran at (without
 * CAP_SYS_NICE, all 0 but the relay worker's refusal logged).
 *
 * Options: --streams 50 --seconds 60 --rate-kbps 2000 --warmup 12 --latency-ms 120 --db postgres|pglite
 *          --stagger-ms 50 --skip-srt-only --skip-baseline --skip-platform --profile <dir> (the platform's CPU profile)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Subprocess } from 'bun';
import {
  benchDeviceId as deviceIdOf,
  machineCpuTicks,
  machineNote,
  parseArgs,
  referenceSpeed,
  stealPercent,
  postgresCpuSeconds,
  procCpuSeconds as cpuSeconds,
  procRssBytes as rssBytes,
  cpuProfileArgs,
  type BenchDb,
} from './lib.ts';
import { onlineCount, platformEnv, platformLoopDelays, provisionPus, ROOT, spawnReady as spawnProcess, stallsBetween, type LoopDelays } from './platform.ts';
import { DEFAULT_LATENCY_MS, encodeSample, parseSrtUrl, type SrtTarget } from './live-ts.ts';
import type { SrtMeasure, ViewSpec, WsMeasure } from './live-messages.ts';
import { baselinePortBase, cpuByThread, dropsOn, load1, threadNice, udpDropsByPort } from './live-proc.ts';
import { printReport, type Idle, type Phase } from './live-report.ts';
import { MDU_THREAD_NICE } from '../media/mdu/constants.ts';
import { setThreadNice } from '../media/srt/priority.ts';

const args = parseArgs(process.argv.slice(2));
const STREAMS = Number(args.streams ?? 50);
const SECONDS = Number(args.seconds ?? 60);
const RATE_KBPS = Number(args['rate-kbps'] ?? 2000);
/**
 * Seconds between the viewers joining and the measured window: longer than libsrt's drift tracer
 * span (1000 ACKACK samples, one per 10 ms). Until its first update a connection's TSBPD time base
 * is the one taken at the handshake, off by however late the handshake was processed; after it,
 * each hop settles at its latency plus half the first RTT sample (libsrt's RTT0).
 */
const WARMUP_S = Number(args.warmup ?? 12);
const LATENCY_MS = Number(args['latency-ms'] ?? DEFAULT_LATENCY_MS);
/**
 * PostgreSQL by default, like the keepalive and vr benches: a deployment relaying 50 streams uses it
 * (docs/recording.md); PGlite runs its writes on the main thread, which also sends to WSS viewers.
 */
const KIND = (args.db ?? 'postgres') as 'postgres' | 'pglite';
const SKIP_SRT_ONLY = args['skip-srt-only'] === 'true';
const SKIP_BASELINE = args['skip-baseline'] === 'true';
const SKIP_PLATFORM = args['skip-platform'] === 'true';
/** Consecutive streams start, and their viewers join, this far apart. */
const STAGGER_MS = Number(args['stagger-ms'] ?? 50);
const PASSWORD = 'bench-password';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
/** Event-loop lateness of the platform's main thread (which sends to WSS viewers) reported per phase, s. */
const MAIN_STALL_S = 0.025;
/** Seconds of idle platform (devices logged in, no stream) measured as the background. */
const IDLE_S = 5;
/** Longest wait for every publisher to connect, or every PU to be online. */
const SETTLE_LIMIT_MS = 60_000;
/** AES key length of the baseline's streams: the platform's (`STREAM_KEY_BYTES`). */
const BASELINE_PBKEYLEN = 16;

// ── processes ──
const children: Subprocess[] = [];
async function spawnReady(cmd: string[], env: Record<string, string>, pattern: RegExp) {
  const r = await spawnProcess(cmd, env, pattern);
  children.push(r.proc);
  return r;
}

type Answer = Record<string, unknown>;
function loadGen(sample: string) {
  const waiting = new Map<string, (m: Answer) => void>();
  const proc = Bun.spawn(
    [
      'bun',
      join(import.meta.dir, 'live-load.ts'),
      '--sample',
      sample,
      '--rate-kbps',
      String(RATE_KBPS),
      '--streams',
      String(STREAMS),
      '--seconds',
      String(SECONDS),
      '--latency-ms',
      String(LATENCY_MS),
      '--password',
      PASSWORD,
      '--stagger-ms',
      String(STAGGER_MS),
    ],
    {
      stdio: ['inherit', 'inherit', 'inherit'],
      ipc: (m) => {
        const a = m as Answer;
        const w = waiting.get(String(a.cmd));
        waiting.delete(String(a.cmd));
        w?.(a);
      },
    },
  );
  children.push(proc);
  const next = (cmd: string) => new Promise<Answer>((r) => waiting.set(cmd, r));
  const ask = async (m: Answer) => {
    const p = next(String(m.cmd));
    proc.send(m);
    const a = await p;
    if (a.error) throw new Error(`load generator, ${String(m.cmd)}: ${String(a.error)}`);
    return a;
  };
  return { proc, next, ask };
}
type Gen = ReturnType<typeof loadGen>;

// ── the platform ──
interface Ticket {
  stream_id: string;
  srt_url: string;
  ws_url: string;
}
async function tickets(url: string): Promise<Ticket[]> {
  // One request every STAGGER_MS, each without waiting for the previous one: streams start like the
  // viewers join, apart. Started in one burst, every publisher's first ACK/ACKACK round trip waited
  // behind the others' handshakes, and libsrt keeps half that wait as a fixed offset on the
  // connection for its life (RTT0): the bench measured the burst, not the relay.
  const jobs: Promise<Ticket>[] = [];
  for (let i = 0; i < STREAMS; i++) {
    jobs.push(
      (async () => {
        const r = await fetch(`${url}/api/devices/${deviceIdOf(i)}/channels/0/live`, {
          method: 'POST',
          body: JSON.stringify({ max_bitrate: RATE_KBPS }),
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
          tls: { rejectUnauthorized: false },
        } as RequestInit);
        if (r.status !== 201) throw new Error(`POST live for ${deviceIdOf(i)}: ${r.status} ${await r.text()}`);
        return (await r.json()) as Ticket;
      })(),
    );
    await Bun.sleep(STAGGER_MS);
  }
  return Promise.all(jobs);
}

async function until(what: string, f: () => Promise<boolean>, limitMs = SETTLE_LIMIT_MS): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs / 1000} s`);
    await Bun.sleep(250);
  }
}

// ── one measured phase ──
/**
 * Reset the generator's window, sleep SECONDS, read /proc and the generator's totals. `platformLoop`
 * reads the platform's event-loop probe (its /metrics), to tell the relay's main-thread stalls from
 * the generator's.
 */
async function measurePhase(
  label: string,
  kind: Phase['kind'],
  gen: Gen,
  pids: number[],
  relayPorts: number[],
  platformLoop?: () => Promise<LoopDelays>,
): Promise<Phase> {
  const withThreads = kind !== 'baseline';
  const loadStart = load1();
  await gen.ask({ cmd: 'reset' });
  const u0 = udpDropsByPort();
  const sumCpu = () => pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const c0 = sumCpu();
  const g0 = cpuSeconds(gen.proc.pid);
  const pg0 = KIND === 'postgres' && withThreads ? postgresCpuSeconds() : 0;
  const th0 = withThreads ? cpuByThread(pids[0]!) : new Map<string, number>();
  const gth0 = cpuByThread(gen.proc.pid);
  const loop0 = platformLoop ? await platformLoop() : null;
  const k0 = machineCpuTicks();
  const t0 = performance.now();
  await Bun.sleep(SECONDS * 1000);
  const steal = stealPercent(k0, machineCpuTicks());
  const cpuS = sumCpu() - c0;
  const genCpuS = cpuSeconds(gen.proc.pid) - g0;
  const pgCpuS = KIND === 'postgres' && withThreads ? postgresCpuSeconds() - pg0 : 0;
  const wallS = (performance.now() - t0) / 1000;
  const diff = (a: Map<string, number>, b: Map<string, number>) => new Map([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const));
  const threads = withThreads ? diff(th0, cpuByThread(pids[0]!)) : new Map<string, number>();
  const genThreads = diff(gth0, cpuByThread(gen.proc.pid));
  const rss = pids.reduce((a, p) => a + rssBytes(p), 0);
  const u1 = udpDropsByPort();
  const [rn, gn] = [threadNice(pids[0]!), threadNice(gen.proc.pid)];
  const nice = `nice: relay main ${rn.main} libsrt ${rn.srt}${pids.length > 1 ? ' (first process)' : ''}, generator main ${gn.main} libsrt ${gn.srt}`;
  const m = await gen.ask({ cmd: 'measure' });
  const srt = m.srt as SrtMeasure;
  const loop = loop0 && platformLoop ? stallsBetween(loop0, await platformLoop(), MAIN_STALL_S) : null;
  const phase: Phase = {
    label,
    kind,
    wallS,
    cpuS,
    genCpuS,
    pgCpuS,
    rss,
    load: [loadStart, load1()],
    srt,
    ws: m.ws as WsMeasure,
    windowS: Number(m.windowMs) / 1000,
    threads,
    genThreads,
    udpDrops: { relay: dropsOn(relayPorts, u0, u1), generator: dropsOn(srt.ports, u0, u1) },
  };
  const loopNote = loop ? `; platform main thread: ${loop.over} probes ≥ ${MAIN_STALL_S * 1000} ms late, longest ${loop.longest}` : '';
  console.log(
    `  ${label}: relay CPU ${pct(cpuS / wallS)} %, generator ${pct(genCpuS / wallS)} %, load ${phase.load.join(' → ')}, hypervisor steal ${steal.toFixed(1)} %, ${nice}${loopNote}; generator main thread late ${m.genLoopMaxMs ?? '?'} ms at most`,
  );
  return phase;
}
const pct = (share: number) => (100 * share).toFixed(1);

// ── the run ──
const benchNice = setThreadNice(MDU_THREAD_NICE); // before anything is spawned: children inherit it
console.log(
  `bench live: ${STREAMS} streams at ${RATE_KBPS} kbit/s, ${SECONDS} s per phase (warm-up ${WARMUP_S} s, streams and viewers ${STAGGER_MS} ms apart), SRT latency ${LATENCY_MS} ms asked by the generator, database ${KIND}`,
);
console.log(machineNote());
console.log(
  benchNice.errno === 0
    ? `priority: nice ${benchNice.nice} for this bench and every process it starts`
    : `priority: could not set nice ${MDU_THREAD_NICE} (errno ${benchNice.errno}): all at ${benchNice.nice} but the relay worker, which may be refused too`,
);
console.log(`reference: SHA-256 at ${referenceSpeed().toFixed(0)} MB/s on one core (compare runs of different days with it)`);
const work = mkdtempSync(join(tmpdir(), 'h627-bench-live-'));
const phases: Phase[] = [];
let idle: Idle | null = null;
let b: BenchDb | null = null;
let gen: Gen | null = null;
try {
  const t0 = performance.now();
  const sample = await encodeSample(work, RATE_KBPS);
  console.log(`sample: ${sampleLabel(sample)} encoded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  gen = loadGen(sample);
  await gen.next('ready');

  if (!SKIP_PLATFORM) {
    const dataDir = mkdtempSync(join(work, 'data-'));
    b = await provisionPus(KIND, 'live', STREAMS, PASSWORD, dataDir);
    const env = platformEnv(b, dataDir, { ADMIN_TOKEN, PUBLIC_HOST: '127.0.0.1' });
    const platform = await spawnReady(['bun', ...cpuProfileArgs(args.profile), join(ROOT, 'main.ts')], env, /ready (https:\/\/\S+)/);
    const url = platform.match[1]!;
    const platformLoop = () => platformLoopDelays(url);
    const pid = platform.proc.pid;
    const login = await gen.ask({ cmd: 'login', url, count: STREAMS });
    await until('every PU online', async () => (await onlineCount(url)) >= STREAMS);
    console.log(`platform ${url} (pid ${pid}): ${login.ok}/${STREAMS} devices logged in over Vd in ${(Number(login.ms) / 1000).toFixed(1)} s`);
    const i0 = cpuSeconds(pid);
    const l0 = load1();
    await Bun.sleep(IDLE_S * 1000);
    idle = { cpuPct: ((cpuSeconds(pid) - i0) / IDLE_S) * 100, rss: rssBytes(pid), load: l0 };

    const forSrt = await tickets(url); // the first call per channel starts the stream: PushLive
    await until('every publisher connected', async () => Number((await gen!.ask({ cmd: 'status' })).publishing) >= STREAMS);
    const srtPort = parseSrtUrl(forSrt[0]!.srt_url).port; // SRT_PORT=0: the port the MDU got
    const forWs = await tickets(url); // the same sessions: a second viewer each
    if (forWs.some((t, i) => t.stream_id !== forSrt[i]!.stream_id)) throw new Error('a second viewer got another session');
    const viewers: ViewSpec[] = forSrt.map((t, i) => ({ stream: i, srtUrl: t.srt_url, wsUrl: forWs[i]!.ws_url }));
    const v = await gen.ask({ cmd: 'view', viewers });
    console.log(`SRT port ${srtPort}: ${STREAMS} publishers; viewers ${JSON.stringify(v)}`);
    await Bun.sleep(WARMUP_S * 1000);
    phases.push(await measurePhase('platform, SRT + WSS viewers', 'mixed', gen, [pid], [srtPort], platformLoop));
    if (!SKIP_SRT_ONLY) {
      await gen.ask({ cmd: 'close-ws' });
      await Bun.sleep(Math.max(3, WARMUP_S / 2) * 1000);
      phases.push(await measurePhase('platform, SRT viewers only', 'srt-only', gen, [pid], [srtPort], platformLoop));
    }
    await gen.ask({ cmd: 'close-all' });
    platform.proc.kill('SIGTERM');
    await platform.proc.exited;
    await b.drop();
    b = null;
  }

  if (!SKIP_BASELINE) {
    // One srt-live-transmit per stream: SRT listener in, SRT listener out, the platform's latency and
    // key length. -srctime no: like the MDU it stamps packets when it sends them, so each hop has its
    // own TSBPD delay and "end-to-end minus twice the latency" means the same for both relays.
    const base = baselinePortBase(2 * STREAMS);
    const streams: { pub: SrtTarget; view: SrtTarget }[] = [];
    const procs: Subprocess[] = [];
    for (let i = 0; i < STREAMS; i++) {
      const passphrase = randomBytes(24).toString('base64url').slice(0, 32);
      const q = `mode=listener&latency=${LATENCY_MS}&passphrase=${passphrase}&pbkeylen=${BASELINE_PBKEYLEN}`;
      const [pin, pout] = [base + 2 * i, base + 2 * i + 1];
      const p = Bun.spawn(['srt-live-transmit', '-q', '-srctime:no', `srt://127.0.0.1:${pin}?${q}`, `srt://127.0.0.1:${pout}?${q}`], {
        stdout: 'ignore',
        stderr: 'ignore',
      });
      procs.push(p);
      children.push(p);
      streams.push({
        pub: { host: '127.0.0.1', port: pin, streamId: '', passphrase, pbkeylen: BASELINE_PBKEYLEN },
        view: { host: '127.0.0.1', port: pout, streamId: '', passphrase, pbkeylen: BASELINE_PBKEYLEN },
      });
    }
    await Bun.sleep(500);
    const d = await gen.ask({ cmd: 'direct', streams });
    console.log(`srt-live-transmit: ${STREAMS} processes on ports ${base}…${base + 2 * STREAMS - 1}; ${JSON.stringify(d)}`);
    await Bun.sleep(WARMUP_S * 1000);
    const sltPorts = Array.from({ length: 2 * STREAMS }, (_, i) => base + i);
    phases.push(
      await measurePhase(
        'srt-live-transmit ×S (baseline)',
        'baseline',
        gen,
        procs.map((p) => p.pid),
        sltPorts,
      ),
    );
    await gen.ask({ cmd: 'close-all' });
    for (const p of procs) p.kill();
  }
  await gen.ask({ cmd: 'exit' });
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await b?.drop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}

/** What the publishers replay, in words. */
function sampleLabel(path: string): string {
  const bytes = readFileSync(path).byteLength;
  return `${(bytes / 1e6).toFixed(2)} MB of H.264 MPEG-TS (640x360, 25 fps, 1 s GOP, CBR ${RATE_KBPS} kbit/s)`;
}

printReport(phases, idle, { streams: STREAMS, postgres: KIND === 'postgres' });
console.log(machineNote());
process.exit(0);
