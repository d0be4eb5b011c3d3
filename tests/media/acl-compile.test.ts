/**
 * media/srt/acl.ts compiles acl.c with Bun's `cc`, which writes TinyCC's headers into one shared directory at every
 * compilation: processes compiling at the same moment (the nodes of `bun run cluster`, a test's platforms) could read
 * a half-written header and fail ("invalid type" in <sys/syslog.h>: a platform of tests/cluster/parity.test.ts failed
 * to start so in CI). Each compiles again after a short wait; here real processes compile at once, several rounds, and
 * every one gets its access table (24 processes, 10 rounds failed on the tree before; 8 and 3 did not).
 */
import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';

/** Processes compiling at the same moment, and rounds of them. */
const PROCESSES = 24;
const ROUNDS = 10;
const ROOT = join(import.meta.dir, '..', '..');
const SCRIPT = "import { AccessTable } from './media/srt/acl.ts'; AccessTable.create().free(); console.log('compiled');";

describe('acl.c compiled by processes at the same moment', () => {
  it(`gives each of ${PROCESSES} processes its access table, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const runs = await Promise.all(
        Array.from({ length: PROCESSES }, async () => {
          const proc = Bun.spawn(['bun', '-e', SCRIPT], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
          const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
          return { code, out: out.trim(), err: err.slice(0, 500) };
        }),
      );
      for (const r of runs) expect(r).toEqual({ code: 0, out: 'compiled', err: '' });
    }
  }, 120_000);
});
