import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { PASS, caller, pace, sid, startMdu, testClip, token, waitFor } from './helpers.ts';

/**
 * How long libsrt may take to end this test's threads. Normally `srt_cleanup` joins them at once; when
 * another test of the same `bun test` process still holds libsrt, its collector thread ends a closed
 * socket's threads a second or two later (it looks every second, and keeps a closed socket for one).
 */
const THREADS_END_BOUND_MS = 10_000;
const CASE_TIMEOUT_MS = 30_000;

/** Ids of this process's libsrt threads (libsrt names its own `SRT:…`). */
function srtThreads(): Set<string> {
  const ids = readdirSync('/proc/self/task').filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('SRT:');
    } catch {
      return false; // the thread ended while listing
    }
  });
  return new Set(ids);
}

describe('shutdown', () => {
  it(
    'stops every libsrt thread once the MDU and its callers are stopped',
    async () => {
      // Only the threads this test makes count: `bun test` runs every file in one process.
      const before = srtThreads();
      const made = () => [...srtThreads()].filter((t) => !before.has(t));
      const { mdu } = await startMdu();
      const t = token();
      await mdu.allowPublisher({ streamId: 's', token: t, passphrase: PASS, pbkeylen: 16 });
      const pub = await caller(mdu.port, sid('s', 'publish', t), { passphrase: PASS, pbkeylen: 16 });
      try {
        await pace(pub, (await testClip()).subarray(0, 50 * 1316), 2_000_000);
        expect(made().length).toBeGreaterThan(0);
      } finally {
        await pub.close();
        await mdu.stop();
      }
      await waitFor(() => made().length === 0, THREADS_END_BOUND_MS, 'libsrt threads to end').catch(() => {});
      expect(made()).toEqual([]);
    },
    CASE_TIMEOUT_MS,
  );
});
