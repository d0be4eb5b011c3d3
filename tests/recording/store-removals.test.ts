/**
 * Batched store removals (services/recording/recording-removals.ts) on a real local disk: removals asked for together
 * share one `removeMany`, a key the store cannot remove fails only its own caller (whose segment then tries again on
 * its durable timer), and a key asked for twice is removed once.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalDiskStorage, type ObjectRef, type RemoveFailure } from '../../media/cs/index.ts';
import { silentLog } from '../../lib/log.ts';
import { StoreRemovals } from '../../services/recording/recording-removals.ts';

/** Removals asked for at once: a day of 10 s segments of one camera is 8,640. */
const MANY = 300;
const root = mkdtempSync(join(tmpdir(), 'h627-store-removals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A local disk that counts its batch calls. */
function countingDisk() {
  const disk = new LocalDiskStorage({ root, fsync: false });
  const calls: number[] = [];
  const removeMany = (objects: readonly ObjectRef[]): Promise<RemoveFailure[]> => {
    calls.push(objects.length);
    return disk.removeMany(objects);
  };
  return { disk: { removeMany }, calls };
}

const file = (key: string) => {
  mkdirSync(dirname(join(root, key)), { recursive: true });
  writeFileSync(join(root, key), 'x');
};

describe('store removals', () => {
  it(`sends ${MANY} removals asked for together in one batch, and counts them`, async () => {
    const { disk, calls } = countingDisk();
    const counted = { requests: 0, objects: 0 };
    const r = new StoreRemovals(disk, silentLog, {
      requests: { inc: (n = 1) => void (counted.requests += n) },
      objects: { inc: (n = 1) => void (counted.objects += n) },
    });
    const keys = Array.from({ length: MANY }, (_, i) => `B-1/0/2026-01-01/S_${i}.ts`);
    for (const k of keys) file(k);
    await Promise.all([...keys, keys[0]!].map((k) => r.remove(k)));
    expect(calls).toEqual([MANY]);
    expect(counted).toEqual({ requests: 1, objects: MANY });
    expect(keys.filter((k) => existsSync(join(root, k)))).toEqual([]);
  });

  it('fails only the caller of a key the store could not remove; the others are removed', async () => {
    const { disk } = countingDisk();
    const r = new StoreRemovals(disk, silentLog);
    file('B-2/0/2026-01-01/S_a.ts');
    mkdirSync(join(root, 'B-2/0/2026-01-01/S_b.ts', 'inside'), { recursive: true }); // a directory where a segment should be: unlink fails
    const [a, b] = await Promise.allSettled([r.remove('B-2/0/2026-01-01/S_a.ts'), r.remove('B-2/0/2026-01-01/S_b.ts')]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect(String((b as PromiseRejectedResult).reason)).toContain('store could not remove B-2/0/2026-01-01/S_b.ts');
    expect(existsSync(join(root, 'B-2/0/2026-01-01/S_a.ts'))).toBe(false);
    rmSync(join(root, 'B-2/0/2026-01-01/S_b.ts'), { recursive: true });
    await r.remove('B-2/0/2026-01-01/S_b.ts'); // tried again (the segment's timer): now it goes
  });
});
