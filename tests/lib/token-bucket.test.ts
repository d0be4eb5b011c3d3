import { describe, expect, it } from 'bun:test';
import { KeyedBuckets, TokenBucket } from '../../lib/token-bucket.ts';

describe('token bucket', () => {
  it('allows its burst at once, then refills at its rate', () => {
    const b = new TokenBucket({ ratePerS: 2, burst: 3 }, 0);
    expect([b.take(1, 0), b.take(1, 0), b.take(1, 0), b.take(1, 0)]).toEqual([true, true, true, false]);
    expect(b.waitMs(1, 0)).toBe(500);
    expect(b.take(1, 499)).toBe(false);
    expect(b.take(1, 500)).toBe(true);
    expect(b.take(1, 10_000)).toBe(true); // refilled to the burst, never beyond
    expect(b.take(2, 10_000)).toBe(true);
    expect(b.take(1, 10_000)).toBe(false);
  });

  it('keeps one bucket per key and forgets idle keys first when full', () => {
    const k = new KeyedBuckets({ ratePerS: 1, burst: 1 }, 2);
    expect(k.take('a', 1, 0)).toBe(true);
    expect(k.take('a', 1, 0)).toBe(false);
    expect(k.take('b', 1, 0)).toBe(true);
    // 'a' is full again at 1 s, 'b' is not: a third key forgets 'a', whose budget it cannot have changed.
    expect(k.take('b', 1, 500)).toBe(false);
    expect(k.take('c', 1, 1000)).toBe(true);
    expect(k.size).toBe(2);
    expect(k.take('b', 1, 1000)).toBe(true); // 'b' was kept, refilled on its own
  });
});
