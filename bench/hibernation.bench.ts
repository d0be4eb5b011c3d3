/**
 * `bun run bench hibernation`: N sleeping cameras (default 10,000) each hold a TCP link to the platform's hibernation
 * server and send their 40-byte heartbeat every interval (60 s, OVC hibernation.md), at evenly spread phases. Reports
 * the platform's RSS and CPU per sleeping camera (issue #22's goal: at most 2 KiB and 1 µs of CPU per second each),
 * beside a bare Bun TCP server holding the same connections in the same run, and how many pu actors are asleep.
 * The cameras connect from 127.0.x.y source addresses, CAMERAS_PER_ADDRESS each (the server's per-address limit is 256).
 *
 * Options: --count 10000 --db postgres|pglite --seconds 60 --hb-interval-s 60 --skip-bare --connect-per-s 2000 --cpu-prof <dir> (a profile of
 * the platform, written when it stops) --preload <file> (a module the platform loads first: a diagnostic hook)
 *          --smol (the platform's bun runs with --smol: collects garbage more often, keeps less memory)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHeartbeat, HIBERNATION_HB_INTERVAL_S } from '../protocol/hibernation.ts';
import { hbToken } from '../services/hibernation/hb-token.ts';
import { loadPlatformKey } from '../lib/secrets.ts';
import { benchDeviceId, benchMac, cpuProfileArgs, machineNote, parseArgs, procCpuSeconds, procRssBytes, table } from './lib.ts';
import { platformEnv, provisionPus, ROOT, spawnReady } from './platform.ts';
import { HEAP_REPORT_SIGNAL, type HeapReport } from './heap-report.ts';

const args = parseArgs(process.argv.slice(2));
const COUNT = Number(args.count ?? 10_000);
const KIND = (args.db ?? 'pglite') as 'postgres' | 'pglite';
const SECONDS = Number(args.seconds ?? 60);
const HB_INTERVAL_S = Number(args['hb-interval-s'] ?? HIBERNATION_HB_INTERVAL_S);
const SKIP_BARE = args['skip-bare'] === 'true';
/** Cameras per source address (under the server's HIBERNATION_CONNECTIONS_PER_ADDRESS). */
const CAMERAS_PER_ADDRESS = 200;
/** Connections opened per second while the cameras arrive (`--connect-per-s`). */
const CONNECT_PER_S = Number(args['connect-per-s'] ?? 2000);
/** Time after every camera is taken in (its pu asleep) before measuring. */
const SETTLE_MS = 10_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const PASSWORD = 'bench-password';

console.log(`bench hibernation: ${COUNT} sleeping cameras on ${KIND}, heartbeat every ${HB_INTERVAL_S} s, ${SECONDS} s measured`);
console.log(machineNote());
const dataDir = mkdtempSync(join(tmpdir(), 'h627-bench-hibernation-'));
const b = await provisionPus(KIND, 'hibernation', COUNT, PASSWORD, dataDir);
const key = loadPlatformKey(join(dataDir, 'secret-key'));
const frames = Array.from({ length: COUNT }, (_, i) => Buffer.from(encodeHeartbeat({ macid: benchMac(i), token: hbToken(key, benchDeviceId(i)) })));

/** The source address of camera i. */
const sourceOf = (i: number) => {
  const a = Math.floor(i / CAMERAS_PER_ADDRESS) + 1;
  return `127.0.${Math.floor(a / 250)}.${(a % 250) + 1}`;
};

/** Open the links of cameras `from` to `to` (excluded) to `port` and keep their heartbeats going; returns a stop function. */
async function sleepers(port: number, from: number, to: number): Promise<() => void> {
  const sockets: Socket[] = [];
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  for (let i = from; i < to; i++) {
    const s = connect({ host: '127.0.0.1', port, localAddress: sourceOf(i) });
    s.on('error', () => {});
    s.on('connect', () => s.write(frames[i]!));
    sockets.push(s);
    // Spread phases: camera i beats at (i / COUNT) of the interval, then every interval.
    const phase = (i / COUNT) * HB_INTERVAL_S * 1000;
    timers.push(setTimeout(() => timers.push(setInterval(() => s.write(frames[i]!), HB_INTERVAL_S * 1000)), phase));
    if ((i - from) % CONNECT_PER_S === CONNECT_PER_S - 1) await Bun.sleep(1000);
  }
  return () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
  };
}

/** Seconds of an idle server's CPU measured before the cameras come (its own timers, probes: subtracted). */
const IDLE_S = Math.min(SECONDS, 10);
/** A server's start-up work (compiling, first queries) is not its idle CPU: measured after this. */
const WARMUP_MS = 10_000;
/** Longest wait for every camera's pu to be asleep (the first heartbeats: a load and a logged transition each). */
const ASLEEP_MAX_MS = 300_000;

/** pu actors asleep (hibernating), from the platform's metrics. */
async function asleepCount(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`, { tls: { rejectUnauthorized: false } } as RequestInit)).text();
  return Number(/h627_actors\{type="pu",state="hibernating"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

/**
 * Cameras that come first, before the RSS the others add is measured: the code their heartbeats run is compiled then,
 * and the allocator has its arenas, a cost of the server, not of each camera (bench's choice: a tenth).
 */
const FIRST = Math.ceil(COUNT / 10);

/** What one server's run measured. */
interface Measured {
  rssBefore: number;
  /** RSS once the first tenth of the cameras were taken in. */
  rssFirst: number;
  rss: number;
  cpuS: number;
  idleCpuS: number;
  /** Seconds from the first connection until every camera was taken in (`settled` true). */
  settleS: number;
  /** Memory after a full garbage collection, before the cameras came and at the end (bench/heap-report.ts). */
  heapBefore: HeapReport;
  heapAfter: HeapReport;
  stop: () => void;
}

/** The preload that reports a server's memory after a full collection, and the flags that load it. */
const HEAP_REPORT = join(import.meta.dir, 'heap-report.ts');
/** Longest wait for a heap report. */
const HEAP_REPORT_WAIT_MS = 10_000;

/** Ask the server `pid` for its memory after a full collection (written to `file` by bench/heap-report.ts). */
async function heapReport(pid: number, file: string): Promise<HeapReport> {
  rmSync(file, { force: true });
  process.kill(pid, HEAP_REPORT_SIGNAL);
  const end = Date.now() + HEAP_REPORT_WAIT_MS;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`no heap report from ${pid}`);
    await Bun.sleep(100);
  }
  await Bun.sleep(100); // written at once, but let the write finish
  return JSON.parse(readFileSync(file, 'utf8')) as HeapReport;
}

/**
 * RSS and CPU of `pid` with the cameras connected to `port`, beyond what it used before they came; measured once
 * `settled` holds (every first heartbeat taken in), then SETTLE_MS more.
 */
async function measure(pid: number, port: number, file: string, settled: (n: number) => Promise<boolean> = async () => true): Promise<Measured> {
  await Bun.sleep(WARMUP_MS);
  const idle0 = procCpuSeconds(pid);
  await Bun.sleep(IDLE_S * 1000);
  const idleCpuS = ((procCpuSeconds(pid) - idle0) / IDLE_S) * SECONDS;
  const heapBefore = await heapReport(pid, file);
  const rssBefore = procRssBytes(pid);
  const t0 = Date.now();
  const stopFirst = await sleepers(port, 0, FIRST);
  while (!(await settled(FIRST)) && Date.now() - t0 < ASLEEP_MAX_MS) await Bun.sleep(1000);
  await Bun.sleep(SETTLE_MS);
  const rssFirst = procRssBytes(pid);
  const stopRest = await sleepers(port, FIRST, COUNT);
  while (!(await settled(COUNT)) && Date.now() - t0 < ASLEEP_MAX_MS) await Bun.sleep(1000);
  const settleS = (Date.now() - t0) / 1000;
  await Bun.sleep(SETTLE_MS);
  const cpu0 = procCpuSeconds(pid);
  await Bun.sleep(SECONDS * 1000);
  const stop = () => {
    stopFirst();
    stopRest();
  };
  const cpuS = procCpuSeconds(pid) - cpu0;
  const rss = procRssBytes(pid);
  return { rssBefore, rssFirst, rss, cpuS, idleCpuS, settleS, heapBefore, heapAfter: await heapReport(pid, file), stop };
}

const env = platformEnv(b, dataDir, { ADMIN_TOKEN, HIBERNATION_OFFLINE_S: String(HB_INTERVAL_S * 3) });
const diagnostics = [
  ...(args.smol === 'true' ? ['--smol'] : []),
  ...cpuProfileArgs(args['cpu-prof']),
  '--preload',
  HEAP_REPORT,
  ...(args.preload ? ['--preload', args.preload] : []),
];
const heapFile = (name: string) => join(dataDir, `heap-${name}.json`);
const platform = await spawnReady(['bun', ...diagnostics, join(ROOT, 'main.ts')], { ...env, HEAP_REPORT_FILE: heapFile('platform') }, /ready (https:\/\/\S+)/);
const url = platform.match[1]!;
const vs = await (await fetch(`${url}/Vs/getServerAddr?macid=${benchMac(0)}`, { tls: { rejectUnauthorized: false } } as RequestInit)).json();
const p = await measure(platform.proc.pid, vs.HibernationPort as number, heapFile('platform'), async (n) => (await asleepCount(url)) >= n);
const asleep = await asleepCount(url);
p.stop();
platform.proc.kill('SIGTERM');
await platform.proc.exited;

const rows: Array<Record<string, string | number>> = [];
const row = (name: string, m: Measured) => ({
  server: name,
  'taken in (s)': m.settleS.toFixed(0),
  'RSS added (MiB)': ((m.rss - m.rssBefore) / 2 ** 20).toFixed(1),
  'RSS per camera (KiB)': ((m.rss - m.rssBefore) / COUNT / 1024).toFixed(2),
  'RSS per camera past the first tenth (KiB)': ((m.rss - m.rssFirst) / (COUNT - FIRST) / 1024).toFixed(2),
  'after a full GC: RSS per camera (KiB)': ((m.heapAfter.rss - m.heapBefore.rss) / COUNT / 1024).toFixed(2),
  'JS heap per camera (KiB)': ((m.heapAfter.heapSize - m.heapBefore.heapSize) / COUNT / 1024).toFixed(2),
  'outside the JS heap per camera (KiB)': ((m.heapAfter.extraMemory - m.heapBefore.extraMemory) / COUNT / 1024).toFixed(2),
  'CPU (s)': m.cpuS.toFixed(2),
  'idle CPU (s)': m.idleCpuS.toFixed(2),
  'CPU added per camera per s (µs)': (((m.cpuS - m.idleCpuS) / COUNT / SECONDS) * 1e6).toFixed(3),
});
const measured: Array<[string, Measured]> = [['platform', p]];
rows.push(row('platform', p));
if (!SKIP_BARE) {
  const bare = await spawnReady(
    ['bun', '--preload', HEAP_REPORT, join(ROOT, 'bench', 'bare-tcp-server.ts')],
    { HEAP_REPORT_FILE: heapFile('bare') },
    /ready (\d+)/,
  );
  const m = await measure(bare.proc.pid, Number(bare.match[1]), heapFile('bare'));
  m.stop();
  bare.proc.kill('SIGTERM');
  await bare.proc.exited;
  rows.push(row('bare Bun TCP', m));
  measured.push(['bare Bun TCP', m]);
}
console.log(table(rows));
const mib = (r: HeapReport) =>
  `RSS ${(r.rss / 2 ** 20).toFixed(1)} MiB, JS heap ${(r.heapSize / 2 ** 20).toFixed(1)} of ${(r.heapCapacity / 2 ** 20).toFixed(1)} MiB capacity, ${(r.extraMemory / 2 ** 20).toFixed(1)} MiB outside it`;
for (const [name, m] of measured) console.log(`${name} after a full GC: before the cameras ${mib(m.heapBefore)}; at the end ${mib(m.heapAfter)}`);
/** Object types shown, most grown first. */
const GROWN_TYPES_SHOWN = 12;
const grown = (m: Measured) =>
  Object.entries(m.heapAfter.objectTypeCounts ?? {})
    .map(([type, n]) => [type, n - (m.heapBefore.objectTypeCounts?.[type] ?? 0)] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, GROWN_TYPES_SHOWN)
    .map(([type, n]) => `${type} ${(n / COUNT).toFixed(2)}`)
    .join(', ');
for (const [name, m] of measured) console.log(`${name}: live objects added per camera, by type: ${grown(m)}`);
console.log(`pu actors asleep (hibernating) at the end: ${asleep} of ${COUNT}`);
await b.drop();
rmSync(dataDir, { recursive: true, force: true });
