import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { PASS, caller, pace, sid, startMdu, testClip, token } from './helpers.ts';

/** Names of this process's threads (libsrt names its own `SRT:…`). */
function threadNames(): string[] {
  return readdirSync('/proc/self/task').flatMap((t) => {
    try {
      return [readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim()];
    } catch {
      return []; // the thread ended while listing
    }
  });
}

describe('shutdown', () => {
  it('stops every libsrt thread once the MDU and its callers are stopped', async () => {
    const { mdu } = await startMdu();
    const t = token();
    await mdu.allowPublisher({ streamId: 's', token: t, passphrase: PASS, pbkeylen: 16 });
    const pub = await caller(mdu.port, sid('s', 'publish', t), { passphrase: PASS, pbkeylen: 16 });
    await pace(pub, (await testClip()).subarray(0, 50 * 1316), 2_000_000);
    expect(threadNames().some((n) => n.startsWith('SRT:'))).toBe(true);
    await pub.close();
    await mdu.stop();
    await Bun.sleep(100);
    expect(threadNames().filter((n) => n.startsWith('SRT:'))).toEqual([]);
  }, 20_000);
});
