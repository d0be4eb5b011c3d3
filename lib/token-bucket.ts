/**
 * Token buckets: a budget of `burst` actions that refills at `ratePerS`. Used on hot paths (every Vd frame), so a
 * bucket is two numbers refilled lazily on use: no timer, no allocation per action. (Rate-limit libraries on npm
 * either keep timers per key or target HTTP middleware; this is the one computation they share, written once here.)
 */

/** How fast a budget refills and how much it holds. */
export interface Budget {
  /** Tokens added per second. */
  ratePerS: number;
  /** Most tokens held (the largest burst allowed after a quiet spell). */
  burst: number;
}

/** One token bucket; starts full. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly budget: Budget,
    now: number = performance.now(),
  ) {
    this.tokens = budget.burst;
    this.at = now;
  }

  /** Take `n` tokens if there are that many: true, else false (nothing taken). `now` in ms, monotonic. */
  take(n = 1, now: number = performance.now()): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds until `n` tokens are there (0 if they are). */
  waitMs(n = 1, now: number = performance.now()): number {
    this.refill(now);
    return this.tokens >= n ? 0 : Math.ceil(((n - this.tokens) / this.budget.ratePerS) * 1000);
  }

  /** Whether the bucket is full (an idle key that can be forgotten without changing anything). */
  full(now: number = performance.now()): boolean {
    this.refill(now);
    return this.tokens >= this.budget.burst;
  }

  private refill(now: number): void {
    const elapsed = now - this.at;
    if (elapsed <= 0) return;
    this.at = now;
    this.tokens = Math.min(this.budget.burst, this.tokens + (elapsed / 1000) * this.budget.ratePerS);
  }
}

/** Oldest keys looked at for a full (idle) bucket before the oldest of all is forgotten instead. */
const EVICTION_SCAN_MAX = 64;

/** Default number of keys a {@link KeyedBuckets} remembers. */
export const KEYED_BUCKETS_MAX_KEYS = 100_000;

/**
 * A token bucket per key (a device, an address), at most `maxKeys` of them: when full, a key whose bucket is full
 * again (it took nothing lately) among the oldest few is forgotten first, else the oldest; forgetting a full bucket changes nothing.
 */
export class KeyedBuckets {
  private buckets = new Map<string, TokenBucket>();

  constructor(
    readonly budget: Budget,
    private maxKeys = KEYED_BUCKETS_MAX_KEYS,
  ) {}

  /** The bucket of `key`, made (full) when new. */
  of(key: string, now: number = performance.now()): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      b = new TokenBucket(this.budget, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Take `n` tokens from `key`'s bucket. */
  take(key: string, n = 1, now: number = performance.now()): boolean {
    return this.of(key, now).take(n, now);
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    let looked = 0;
    for (const [k, b] of this.buckets) {
      if (b.full(now)) {
        this.buckets.delete(k);
        return;
      }
      if (++looked >= EVICTION_SCAN_MAX) break; // bounded work per new key, whatever the map holds
    }
    this.buckets.delete(this.buckets.keys().next().value!);
  }
}
