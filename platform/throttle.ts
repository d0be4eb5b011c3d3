/**
 * In-memory failure throttles (brute-force protection, H.627.2 8.3.1): failures of one key (an
 * address, a user name) within a window lock it for a growing, capped period. Not persisted:
 * a restart forgives addresses, while device lock-outs live in the pu actor and survive.
 */

/** What the throttle says about a key. */
export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterS: number };

/** Options of a {@link FailureThrottle}. */
export interface ThrottleOptions {
  /** Failures within `windowMs` that lock the key. */
  failures: number;
  windowMs: number;
  /** First lock; doubles with each further lock in a row, up to maxLockMs. */
  baseLockMs: number;
  maxLockMs: number;
  /** Most keys remembered (the oldest are forgotten first). */
  maxKeys?: number;
  now?: () => number;
}

/** Default number of keys a throttle remembers. */
export const THROTTLE_MAX_KEYS = 100_000;

interface Entry {
  failures: number[];
  locks: number;
  lockedUntil: number;
}

/** Counts failures per key and locks keys that fail too often. */
export class FailureThrottle {
  private entries = new Map<string, Entry>();
  private now: () => number;

  constructor(private o: ThrottleOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Whether `key` may try now. */
  check(key: string): ThrottleVerdict {
    const e = this.entries.get(key);
    const now = this.now();
    if (e && e.lockedUntil > now) return { ok: false, retryAfterS: Math.ceil((e.lockedUntil - now) / 1000) };
    return { ok: true };
  }

  /** Record a failure of `key`; returns the verdict for its next try. */
  fail(key: string): ThrottleVerdict {
    const now = this.now();
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= (this.o.maxKeys ?? THROTTLE_MAX_KEYS)) this.entries.delete(this.entries.keys().next().value!);
      e = { failures: [], locks: 0, lockedUntil: 0 };
      this.entries.set(key, e);
    }
    e.failures = e.failures.filter((t) => now - t < this.o.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.o.failures) {
      e.lockedUntil = now + Math.min(this.o.maxLockMs, this.o.baseLockMs * 2 ** e.locks);
      e.locks++;
      e.failures = [];
    }
    return this.check(key);
  }

  /** Forget a key's failures after a success. */
  succeed(key: string): void {
    this.entries.delete(key);
  }
}
