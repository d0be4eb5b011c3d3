/**
 * `bun run bench keepalive`: N simulated PUs (default 18,000: the 20,000 open-files limit per
 * process) log in over WSS to a real platform process and keep alive; the load generators are
 * processes of their own (the control group's, and GEN_PROCESSES for the others). Reports, in one
 * run: the server's CPU and RSS per connection; keepalive
 * round-trip p50/p99 at a 10 s and at a 1 s interval; beside it a bare Bun WSS server answering
 * the same frames (ratio of CPU per keepalive); and a reconnect storm (all but a control group
 * drop and come back at once): logins per second, time until all are online again, and the
 * control group's keepalive p99 meanwhile, with the control group's slowest round trips and when
 * in the storm they came. Ends with a projection of PUs per node.
 *
 * Two storms per server. In the first the PUs' connections end abruptly (no WebSocket closing
 * handshake), as when a neighbourhood's network or a NAT drops them: that is the issue's storm. In
 * the second every PU sends a WebSocket close frame, 17,000 of them within half a second: a mass
 * log-out, reported beside it because it costs a Bun server far more (each close is a TLS record
 * to decrypt and one to send back, and the bare server stalls as long as the platform).
 *
 * Options: --count 18000 --db postgres|pglite --seconds 30 --control 1000 --storm-interval-ms 10000
 *          --skip-bare (no baseline: for trying a change to the platform's side alone)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuProfileArgs,
  machineCpuTicks,
  machineNote,
  parseArgs,
  percentile,
  postgresCpuSeconds,
  procCpuSeconds,
  procRssBytes,
  referenceSpeed,
  stealPercent,
  table,
} from './lib.ts';
import { bySecond, type Gens, loadGen, loadGens, PASSWORD, progress } from './keepalive-gens.ts';
import { bareLoopDelays, type LoopDelays, onlineCount, platformEnv, platformLoopDelays, provisionPus, ROOT, spawnReady, stallsBetween } from './platform.ts';

const args = parseArgs(process.argv.slice(2));
const COUNT = Number(args.count ?? 18_000);
const KIND = (args.db ?? 'postgres') as 'postgres' | 'pglite';
const SECONDS = Number(args.seconds ?? 30);
const CONTROL = Number(args.control ?? 1000);
/** Keepalive interval of every PU during the storm. */
const STORM_INTERVAL_MS = Number(args['storm-interval-ms'] ?? 10_000);
const SKIP_BARE = args['skip-bare'] === 'true';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
/** Time allowed for the whole storm to come back before giving up. */
const STORM_LIMIT_MS = 180_000;

console.log(`bench keepalive: ${COUNT} PUs on ${KIND}, ${SECONDS} s per phase, storm control group ${CONTROL}`);
console.log(machineNote());
console.log(`reference: SHA-256 at ${referenceSpeed().toFixed(0)} MB/s on one core (compare runs of different days with it)`);
const runTicks0 = machineCpuTicks();
const dataDir = mkdtempSync(join(tmpdir(), 'h627-bench-keepalive-'));
const b = await provisionPus(KIND, 'keepalive', COUNT, PASSWORD, dataDir);
const env = platformEnv(b, dataDir, { ADMIN_TOKEN });
const platform = await spawnReady(['bun', ...cpuProfileArgs(args.profile), join(ROOT, 'main.ts')], env, /ready (https:\/\/\S+)/);
const url = platform.match[1]!;
const pid = platform.proc.pid;
await Bun.sleep(1000);
const rss0 = procRssBytes(pid);

// The control group (the PUs that stay connected through the storm) has a generator process of its
// own, so that its round trips are not delayed by the storm's client-side TLS handshakes.
const ctl = loadGen(url, CONTROL, 0);
const gen = loadGens(url, COUNT - CONTROL, CONTROL);
await Promise.all([ctl.next(), gen.ready()]);
const both = async (m: Record<string, unknown>) => {
  const [c, g] = await Promise.all([ctl.ask(m), gen.askAll(m)]);
  return [c, ...g];
};
const genCpu = () => procCpuSeconds(ctl.proc.pid) + gen.cpuSeconds();
const lc0 = procCpuSeconds(pid);
const lg0 = genCpu();
const logins = await both({ cmd: 'connect' });
const login = {
  ok: logins.reduce((a, l) => a + Number(l.ok), 0),
  ms: Math.max(...logins.map((l) => Number(l.ms))),
  failures: logins.reduce((a, l) => a + Number(l.failures), 0),
  loginFailureReasons: logins
    .map((l) => l.loginFailureReasons)
    .filter(Boolean)
    .join('; '),
};
const loginRate = Number(login.ok) / (Number(login.ms) / 1000);
const loginServerUs = ((procCpuSeconds(pid) - lc0) / Number(login.ok)) * 1e6;
const loginGenUs = ((genCpu() - lg0) / Number(login.ok)) * 1e6;
progress(
  `logged in ${login.ok}/${COUNT} in ${(Number(login.ms) / 1000).toFixed(1)} s${login.loginFailureReasons ? `; refused: ${login.loginFailureReasons}` : ''}; CPU per login: server ${loginServerUs.toFixed(0)} µs, generator ${loginGenUs.toFixed(0)} µs`,
);
let online = 0;
for (let t = 0; t < 60 && online < COUNT; t++) {
  online = await onlineCount(url);
  if (online < COUNT) await Bun.sleep(500);
}
const rssConnected = procRssBytes(pid);
progress(`${online}/${COUNT} online on the platform`);

/** Both generators' round trips of the window, merged. */
async function measureBoth(ask = both) {
  const ms = await ask({ cmd: 'measure', raw: true });
  const samples = ms.flatMap((m) => m.samples as number[]);
  const at = ms.flatMap((m) => m.sampleAt as number[]);
  // ms[0] is the control group's generator: 1,000 PUs in a process of their own, whose event loop is
  // idle enough that its round trips are the server's (and the network's), not its own queue's.
  const probe = { n: Number(ms[0]!.n), p50: Number(ms[0]!.p50), p99: Number(ms[0]!.p99) };
  if (process.env.KA_DUMP) await Bun.write(`${process.env.KA_DUMP}-${Date.now()}.json`, JSON.stringify({ samples: ms[0]!.samples, at: ms[0]!.sampleAt }));
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
    seconds: bySecond(samples, at),
    errors: ms.reduce((a, m) => a + Number(m.errors), 0),
    closedReasons: ms
      .map((m) => m.closedReasons)
      .filter(Boolean)
      .join('; '),
    probe,
  };
}

async function phase(intervalMs: number) {
  await both({ cmd: 'interval', ms: intervalMs });
  await Bun.sleep(Math.max(intervalMs, 3000)); // every client has sent once at the new pace
  await both({ cmd: 'reset' });
  const c0 = procCpuSeconds(pid);
  const pg0 = postgresCpuSeconds();
  const d0 = await platformLoopDelays(url);
  const k0 = machineCpuTicks();
  const t0 = performance.now();
  await Bun.sleep(SECONDS * 1000);
  const steal = stealPercent(k0, machineCpuTicks());
  const m = await measureBoth();
  const s = (performance.now() - t0) / 1000;
  const cpu = procCpuSeconds(pid) - c0;
  const pg = postgresCpuSeconds() - pg0;
  const stalls = stallsBetween(d0, await platformLoopDelays(url));
  const n = Number(m.n);
  return {
    m,
    stalls,
    steal,
    perS: n / s,
    cpuPct: (cpu / s) * 100,
    usPerKeepalive: (cpu / n) * 1e6,
    pgUsPerKeepalive: KIND === 'postgres' ? (pg / n) * 1e6 : NaN,
  };
}

const slow = await phase(10_000);
progress(`10 s interval: p99 ${Number(slow.m.p99).toFixed(1)} ms, ${slow.m.errors} errors${slow.m.closedReasons ? `; closed: ${slow.m.closedReasons}` : ''}`);
const fast = await phase(1_000);
progress(
  `1 s interval: p99 ${Number(fast.m.p99).toFixed(1)} ms (control group alone ${fast.m.probe.p99.toFixed(1)} ms), ${fast.m.errors} errors${fast.m.closedReasons ? `; closed: ${fast.m.closedReasons}` : ''}`,
);
const secs = fast.m.seconds;
const fastBySecond = `1 s interval, p99 second by second: median ${secs.median.toFixed(1)} ms, worst ${secs.worst.toFixed(1)} ms (second ${secs.worstAt} of the window)`;

/** What a reconnect storm did to one server. */
interface Storm {
  drop: Drop;
  ok: number;
  ms: number;
  /** When every PU was online on the server again (platform only: it counts them), ms. */
  backAt: number;
  controlP99: number;
  controlN: number;
  /** The control group's slowest round trips: `<ms> at +<s>` from the storm's start. */
  worst: string;
  loginFailureReasons: string;
  stalls: { over: number; longest: string };
}
type Drop = 'abrupt' | 'close';

/**
 * The storm: everyone but the control group drops and comes back at once, at the real keepalive
 * interval (at 1 s, 18,000 PUs alone saturate the one event loop, and the storm would measure
 * that). `drop` 'abrupt' ends the connections without a closing handshake (a network gone away);
 * 'close' has all of them send a WebSocket close frame within half a second.
 */
async function stormPhase(
  drop: Drop,
  g: Gens,
  c: ReturnType<typeof loadGen>,
  ask: typeof both,
  loop: () => Promise<LoopDelays>,
  countOnline?: () => Promise<number>,
): Promise<Storm> {
  await ask({ cmd: 'interval', ms: STORM_INTERVAL_MS });
  await Bun.sleep(STORM_INTERVAL_MS); // every client has sent once at the new pace
  await c.ask({ cmd: 'reset' });
  const d0 = await loop();
  const start = performance.now();
  const stormP = g.ask({ cmd: 'storm', keep: CONTROL, drop });
  let backAt = NaN;
  if (countOnline) {
    await Bun.sleep(500);
    while (performance.now() - start < STORM_LIMIT_MS) {
      // A refused /metrics request (the server busy with the storm) counts as "not yet".
      if ((await countOnline().catch(() => 0)) >= COUNT) {
        backAt = performance.now() - start;
        break;
      }
      await Bun.sleep(250);
    }
  }
  const r = await stormP;
  const control = await c.ask({ cmd: 'measure', raw: true });
  const epoch = performance.timeOrigin + start;
  const ms = control.samples as number[];
  const at = control.sampleAt as number[];
  const worst = ms
    .map((m, i) => [m, at[i]!] as const)
    .sort((x, y) => y[0] - x[0])
    .slice(0, 5)
    .map(([m, t]) => `${m.toFixed(0)} ms at +${((t - epoch) / 1000).toFixed(1)} s`)
    .join(', ');
  const stalls = stallsBetween(d0, await loop());
  const out: Storm = {
    drop,
    ok: Number(r.ok),
    ms: Number(r.ms),
    backAt,
    controlP99: Number(control.p99),
    controlN: Number(control.n),
    worst,
    loginFailureReasons: String(r.loginFailureReasons ?? ''),
    stalls,
  };
  progress(
    `storm (${drop} drop): ${out.ok}/${COUNT - CONTROL} back in ${(out.ms / 1000).toFixed(1)} s${out.loginFailureReasons ? `; refused and tried again: ${out.loginFailureReasons}` : ''}; control p99 ${out.controlP99.toFixed(1)} ms, slowest ${worst}`,
  );
  return out;
}

/** One line of the report for a storm. */
function stormLine(who: string, s: Storm): string {
  const back = Number.isNaN(s.backAt) ? '' : `, all ${COUNT} online on the platform after ${(s.backAt / 1000).toFixed(1)} s`;
  return (
    `${who}, storm with ${s.drop === 'abrupt' ? 'abrupt drops' : 'WebSocket close frames'}: ${s.ok}/${COUNT - CONTROL} back in ${(s.ms / 1000).toFixed(1)} s (${Math.round(s.ok / (s.ms / 1000))} logins/s)${back}; ` +
    `control group (${CONTROL} PUs, every PU at ${STORM_INTERVAL_MS / 1000} s) keepalive p99 ${s.controlP99.toFixed(1)} ms over ${s.controlN} keepalives (slowest: ${s.worst}); event loop: ${s.stalls.over} probes ≥ 100 ms late, longest ${s.stalls.longest}`
  );
}

const storm = await stormPhase(
  'abrupt',
  gen,
  ctl,
  both,
  () => platformLoopDelays(url),
  () => onlineCount(url),
);
const stormClose = await stormPhase(
  'close',
  gen,
  ctl,
  both,
  () => platformLoopDelays(url),
  () => onlineCount(url),
);
both({ cmd: 'stop' });
await Promise.all([ctl.proc.exited, gen.exited()]);
platform.proc.kill('SIGTERM');
await platform.proc.exited;

if (SKIP_BARE) {
  await b.drop();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    `platform only: 1 s interval p99 ${Number(fast.m.p99).toFixed(1)} ms (${fastBySecond}); control group alone p99 ${fast.m.probe.p99.toFixed(2)} ms; hypervisor steal ${fast.steal.toFixed(1)} %`,
  );
  console.log(stormLine('platform', storm));
  console.log(stormLine('platform', stormClose));
  process.exit(0);
}

// The baseline: a bare Bun WSS server, the same clients (control group apart), the same frames
// at 1 s, then the same storm.
const tlsDir = join(b.dir ?? dataDir, 'tls');
const bare = await spawnReady(
  ['bun', join(import.meta.dir, 'bare-ws-server.ts'), '--cert', join(tlsDir, 'cert.pem'), '--key', join(tlsDir, 'key.pem')],
  {},
  /ready (\d+)/,
);
const bareUrl = `https://127.0.0.1:${bare.match[1]}`;
const bareCtl = loadGen(bareUrl, CONTROL, 0);
const bareGen = loadGens(bareUrl, COUNT - CONTROL, CONTROL);
await Promise.all([bareCtl.next(), bareGen.ready()]);
const bareBoth = async (m: Record<string, unknown>) => {
  const [c, g] = await Promise.all([bareCtl.ask(m), bareGen.askAll(m)]);
  return [c, ...g];
};
const blc0 = procCpuSeconds(bare.proc.pid);
const bareLogins = await bareBoth({ cmd: 'connect' });
const bareLogin = { ok: bareLogins.reduce((a, l) => a + Number(l.ok), 0), ms: Math.max(...bareLogins.map((l) => Number(l.ms))) };
const bareLoginUs = ((procCpuSeconds(bare.proc.pid) - blc0) / bareLogin.ok) * 1e6;
progress(`bare server: ${bareLogin.ok}/${COUNT} connected in ${(bareLogin.ms / 1000).toFixed(1)} s; CPU per connection ${bareLoginUs.toFixed(0)} µs`);
await bareBoth({ cmd: 'interval', ms: 1_000 });
await Bun.sleep(3000);
await bareBoth({ cmd: 'reset' });
const bc0 = procCpuSeconds(bare.proc.pid);
const bd0 = await bareLoopDelays(bareUrl);
const bk0 = machineCpuTicks();
const bt0 = performance.now();
await Bun.sleep(SECONDS * 1000);
const bareSteal = stealPercent(bk0, machineCpuTicks());
const bm = await measureBoth(bareBoth);
const bs = (performance.now() - bt0) / 1000;
const bareCpu = procCpuSeconds(bare.proc.pid) - bc0;
const bareStalls = stallsBetween(bd0, await bareLoopDelays(bareUrl));
const bareUs = (bareCpu / Number(bm.n)) * 1e6;
const bareStorm = await stormPhase('abrupt', bareGen, bareCtl, bareBoth, () => bareLoopDelays(bareUrl));
const bareStormClose = await stormPhase('close', bareGen, bareCtl, bareBoth, () => bareLoopDelays(bareUrl));
bareBoth({ cmd: 'stop' });
await Promise.all([bareCtl.proc.exited, bareGen.exited()]);
bare.proc.kill();
await b.drop();
rmSync(dataDir, { recursive: true, force: true });

const rssPerConn = (rssConnected - rss0) / COUNT;
console.log(
  `\nlogins: ${login.ok}/${COUNT} in ${(Number(login.ms) / 1000).toFixed(1)} s (${Math.round(loginRate)}/s, ${login.failures} refused; CPU per login: server ${loginServerUs.toFixed(0)} µs, generator ${loginGenUs.toFixed(0)} µs; bare server ${bareLoginUs.toFixed(0)} µs per TLS+WebSocket connection), RSS ${Math.round(rss0 / 1e6)} MB idle → ${Math.round(rssConnected / 1e6)} MB connected: ${(rssPerConn / 1024).toFixed(1)} KiB per connection`,
);
console.log(
  table([
    {
      phase: 'platform, 10 s interval',
      'keepalives/s': Math.round(slow.perS),
      'p50 ms': Number(slow.m.p50),
      'p99 ms': Number(slow.m.p99),
      'max ms': Number(slow.m.max),
      errors: Number(slow.m.errors),
      'server cpu %': slow.cpuPct,
      'server µs/ka': slow.usPerKeepalive,
      'pg µs/ka': slow.pgUsPerKeepalive,
      'stalls ≥100 ms': slow.stalls.over,
      'longest stall': slow.stalls.longest,
      'steal %': slow.steal,
    },
    {
      phase: 'platform, 1 s interval',
      'keepalives/s': Math.round(fast.perS),
      'p50 ms': Number(fast.m.p50),
      'p99 ms': Number(fast.m.p99),
      'max ms': Number(fast.m.max),
      errors: Number(fast.m.errors),
      'server cpu %': fast.cpuPct,
      'server µs/ka': fast.usPerKeepalive,
      'pg µs/ka': fast.pgUsPerKeepalive,
      'stalls ≥100 ms': fast.stalls.over,
      'longest stall': fast.stalls.longest,
      'steal %': fast.steal,
    },
    {
      phase: 'bare Bun WSS, 1 s interval',
      'keepalives/s': Math.round(Number(bm.n) / bs),
      'p50 ms': Number(bm.p50),
      'p99 ms': Number(bm.p99),
      'max ms': Number(bm.max),
      errors: Number(bm.errors),
      'server cpu %': (bareCpu / bs) * 100,
      'server µs/ka': bareUs,
      'pg µs/ka': NaN,
      'stalls ≥100 ms': bareStalls.over,
      'longest stall': bareStalls.longest,
      'steal %': bareSteal,
    },
  ]),
);
console.log(fastBySecond);
console.log(
  `1 s interval, the control group alone (${CONTROL} PUs in a generator process of their own, whose event loop is not queueing ${COUNT - CONTROL} other PUs' frames): ` +
    `platform p50 ${fast.m.probe.p50.toFixed(2)} ms, p99 ${fast.m.probe.p99.toFixed(2)} ms; bare p50 ${bm.probe.p50.toFixed(2)} ms, p99 ${bm.probe.p99.toFixed(2)} ms`,
);
console.log(
  `CPU per keepalive, platform / bare: ${(fast.usPerKeepalive / bareUs).toFixed(2)}x (platform process only); ${((fast.usPerKeepalive + (fast.pgUsPerKeepalive || 0)) / bareUs).toFixed(2)}x with PostgreSQL's share`,
);
console.log(stormLine('platform', storm));
console.log(stormLine('bare server', bareStorm));
console.log(stormLine('platform', stormClose));
console.log(stormLine('bare server', bareStormClose));
// Projection at a 10 s interval: CPU = per-keepalive cost × 0.1/s per PU (both cores), memory = RSS per connection.
const cores = navigator.hardwareConcurrency;
const perPuCpu = (slow.usPerKeepalive + (slow.pgUsPerKeepalive || 0)) / 1e6 / 10;
const byCpu = Math.floor((cores * 0.7) / perPuCpu);
const byMem = Math.floor((16 * 2 ** 30) / rssPerConn);
console.log(
  `projection at 10 s: CPU allows ~${byCpu.toLocaleString()} PUs per node (70% of ${cores} cores at ${(perPuCpu * 1e6).toFixed(2)} µs/s per PU), memory ~${byMem.toLocaleString()} (16 GiB at ${(rssPerConn / 1024).toFixed(1)} KiB each); the open-files limit (20,000 per process) binds first: run several processes per node`,
);
console.log(`${machineNote()}; the hypervisor took ${stealPercent(runTicks0, machineCpuTicks()).toFixed(1)} % of the CPU time over the run`);
process.exit(0);
