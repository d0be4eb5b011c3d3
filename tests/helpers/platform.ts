/**
 * Spawn a real platform process (`bun main.ts`) for end-to-end tests: its own DATA_DIR and
 * database, random ports, and the `ready https://` line awaited.
 */
import type { Subprocess } from 'bun';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freshDataDir, TEST_PG_URL } from './db.ts';
import { createScratchDatabase } from '../../db/scratch.ts';
import { runtimeEnvFor } from '../../lib/runtime-env.ts';

/** How long a platform may take to print its ready line. */
export const READY_TIMEOUT_MS = 45_000;
const ROOT = join(import.meta.dir, '..', '..');

/** A platform process under test. */
export interface TestPlatform {
  url: string;
  port: number;
  dataDir: string;
  adminToken: string;
  env: Record<string, string>;
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Every stdout line so far (JSON logs and the ready line). */
  lines: string[];
  /** Authenticated admin fetch against the API. */
  api(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number>;
  /** kill -9 and wait. */
  kill9(): Promise<void>;
  /** Start again on the same data and database. */
  restart(extraEnv?: Record<string, string>): Promise<TestPlatform>;
  /** Remove the data dir and database. */
  cleanup(): Promise<void>;
}

/** Fetch options that accept the platform's self-signed certificate. */
export const INSECURE = { tls: { rejectUnauthorized: false } } as const;

/** Start a platform; `env` adds or overrides variables. */
export async function startTestPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const dataDir = env.DATA_DIR ?? (await freshDataDir('h627-e2e-'));
  const pg = env.DATABASE_URL || !TEST_PG_URL ? undefined : await createScratchDatabase(TEST_PG_URL, 'h627_e2e');
  const fullEnv: Record<string, string> = {
    HTTP_PORT: '0',
    SRT_PORT: '0',
    HIBERNATION_PORT: '0',
    LOG_LEVEL: 'info',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...env,
    DATA_DIR: dataDir,
  };
  return spawnPlatform(fullEnv, async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await pg?.drop();
  });
}

/**
 * Spawn `bun main.ts` with `env` (which must name DATA_DIR; the test process's own environment is the base, without its
 * DATABASE_URL) and wait for its ready line. `cleanup` runs after the process is killed by {@link TestPlatform.cleanup}.
 * startTestPlatform and the cluster helper (tests/helpers/cluster.ts) both start their processes here.
 */
export async function spawnPlatform(env: Record<string, string>, cleanup: () => Promise<void> = async () => {}): Promise<TestPlatform> {
  if (!env.DATA_DIR) throw new Error('spawnPlatform: env.DATA_DIR is required (one process per DATA_DIR)');
  const base = { ...process.env } as Record<string, string>;
  delete base.DATABASE_URL; // only what the test asks for
  // The platform as `bun run start` runs it: with its runtime settings (lib/runtime-env.ts).
  const proc = Bun.spawn(['bun', join(ROOT, 'main.ts')], {
    cwd: ROOT,
    env: { ...runtimeEnvFor(base), ...base, ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform not ready after ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`)), READY_TIMEOUT_MS);
    (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of proc.stdout) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          lines.push(line);
          const m = line.match(/^ready (https:\/\/\S+)/);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        }
      }
      clearTimeout(timer);
      reject(new Error(`platform exited before ready (code ${await proc.exited}):\n${lines.join('\n')}\n${await new Response(proc.stderr).text()}`));
    })().catch(reject);
  });
  const port = Number(new URL(url).port);
  const dataDir = env.DATA_DIR!;
  const adminToken = env.ADMIN_TOKEN ?? readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const tp: TestPlatform = {
    url,
    port,
    dataDir,
    adminToken,
    env,
    proc,
    lines,
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('Authorization')) headers.set('Authorization', `Bearer ${init.token ?? adminToken}`);
      if (init.body && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
      return fetch(`${url}${path}`, { ...init, headers, ...INSECURE } as RequestInit);
    },
    stop: async () => {
      proc.kill('SIGTERM');
      return proc.exited;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await proc.exited;
    },
    restart: (extra = {}) => spawnPlatform({ ...env, HTTP_PORT: String(port), ...extra }, cleanup),
    cleanup: async () => {
      if (proc.exitCode === null && !proc.killed) {
        proc.kill('SIGKILL');
        await proc.exited;
      }
      await cleanup();
    },
  };
  return tp;
}

/** A new user (password `<username>-password`) created with the admin token, signed in: its bearer token. */
export async function userToken(p: TestPlatform, username: string): Promise<string> {
  await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username, password: `${username}-password` }) });
  const r = await fetch(`${p.url}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-password` }),
    ...INSECURE,
  } as RequestInit);
  if (r.status !== 201) throw new Error(`sign-in of ${username} failed: ${r.status}`);
  return (await r.json()).token;
}

/** Provision a device with the admin token (POST /api/admin/devices); throws unless it was created. */
export async function provisionDevice(p: TestPlatform, device: { device_id: string; password: string; mac_id: string }): Promise<void> {
  const r = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(device) });
  if (r.status !== 201) throw new Error(`provisioning ${device.device_id} failed: ${r.status} ${await r.text()}`);
}
