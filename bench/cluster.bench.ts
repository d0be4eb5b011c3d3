/**
 * `bun run bench cluster`: what running as a cluster costs (issue #21, docs/cluster.md), measured in one run on one
 * PostgreSQL, the load generators sharing the machine with the nodes:
 * 1. Cost of being a cluster: server CPU per keepalive of 2 nodes (summed) holding 6,000 PUs each against 1 node
 *    holding all 12,000, same generators (bench/keepalive-load.ts, PUs provisioned straight into the database), at
 *    the real 10 s interval and at a faster one; PostgreSQL's CPU beside it (this database's backends, and all).
 * 2. A request on a node that does not own the device: GET /api/devices/:id on the owner and on the other node,
 *    interleaved, one at a time, p50/p99 and the p99 the forward adds.
 * 3. Failover: kill -9 one of the 2 nodes; its PUs back off, find nobody at their Vd address, ask Vs (either node,
 *    at random) and log in to the survivor. Time until every PU is online on the survivor, the survivor's own PUs'
 *    keepalive p99 meanwhile, and alarms (AlarmNotify, sent by every PU throughout) acknowledged but not in the DB.
 * 4. The projection for N nodes from the measured costs and the database's commit capacity (bench/actors.bench.ts,
 *    run at the end): where the database becomes the limit.
 * Benches print; nothing here asserts a target. The targets of the issue are printed beside the figures.
 *
 * Options: --pus 12000 --seconds 30 --fast-interval-ms 2000 --requests 1000 --alarm-every-ms 60000
 *          --capacity-seconds 9 --skip-capacity (no actors run: no projection) --log-level warn
 *          --profile <dir> (CPU profiles of the 1-node run's node and of the pair's node-1, written when each stops)
 *          --only failover (the pair and its failover only: a quicker run while working on failover)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type BenchNode, backendsCpu, backendsDelta, commitCapacity, nodesCpu, PASSWORD, startNode, stopNode, type TwoGens, twoGens } from './cluster-nodes.ts';
import { progress } from './keepalive-gens.ts';
import {
  benchDeviceId,
  cpuProfileArgs,
  machineCpuTicks,
  machineNote,
  parseArgs,
  percentile,
  postgresCpuSeconds,
  referenceSpeed,
  stealPercent,
  table,
} from './lib.ts';
import { onlineCount, platformLoopDelays, provisionPus, stallsBetween } from './platform.ts';
import { projection } from './cluster-report.ts';

const args = parseArgs(process.argv.slice(2));
const PUS = Number(args.pus ?? 12_000);
const SECONDS = Number(args.seconds ?? 30);
/** A camera's keepalive interval (I.2.2 hb_interval, the platform's default). */
const SLOW_INTERVAL_MS = 10_000;
/** A faster interval, for the per-keepalive cost with less of the nodes' fixed work in it. */
const FAST_INTERVAL_MS = Number(args['fast-interval-ms'] ?? 2_000);
const REQUESTS = Number(args.requests ?? 1_000);
/** Requests per node before measuring (connections, TLS sessions, the directory's cache, JIT). */
const REQUEST_WARMUP = 100;
/** Devices the requests go round (all owned by node-1). */
const REQUEST_DEVICES = 50;
/** Each PU's alarm period during the failover: 12,000 PUs send 200 alarms a second. */
const ALARM_EVERY_MS = Number(args['alarm-every-ms'] ?? 60_000);
const CAPACITY_SECONDS = Number(args['capacity-seconds'] ?? 9);
const FAILOVER_ONLY = args.only === 'failover';
const SKIP_CAPACITY = args['skip-capacity'] === 'true' || FAILOVER_ONLY;
/** After the logins, before measuring: adoption of the previous phase's actors, the first keepalives. */
const SETTLE_MS = 10_000;
/** Longest wait for all PUs online (after logins; after the kill). */
const ONLINE_LIMIT_MS = 60_000;
const FAILOVER_LIMIT_MS = 180_000;
/** Alarms flowing before the kill, and after everyone is back (then the answers in flight settle). */
const ALARMS_BEFORE_KILL_MS = 10_000;
const ALARMS_AFTER_MS = 10_000;
const ANSWERS_SETTLE_MS = 3_000;
const POLL_MS = 250;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
/** The issue's targets (#21), printed beside the figures. */
const TARGET = { clusterCost: 1.15, forwardAddedP99Ms: 5, failoverS: 60, survivorP99Ms: 100 };
const tls = { rejectUnauthorized: false };

console.log(`bench cluster: ${PUS} PUs, ${SECONDS} s windows at ${SLOW_INTERVAL_MS / 1000} s and ${FAST_INTERVAL_MS / 1000} s keepalive intervals`);
console.log(machineNote());
console.log(`reference: SHA-256 at ${referenceSpeed().toFixed(0)} MB/s on one core`);
const runTicks0 = machineCpuTicks();
const dir = mkdtempSync(join(tmpdir(), 'h627-bench-cluster-'));
/** The nodes' logs: kept after the run (the rest of `dir` goes). */
const logDir = mkdtempSync(join(tmpdir(), 'h627-bench-cluster-logs-'));
console.log(`nodes' logs in ${logDir}`);
mkdirSync(join(dir, 'cs'));
const b = await provisionPus('postgres', 'cluster', PUS, PASSWORD, dir);
const dbName = new URL(b.url!).pathname.slice(1);
const shared = {
  DATABASE_URL: b.url!,
  ADMIN_TOKEN,
  PLATFORM_KEY_FILE: join(dir, 'secret-key'),
  CS_DIR: join(dir, 'cs'),
  CLUSTER_TLS_INSECURE: '1',
  LOG_LEVEL: args['log-level'] ?? 'warn',
};
progress(`provisioned ${PUS} PUs in ${dbName}`);

/** Bun's flags for a CPU profile of a node into <--profile>/<name> (a diagnostic run; node-2 dies by kill -9, unprofiled). */
const profileArgs = (name: string) => cpuProfileArgs(args.profile ? join(args.profile, name) : undefined);

const onlineOn = async (nodes: BenchNode[]) => (await Promise.all(nodes.map((n) => onlineCount(n.url).catch(() => 0)))).reduce((a, x) => a + x, 0);

/** Log every PU in and wait until the nodes count all of them online. */
async function connect(g: TwoGens, nodes: BenchNode[], label: string) {
  const r = await g.both({ cmd: 'connect' });
  const t0 = performance.now();
  let online = 0;
  while ((online = await onlineOn(nodes)) < PUS && performance.now() - t0 < ONLINE_LIMIT_MS) await Bun.sleep(POLL_MS);
  const refused = r.map((x) => x.loginFailureReasons).filter(Boolean);
  progress(
    `${label}: ${r.reduce((a, x) => a + Number(x.ok), 0)} logged in, ${online}/${PUS} online${refused.length ? `; refused: ${refused.join('; ')}` : ''}`,
  );
  await Bun.sleep(SETTLE_MS);
}

/** One measured window at `intervalMs`: round trips, CPU per keepalive of the nodes, PostgreSQL and generators. */
async function measureWindow(g: TwoGens, nodes: BenchNode[], label: string, intervalMs: number) {
  await g.both({ cmd: 'interval', ms: intervalMs });
  await Bun.sleep(Math.max(intervalMs, 3000)); // every PU has sent once at the new pace
  await g.both({ cmd: 'reset' });
  const loops0 = await Promise.all(nodes.map((n) => platformLoopDelays(n.url)));
  const [c0, pg0, pgAll0, gen0, k0, t0] = [
    nodesCpu(nodes),
    await backendsCpu(b.db, dbName),
    postgresCpuSeconds(),
    g.cpu(),
    machineCpuTicks(),
    performance.now(),
  ];
  await Bun.sleep(SECONDS * 1000);
  const [c1, pg1, pgAll1, gen1, k1, t1] = [
    nodesCpu(nodes),
    await backendsCpu(b.db, dbName),
    postgresCpuSeconds(),
    g.cpu(),
    machineCpuTicks(),
    performance.now(),
  ];
  const ms = await g.both({ cmd: 'measure', raw: true });
  const loops1 = await Promise.all(nodes.map((n) => platformLoopDelays(n.url)));
  const samples = ms.flatMap((m) => m.samples as number[]);
  const n = samples.length;
  const s = (t1 - t0) / 1000;
  const stalls = loops0.map((l, i) => stallsBetween(l, loops1[i]!));
  const row = {
    config: label,
    interval: `${intervalMs / 1000} s`,
    'keepalives/s': Math.round(n / s),
    'p50 ms': percentile(samples, 50),
    'p99 ms': percentile(samples, 99),
    errors: ms.reduce((a, m) => a + Number(m.errors), 0),
    'nodes cpu %': ((c1 - c0) / s) * 100,
    'nodes µs/ka': ((c1 - c0) / n) * 1e6,
    'pg µs/ka': (backendsDelta(pg0, pg1) / n) * 1e6,
    'all pg µs/ka': ((pgAll1 - pgAll0) / n) * 1e6,
    'gen µs/ka': ((gen1 - gen0) / n) * 1e6,
    'stalls ≥100 ms': stalls.reduce((a, x) => a + x.over, 0),
    'steal %': stealPercent(k0, k1),
  };
  progress(`${label} at ${intervalMs / 1000} s: ${row['keepalives/s']}/s, p99 ${row['p99 ms'].toFixed(1)} ms, nodes ${row['nodes µs/ka'].toFixed(1)} µs/ka`);
  return row;
}

/** The 1-node windows: one node holding every PU, with the same two generators and intervals as the pair after it. */
async function soloWindows() {
  const solo = [await startNode('node-1', dir, shared, logDir, profileArgs('solo'))];
  const gs = twoGens(solo[0]!.url, solo[0]!.url, PUS);
  await gs.ready();
  await connect(gs, solo, '1 node');
  const slow = await measureWindow(gs, solo, '1 node', SLOW_INTERVAL_MS);
  const fast = await measureWindow(gs, solo, '1 node', FAST_INTERVAL_MS);
  await gs.stop();
  await stopNode(solo[0]!);
  return { slow, fast };
}

// 1. One node holding every PU, then two holding half each: the same two generators, the same intervals.
const soloRows = FAILOVER_ONLY ? undefined : await soloWindows();

const pair = await Promise.all([startNode('node-1', dir, shared, logDir, profileArgs('pair-1')), startNode('node-2', dir, shared, logDir)]);
const [owner, other] = [pair[0]!, pair[1]!];
const g = twoGens(owner.url, other.url, PUS, ['--vs', pair.map((n) => n.url).join(',')]);
await g.ready();
await connect(g, pair, '2 nodes');
const pairRows = FAILOVER_ONLY
  ? undefined
  : { slow: await measureWindow(g, pair, '2 nodes', SLOW_INTERVAL_MS), fast: await measureWindow(g, pair, '2 nodes', FAST_INTERVAL_MS) };
await g.both({ cmd: 'interval', ms: SLOW_INTERVAL_MS });

// 2. The same GET on the owner and on the other node, interleaved, one at a time, at the 10 s keepalive load.
const half = Math.floor(PUS / 2);
const ids = Array.from({ length: REQUEST_DEVICES }, (_, k) => benchDeviceId(Math.floor((k * half) / REQUEST_DEVICES)));
let notForwarded = 0;
async function timedGet(node: BenchNode, id: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(`${node.url}/api/devices/${id}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, tls } as RequestInit);
  await r.text();
  const ms = performance.now() - t;
  if (r.status !== 200) throw new Error(`GET /api/devices/${id} on ${node.id} answered ${r.status}`);
  if (node === other && r.headers.get('x-h627-served-by') !== owner.id) notForwarded++;
  return ms;
}
const direct: number[] = [];
const forwarded: number[] = [];
for (let k = 0; k < (FAILOVER_ONLY ? 0 : REQUEST_WARMUP + REQUESTS); k++) {
  const id = ids[k % ids.length]!;
  const order = k % 2 === 0 ? [owner, other] : [other, owner];
  for (const node of order) {
    const ms = await timedGet(node, id);
    if (k >= REQUEST_WARMUP) (node === owner ? direct : forwarded).push(ms);
  }
}
const fwd = {
  ownerP50: percentile(direct, 50),
  ownerP99: percentile(direct, 99),
  otherP50: percentile(forwarded, 50),
  otherP99: percentile(forwarded, 99),
};
progress(
  `forward: owner p50/p99 ${fwd.ownerP50.toFixed(2)}/${fwd.ownerP99.toFixed(2)} ms, other node ${fwd.otherP50.toFixed(2)}/${fwd.otherP99.toFixed(2)} ms`,
);

// 3. Failover: alarms flowing, kill -9 node-2, its PUs find their way to node-1.
await g.both({ cmd: 'alarms', ms: ALARM_EVERY_MS });
await Bun.sleep(ALARMS_BEFORE_KILL_MS);
await g.a.ask({ cmd: 'reset' });
await g.b.ask({ cmd: 'status' }); // clears its list of recoveries
const survivorLoop0 = await platformLoopDelays(owner.url);
const fk0 = machineCpuTicks();
const fc0 = nodesCpu([owner]);
const fg0 = g.cpu();
const fp0 = await backendsCpu(b.db, dbName);
const killedAt = Date.now();
other.proc.kill('SIGKILL');
progress(`killed ${other.id} (-9)`);
const recovered: number[] = [];
const tries: number[] = [];
const vsAnswerMs: number[] = [];
const vdAnswerMs: number[] = [];
let loginFailures = '';
let genBackMs = NaN;
let sawDrop = false;
let allOnlineMs = NaN;
let vsFailures = '';
while (Date.now() - killedAt < FAILOVER_LIMIT_MS) {
  const st = await g.b.ask({ cmd: 'status' });
  recovered.push(...(st.recoveredAt as number[]).map((t) => t - killedAt));
  tries.push(...(st.recoveredTries as number[]));
  vsAnswerMs.push(...(st.vsAnswerMs as number[]));
  vdAnswerMs.push(...(st.vdAnswerMs as number[]));
  vsFailures = String(st.vsFailures || vsFailures);
  loginFailures = String(st.loginFailureReasons || loginFailures);
  if (Number(st.online) < PUS - half) sawDrop = true;
  else if (sawDrop && Number.isNaN(genBackMs)) genBackMs = Date.now() - killedAt;
  if ((await onlineCount(owner.url).catch(() => 0)) >= PUS) {
    allOnlineMs = Date.now() - killedAt;
    break;
  }
  await Bun.sleep(POLL_MS);
}
const failSeconds = (Date.now() - killedAt) / 1000;
const survivorKa = await g.a.ask({ cmd: 'measure' });
const survivorStalls = stallsBetween(survivorLoop0, await platformLoopDelays(owner.url));
const failCpuPct = ((nodesCpu([owner]) - fc0) / failSeconds) * 100;
const failGenCpuPct = ((g.cpu() - fg0) / failSeconds) * 100;
const failPgCpuPct = (backendsDelta(fp0, await backendsCpu(b.db, dbName)) / failSeconds) * 100;
const failSteal = stealPercent(fk0, machineCpuTicks());
progress(`failover: all ${PUS} online on ${owner.id} after ${(allOnlineMs / 1000).toFixed(1)} s; survivor's PUs p99 ${Number(survivorKa.p99).toFixed(1)} ms`);
await Bun.sleep(ALARMS_AFTER_MS);
await g.both({ cmd: 'alarms', ms: 0 });
await Bun.sleep(ANSWERS_SETTLE_MS);
const acks = await g.both({ cmd: 'acked' });
const acked = acks.flatMap((a) => a.acked as string[]);
const stored = new Set((await b.db.rows<{ desc: string }>(sql`SELECT "desc" FROM alarms`)).map((r) => r.desc));
const lost = acked.filter((d) => !stored.has(d));
const [loggedRow] = await b.db.rows<{ logged: number }>(sql`SELECT count(*)::int AS logged FROM actor_events WHERE event->>'type' = 'vd.alarm'`);
const alarms = {
  sent: acks.reduce((a, x) => a + Number(x.sent), 0),
  acked: acked.length,
  refused: acks.reduce((a, x) => a + Number(x.refused), 0),
  lost: lost.length,
  logged: Number(loggedRow?.logged ?? 0),
  answerMs: acks.flatMap((a) => a.answerMs as number[]),
};
await g.stop();
await stopNode(owner);
await b.drop();
rmSync(dir, { recursive: true, force: true });

// 4. The database's commit capacity, measured now (the cluster is down), and the projection.
const capacity = SKIP_CAPACITY ? undefined : await commitCapacity(CAPACITY_SECONDS);

if (soloRows && pairRows) {
  const [soloSlow, soloFast, pairSlow, pairFast] = [soloRows.slow, soloRows.fast, pairRows.slow, pairRows.fast];
  console.log('\n1. cost of being a cluster: the same PUs, generators and intervals on 1 node and on 2 (CPU summed)');
  console.log(table([soloSlow, pairSlow, soloFast, pairFast]));
  for (const [s, p] of [
    [soloSlow, pairSlow],
    [soloFast, pairFast],
  ] as const) {
    const nodes = p['nodes µs/ka'] / s['nodes µs/ka'];
    const withPg = (p['nodes µs/ka'] + p['pg µs/ka']) / (s['nodes µs/ka'] + s['pg µs/ka']);
    console.log(
      `at ${s.interval}: CPU per keepalive, 2 nodes / 1 node: ${nodes.toFixed(2)}x (nodes), ${withPg.toFixed(2)}x with this database's backends (target ≤ ${TARGET.clusterCost}x)`,
    );
  }
}
if (!FAILOVER_ONLY) {
  console.log(`\n2. GET /api/devices/:id, ${REQUESTS} each, interleaved, one at a time (${notForwarded} answers on the other node not served by the owner)`);
  console.log(
    table([
      { node: `owner (${owner.id})`, 'p50 ms': fwd.ownerP50, 'p99 ms': fwd.ownerP99 },
      { node: `other (${other.id}), forwarded`, 'p50 ms': fwd.otherP50, 'p99 ms': fwd.otherP99 },
    ]),
  );
  console.log(
    `added by the forward: p50 ${(fwd.otherP50 - fwd.ownerP50).toFixed(2)} ms, p99 ${(fwd.otherP99 - fwd.ownerP99).toFixed(2)} ms (target ≤ ${TARGET.forwardAddedP99Ms} ms)`,
  );
}
const rec = recovered.sort((x, y) => x - y);
console.log(`\n3. failover: kill -9 ${other.id} holding ${PUS - half} PUs, ${half} on ${owner.id}`);
console.log(
  `every PU online on ${owner.id} after ${(allOnlineMs / 1000).toFixed(1)} s (target ≤ ${TARGET.failoverS} s); the generator saw all of its PUs logged in again after ${(genBackMs / 1000).toFixed(1)} s; ` +
    `recoveries p50 ${(percentile(rec, 50) / 1000).toFixed(1)} s, p90 ${(percentile(rec, 90) / 1000).toFixed(1)} s, p99 ${(percentile(rec, 99) / 1000).toFixed(1)} s, last ${((rec.at(-1) ?? Number.NaN) / 1000).toFixed(1)} s (${rec.length} PUs), tries each p50 ${percentile(tries, 50)}, p99 ${percentile(tries, 99)}, most ${Math.max(0, ...tries)}; Vs answered in p50 ${percentile(vsAnswerMs, 50).toFixed(0)} ms, p99 ${percentile(vsAnswerMs, 99).toFixed(0)} ms, Vd logins in p50 ${percentile(vdAnswerMs, 50).toFixed(0)} ms, p99 ${percentile(vdAnswerMs, 99).toFixed(0)} ms${vsFailures ? `; Vs failures: ${vsFailures}` : ''}${loginFailures ? `; Vd logins refused: ${loginFailures}` : ''}`,
);
console.log(
  `survivor's own PUs meanwhile: keepalive p50 ${Number(survivorKa.p50).toFixed(1)} ms, p99 ${Number(survivorKa.p99).toFixed(1)} ms, max ${Number(survivorKa.max).toFixed(1)} ms over ${survivorKa.n} keepalives, ${survivorKa.errors} errors (target p99 ≤ ${TARGET.survivorP99Ms} ms); ` +
    `survivor CPU ${failCpuPct.toFixed(0)} % of a core (the generators ${failGenCpuPct.toFixed(0)} %, this database's live backends ${failPgCpuPct.toFixed(0)} %), ${survivorStalls.over} event-loop stalls ≥ 100 ms (longest ${survivorStalls.longest}); steal ${failSteal.toFixed(1)} %`,
);
console.log(
  `alarms (AlarmNotify, one per PU every ${ALARM_EVERY_MS / 1000} s): ${alarms.sent} sent, ${alarms.acked} acknowledged, ${alarms.refused} refused, ${alarms.sent - alarms.acked - alarms.refused} unanswered (socket gone first); ` +
    `answered in p50 ${percentile(alarms.answerMs, 50).toFixed(1)} ms, p99 ${percentile(alarms.answerMs, 99).toFixed(1)} ms; ` +
    `acknowledged but not in the database: ${alarms.lost} (target 0); in the pu actors' event logs: ${alarms.logged}`,
);
if (capacity && soloRows && pairRows) {
  const [soloSlow, pairSlow] = [soloRows.slow, pairRows.slow];
  console.log(`\n4. the database's commit capacity (bench/actors.bench.ts, ${CAPACITY_SECONDS} s): ${capacity.line}`);
  console.log(projection({ solo: soloSlow, pair: pairSlow, intervalS: SLOW_INTERVAL_MS / 1000, capacity }));
}
console.log(`\n${machineNote()}; the hypervisor took ${stealPercent(runTicks0, machineCpuTicks()).toFixed(1)} % of the CPU time over the run`);
process.exit(0);
