/**
 * The runtime settings of lib/runtime-env.ts reach the allocator of a platform started the
 * documented way (`bun run start`), an operator's value wins, and a platform started some other
 * way says what it lacks. Checked on real processes: mimalloc itself prints the options it
 * took when MIMALLOC_VERBOSE=1.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createScratchDatabase } from '../../db/scratch.ts';
import { missingRuntimeEnv, RUNTIME_ENV, runtimeEnvFor } from '../../lib/runtime-env.ts';
import { freshDataDir, TEST_PG_URL } from '../helpers/db.ts';
import { READY_TIMEOUT_MS } from '../helpers/platform.ts';

const ROOT = join(import.meta.dir, '..', '..');
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** Start `cmd` as a platform on fresh data, wait for its ready line, stop it; its stdout and stderr. */
async function startOnce(cmd: string[], extra: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  const dataDir = await freshDataDir('h627-rtenv-');
  const pg = TEST_PG_URL ? await createScratchDatabase(TEST_PG_URL, 'h627_rtenv') : undefined;
  cleanups.push(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await pg?.drop();
  });
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const k of [...Object.keys(RUNTIME_ENV), 'DATABASE_URL']) delete env[k];
  Object.assign(
    env,
    { HTTP_PORT: '0', SRT_PORT: '0', HIBERNATION_PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir, MIMALLOC_VERBOSE: '1' },
    pg ? { DATABASE_URL: pg.url } : {},
    extra,
  );
  const proc = Bun.spawn(cmd, { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const stderr = new Response(proc.stderr).text();
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let stdout = '';
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/ready https:\/\//.test(stdout) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value);
  }
  proc.kill('SIGTERM');
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value);
  }
  return { stdout, stderr: await stderr, code: await proc.exited };
}

/**
 * What mimalloc printed for an option at start (`option 'purge_delay': 10000`), in the last
 * process that printed it: under `bun run start` the runner prints its own first.
 */
function allocatorOption(stderr: string, name: string): string | undefined {
  return [...stderr.matchAll(new RegExp(`option '${name}': (-?\\d+)`, 'g'))].at(-1)?.[1];
}

describe('runtime settings', () => {
  test('runtimeEnvFor adds only what the environment lacks; missingRuntimeEnv names it', () => {
    expect(runtimeEnvFor({})).toEqual(RUNTIME_ENV);
    expect(runtimeEnvFor({ MIMALLOC_PURGE_DELAY: '500' })).toEqual({
      MIMALLOC_PURGE_HOLES: RUNTIME_ENV.MIMALLOC_PURGE_HOLES,
      MIMALLOC_PURGE_HOLES_MIN_INTERVAL: RUNTIME_ENV.MIMALLOC_PURGE_HOLES_MIN_INTERVAL,
    });
    expect(missingRuntimeEnv({ ...RUNTIME_ENV })).toEqual([]);
    expect(missingRuntimeEnv({ MIMALLOC_PURGE_HOLES: '1', MIMALLOC_PURGE_HOLES_MIN_INTERVAL: '1' })).toEqual(['MIMALLOC_PURGE_DELAY']);
  });

  test("package.json's start script sets every setting, each overridable from the environment", () => {
    const start: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
    for (const [k, v] of Object.entries(RUNTIME_ENV)) expect(start).toContain(`${k}=\${${k}:-${v}}`);
  });

  test(
    '`bun run start`: the allocator runs with the settings, and nothing is reported missing',
    async () => {
      const r = await startOnce(['bun', 'run', 'start'], {});
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('ready https://');
      expect(allocatorOption(r.stderr, 'purge_delay')).toBe(RUNTIME_ENV.MIMALLOC_PURGE_DELAY);
      expect(allocatorOption(r.stderr, 'purge_holes')).toBe(RUNTIME_ENV.MIMALLOC_PURGE_HOLES);
      expect(allocatorOption(r.stderr, 'purge_holes_min_interval')).toBe(RUNTIME_ENV.MIMALLOC_PURGE_HOLES_MIN_INTERVAL);
      expect(r.stdout).not.toContain('started without the runtime settings');
    },
    READY_TIMEOUT_MS * 2,
  );

  test(
    "an operator's value wins over the start script's",
    async () => {
      const r = await startOnce(['bun', 'run', 'start'], { MIMALLOC_PURGE_DELAY: '500' });
      expect(r.code).toBe(0);
      expect(allocatorOption(r.stderr, 'purge_delay')).toBe('500');
      expect(allocatorOption(r.stderr, 'purge_holes')).toBe(RUNTIME_ENV.MIMALLOC_PURGE_HOLES);
    },
    READY_TIMEOUT_MS * 2,
  );

  test(
    '`bun main.ts` without them still starts, and logs a warning naming each missing setting',
    async () => {
      const r = await startOnce(['bun', 'main.ts'], {});
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('ready https://');
      const warn = r.stdout
        .split('\n')
        .filter((l) => l.includes('started without the runtime settings'))
        .map((l) => JSON.parse(l));
      expect(warn).toHaveLength(1);
      expect(warn[0].missing).toEqual(RUNTIME_ENV);
    },
    READY_TIMEOUT_MS * 2,
  );
});
