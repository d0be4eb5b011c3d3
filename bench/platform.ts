/**
 * Benchmarks that run the platform as a process of its own: PUs provisioned straight into a fresh
 * database, the platform's environment, starting it, and asking it how many PUs are online.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { ActorHost } from '../actors/host/host.ts';
import { MACHINES } from '../actors/machines/index.ts';
import { puActorId } from '../actors/machines/pu.machine.ts';
import { devices } from '../db/schema.ts';
import { hashPassword } from '../services/users/passwords.ts';
import { loadPlatformKey, passwordVerifier } from '../lib/secrets.ts';
import { benchDb, benchDeviceId, benchMac, type BenchDb } from './lib.ts';

export const ROOT = join(import.meta.dir, '..');
/** Device rows and pu actors created per statement while provisioning. */
const PROVISION_CHUNK = 1000;

/**
 * A fresh database with `count` PUs (ids {@link benchDeviceId}) and their pu actors, provisioned
 * straight into it (one argon2id hash, shared: setup, not the measured path), keyed with the
 * platform key of `dataDir`. The database is closed again when it is PGlite (one process at a time).
 */
export async function provisionPus(kind: 'postgres' | 'pglite', label: string, count: number, password: string, dataDir: string): Promise<BenchDb> {
  const b = await benchDb(kind, label);
  const passwordHash = await hashPassword(password);
  const verifier = passwordVerifier(loadPlatformKey(join(dataDir, 'secret-key')), password);
  const host = new ActorHost({ db: b.db, machines: MACHINES });
  for (let i = 0; i < count; i += PROVISION_CHUNK) {
    const ids = Array.from({ length: Math.min(PROVISION_CHUNK, count - i) }, (_, j) => i + j);
    await b.db.orm.insert(devices).values(ids.map((n) => ({ id: benchDeviceId(n), macId: benchMac(n), passwordHash, verifier, channels: [0] })));
    await Promise.all(
      ids.map((n) =>
        host.create('pu', puActorId(benchDeviceId(n)), { deviceId: benchDeviceId(n), macId: benchMac(n), channels: [0] }, { deviceId: benchDeviceId(n) }),
      ),
    );
  }
  await host.stop();
  if (b.dir) await b.db.close();
  return b;
}

/**
 * The platform's environment for a provisioned database: ephemeral ports, warnings only, and
 * DATA_DIR where the database lives (for PGlite, `<dir>/pg`, with `dataDir`'s platform key copied in).
 */
export function platformEnv(b: BenchDb, dataDir: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    SRT_PORT: '0',
    HIBERNATION_PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: b.url ?? '',
    ...extra,
  };
  if (b.dir) {
    env.DATA_DIR = b.dir;
    writeFileSync(join(b.dir, 'secret-key'), readFileSync(join(dataDir, 'secret-key')));
  }
  return env;
}

/** Start a process and wait for `pattern` on its stdout; the rest of its stdout is drained. */
export async function spawnReady(
  cmd: string[],
  env: Record<string, string>,
  pattern: RegExp,
): Promise<{ proc: Subprocess<'ignore', 'pipe', 'inherit'>; match: RegExpExecArray }> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'inherit' });
  const decoder = new TextDecoder();
  const reader = proc.stdout.getReader();
  let buf = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    buf += decoder.decode(r.value);
    const m = pattern.exec(buf);
    if (m) {
      (async () => {
        while (!(await reader.read()).done) {
          /* drain logs */
        }
      })();
      return { proc, match: m };
    }
  }
  throw new Error(`process exited before ready: ${buf}`);
}

/** Devices the platform has online (pu actors in online.ready) and connected over Vd right now. */
export async function onlineCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { tls: { rejectUnauthorized: false } } as RequestInit)).text();
  const online = Number(/h627_actors\{type="pu",state="online\.ready"\} (\d+)/.exec(text)?.[1] ?? 0);
  const connected = Number(/h627_vd_connections (\d+)/.exec(text)?.[1] ?? 0);
  return Math.min(online, connected);
}

/** An event-loop delay histogram, cumulative: probes that ran at most `le[i]` s late, and all probes. */
export interface LoopDelays {
  le: number[];
  atMost: number[];
  count: number;
}

/** One of the platform's histograms (seconds), from /metrics. */
export async function platformHistogram(url: string, name: string): Promise<LoopDelays> {
  const text = await (await fetch(`${url}/metrics`, { tls: { rejectUnauthorized: false } } as RequestInit)).text();
  const d: LoopDelays = { le: [], atMost: [], count: 0 };
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))) {
    if (m[1] === '+Inf') continue;
    d.le.push(Number(m[1]));
    d.atMost.push(Number(m[2]));
  }
  d.count = Number(new RegExp(`^${name}_count (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return d;
}

/** The platform's event-loop delays, from /metrics. */
export function platformLoopDelays(url: string): Promise<LoopDelays> {
  return platformHistogram(url, 'h627_event_loop_delay_seconds');
}

/** The bench's bare server's event-loop delays. */
export async function bareLoopDelays(url: string): Promise<LoopDelays> {
  return (await (await fetch(`${url}/loop`, { tls: { rejectUnauthorized: false } } as RequestInit)).json()) as LoopDelays;
}

/** Stalls between two readings: probes at least `overS` late, and the bucket bound of the longest. */
export function stallsBetween(a: LoopDelays, b: LoopDelays, overS = 0.1): { over: number; longest: string } {
  const total = b.count - a.count;
  const i = b.le.findIndex((le) => le >= overS);
  const over = total - ((b.atMost[i] ?? 0) - (a.atMost[i] ?? 0));
  const j = b.le.findIndex((_, k) => b.atMost[k]! - a.atMost[k]! === total);
  return { over, longest: j < 0 ? `> ${b.le.at(-1)} s` : `≤ ${b.le[j]! * 1000} ms` };
}
