/**
 * `bun run bench vr-rates`: what a Vr request costs at a low rate against a high one (issue 24's CPU goal; docs/benchmarks.md,
 * "vr"). Three parts, one run:
 * - Vr metadata pairs (create with the previous name) on the local disk, 64 at a time over 256 cameras, offered at each of
 *   `--rates` (0: as fast as they go; else open loop at that rate): platform and PostgreSQL CPU per pair over the measured
 *   window only, and the host's group commits per pair (`h627_commit_latency_seconds_count`).
 * - The actor host alone (no HTTP; 64 counter actors, PostgreSQL): CPU per dispatch committed alone back to back, alone
 *   with GAP_MS of idle between dispatches, and 64 sharing commits.
 * - This machine's cost of waking from the event loop: a bare timer every GAP_MS in this process, and a postgres.js
 *   `select 1` back to back and after GAP_MS idle (the baseline the two parts above run on).
 *
 * Options: --rates 0,1000,240,60 --seconds 8 --cameras 256 --pus 64 --size 0 (bytes per segment: 0 for metadata pairs)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorHost } from '../actors/host/host.ts';
import { pgClient } from '../db/client.ts';
import { counterDef } from './counter.machine.ts';
import { BENCH_PG_URL, benchDb, machineNote, parseArgs, procCpuSeconds, selfCpuSeconds, table } from './lib.ts';
import { benchPlatform, recordingPus, run, TLS, UPLOADED_LOCAL, WARMUP_MS } from './vr-lib.ts';

const args = parseArgs(process.argv.slice(2));
const RATES = String(args.rates ?? '0,1000,240,60')
  .split(',')
  .map(Number);
const SECONDS = Number(args.seconds ?? 8);
const CAMERAS = Number(args.cameras ?? 256);
const PUS = Number(args.pus ?? 64);
const SIZE = Number(args.size ?? 0);
/** Idle between lone operations in the host and wake parts (a request every few ms: a few hundred a second). */
const GAP_MS = 4;
/** Operations per figure in the host and wake parts. */
const LONE_N = 1000;
/** Actors of the host part (and dispatches sharing a commit in its batched figure). */
const HOST_ACTORS = 64;

console.log(
  `bench vr-rates: Vr ${SIZE ? `${SIZE} B cycles` : 'metadata pairs'} at ${RATES.join(', ')}/s (0: full speed), ${PUS} at a time over ${CAMERAS} cameras, ${SECONDS} s each`,
);
console.log(machineNote());

const us = (s: number) => Math.round(s * 1e6);

// Part 1: through a platform.
const b = await benchDb('postgres', 'vr_rates');
const dataDir = mkdtempSync(join(tmpdir(), 'h627-bench-vr-rates-'));
const platform = await benchPlatform(dataDir, b.url ?? '', true, { CS_BACKEND: 'local' });
const rows: Array<Record<string, string | number>> = [];
try {
  const pus = await recordingPus(platform.url, CAMERAS, Math.max(SIZE, 1));
  const commits = async () =>
    Number(/h627_commit_latency_seconds_count (\d+)/.exec(await (await fetch(`${platform.url}/metrics`, TLS as RequestInit)).text())?.[1] ?? 0);
  const base = Math.floor(Date.now() / 1000) - 86_400;
  for (const [k, rate] of RATES.entries()) {
    let cpu0 = 0;
    let cpu1 = 0;
    let commits0 = 0;
    let commits1 = 0;
    // The platform's CPU and commits over the measured window only (run() measures after WARMUP_MS, for SECONDS).
    const window = (async () => {
      await Bun.sleep(WARMUP_MS);
      [cpu0, commits0] = [procCpuSeconds(platform.proc.pid), await commits()];
      await Bun.sleep(SECONDS * 1000);
      [cpu1, commits1] = [procCpuSeconds(platform.proc.pid), await commits()];
    })();
    const r = await run(pus, SIZE, SECONDS, base + (k + 1) * 100_000, rate, UPLOADED_LOCAL, PUS);
    await window;
    rows.push({
      offered: rate ? `${rate}/s` : 'full speed',
      'done/s': Math.round(r.perS),
      'group commits each': ((commits1 - commits0) / r.cycles).toFixed(2),
      'platform µs each': us((cpu1 - cpu0) / r.cycles),
      'PostgreSQL µs each': us(r.cpu.pg / r.cycles),
      'create p50 ms': r.create.p(50),
      errors: r.errors,
    });
  }
  for (const p of pus) p.ws.close();
} finally {
  platform.proc.kill('SIGTERM');
  await platform.proc.exited;
  await b.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(table(rows));

// Part 2: the actor host alone.
const h = await benchDb('postgres', 'vr_rates_host');
const host = new ActorHost({ db: h.db, machines: [counterDef] });
await host.start();
for (let i = 0; i < HOST_ACTORS; i++) await host.create('counter', `counter:${i}`, { deviceId: `d${i}` });
let note = 0;
const lone = async (gapMs: number) => {
  const c0 = selfCpuSeconds();
  for (let i = 0; i < LONE_N; i++) {
    await host.dispatch(`counter:${i % HOST_ACTORS}`, { type: 'tick', note: `n${note++}` });
    if (gapMs) await Bun.sleep(gapMs);
  }
  return us((selfCpuSeconds() - c0) / LONE_N);
};
const shared = async () => {
  const c0 = selfCpuSeconds();
  const n = LONE_N * 10;
  for (let i = 0; i < n; i += HOST_ACTORS)
    await Promise.all(Array.from({ length: HOST_ACTORS }, (_, j) => host.dispatch(`counter:${j}`, { type: 'tick', note: `n${note++}` })));
  return us((selfCpuSeconds() - c0) / n);
};
await lone(0); // warm-up
const hostRow = {
  'alone, back to back': await lone(0),
  [`alone, ${GAP_MS} ms idle between`]: await lone(GAP_MS),
  [`${HOST_ACTORS} sharing commits`]: await shared(),
};
await host.stop();
await h.drop();
console.log(`\nthe actor host alone, PostgreSQL: CPU per dispatch committed (µs, this process)`);
console.log(table([hostRow]));

// Part 3: this machine's wake cost.
const wakes = async () => {
  const c0 = selfCpuSeconds();
  for (let i = 0; i < LONE_N; i++) await Bun.sleep(GAP_MS);
  return us((selfCpuSeconds() - c0) / LONE_N);
};
const pg = pgClient(BENCH_PG_URL, { max: 1 });
await pg`select 1`;
const queries = async (gapMs: number) => {
  const c0 = selfCpuSeconds();
  for (let i = 0; i < LONE_N; i++) {
    await pg`select 1`;
    if (gapMs) await Bun.sleep(gapMs);
  }
  return us((selfCpuSeconds() - c0) / LONE_N);
};
const wakeRow = {
  [`a timer every ${GAP_MS} ms`]: await wakes(),
  'select 1, back to back': await queries(0),
  [`select 1 + ${GAP_MS} ms idle`]: await queries(GAP_MS),
};
await pg.end();
console.log(`\nthis machine: CPU per operation (µs, this process, Bun ${Bun.version})`);
console.log(table([wakeRow]));
console.log(machineNote());
