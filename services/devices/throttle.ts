/**
 * Login throttling, in memory (NIST SP 800-63B 5.2.2: rate limiting that never turns into a
 * lock-out an outsider can impose). Shared by Vd logins and user sign-ins; a credential is named
 * `<kind>:<id>` (a device id, a user name), a source by its address.
 *
 * - **Pairs.** Failures slow down the (credential, address) pair that fails: the first
 *   PAIR_FREE_FAILURES are free, then each failure makes the pair wait PAIR_DELAY_BASE_MS, doubling,
 *   up to PAIR_DELAY_MAX_MS, before its next try. Another address trying the same credential is not
 *   slowed at all, so an attacker cannot keep a device or a user out by failing on its behalf.
 * - **Addresses.** An address that failed for ADDRESS_DISTINCT_IDS_TO_SLOW different credentials
 *   within ADDRESS_WINDOW_MS (credential stuffing: one guess per id, which pairs never slow) may
 *   try no further credential until that window has moved on, except the credentials that logged
 *   in from it before (remembered for KNOWN_PAIR_MEMORY_MS). A household behind one NAT fails
 *   with its own few devices and users, not with fifty different ids in an hour.
 *
 * A refusal here comes before any credential is checked: answering the right password otherwise
 * would tell a throttled attacker which guess was right. Not persisted: a restart forgives every
 * pair and address (the hard lock after 100 failures in a row is durable; see actors/machines/pu.actions.ts).
 */

/** Failures of a (credential, address) pair that cost no wait (typos; platform's choice). */
export const PAIR_FREE_FAILURES = 5;
/** The wait after the first failure past the free ones; it doubles with each further failure. */
export const PAIR_DELAY_BASE_MS = 1_000;
/** The longest wait of a pair: one guess per 15 minutes from an address that keeps failing. */
export const PAIR_DELAY_MAX_MS = 15 * 60_000;
/** A pair without a failure for this long starts afresh (longer than the longest wait). */
export const PAIR_MEMORY_MS = 60 * 60_000;
/**
 * Different credentials an address may fail for within ADDRESS_WINDOW_MS before it is slowed
 * (platform's choice: a household has a handful of cameras and users; a stuffing list has thousands).
 */
export const ADDRESS_DISTINCT_IDS_TO_SLOW = 50;
/** The window in which an address's failed credentials count. */
export const ADDRESS_WINDOW_MS = 60 * 60_000;
/** How long a credential that logged in from an address stays exempt from that address's slow-down. */
export const KNOWN_PAIR_MEMORY_MS = 30 * 24 * 3600_000;
/** Most pairs, addresses and known pairs each remembered (the oldest are forgotten first). */
export const THROTTLE_MAX_KEYS = 100_000;
/** Most addresses whose failed credentials are remembered (each holds up to ADDRESS_DISTINCT_IDS_TO_SLOW). */
export const THROTTLE_MAX_ADDRESSES = 10_000;
/** Bits of an IPv6 address that name one source: a /64 is what one subscriber gets. */
const IPV6_SOURCE_HEXTETS = 4;

/** What the throttle says about an attempt. */
export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterS: number };

/** Options of a {@link LoginThrottle} (the defaults are the constants above). */
export interface LoginThrottleOptions {
  now?: () => number;
  maxKeys?: number;
  maxAddresses?: number;
}

interface Pair {
  failures: number;
  lastAt: number;
}

/** Which source an address is: IPv4 as is, an IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function sourceOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const full = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${full
    .slice(0, IPV6_SOURCE_HEXTETS)
    .map((h) => h.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** How long a pair waits after its `failures`-th failure in a row. */
export function pairDelayMs(failures: number): number {
  if (failures < PAIR_FREE_FAILURES) return 0;
  return Math.min(PAIR_DELAY_MAX_MS, PAIR_DELAY_BASE_MS * 2 ** Math.min(failures - PAIR_FREE_FAILURES, 30));
}

/** Set a key as the newest of a bounded map (insertion order is age: the oldest goes first). */
function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

const retryAfterS = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Slows down failing (credential, address) pairs, and addresses failing across many credentials. */
export class LoginThrottle {
  private pairs = new Map<string, Pair>();
  /** Per address: the credentials it failed for, with the time of the last failure. */
  private addresses = new Map<string, Map<string, number>>();
  /** `credential|address` pairs that logged in, with when. */
  private known = new Map<string, number>();
  private now: () => number;
  private maxKeys: number;
  private maxAddresses: number;

  constructor(o: LoginThrottleOptions = {}) {
    this.now = o.now ?? Date.now;
    this.maxKeys = o.maxKeys ?? THROTTLE_MAX_KEYS;
    this.maxAddresses = o.maxAddresses ?? THROTTLE_MAX_ADDRESSES;
  }

  /** Whether `credential` may be tried from `address` now (before anything is checked). */
  check(credential: string, address: string): ThrottleVerdict {
    const now = this.now();
    const key = `${credential}|${address}`;
    const pair = this.pairs.get(key);
    if (pair && now - pair.lastAt < PAIR_MEMORY_MS) {
      const wait = pair.lastAt + pairDelayMs(pair.failures) - now;
      if (wait > 0) return { ok: false, retryAfterS: retryAfterS(wait) };
    }
    const failed = this.failedFrom(address, now);
    if (failed && failed.size >= ADDRESS_DISTINCT_IDS_TO_SLOW && !failed.has(credential) && !this.isKnown(key, now)) {
      const oldest = Math.min(...failed.values());
      return { ok: false, retryAfterS: retryAfterS(oldest + ADDRESS_WINDOW_MS - now) };
    }
    return { ok: true };
  }

  /** A failed attempt of `credential` from `address`. */
  fail(credential: string, address: string): void {
    const now = this.now();
    const key = `${credential}|${address}`;
    const pair = this.pairs.get(key);
    const failures = pair && now - pair.lastAt < PAIR_MEMORY_MS ? pair.failures + 1 : 1;
    setNewest(this.pairs, key, { failures, lastAt: now }, this.maxKeys);
    const failed = this.failedFrom(address, now) ?? new Map<string, number>();
    if (failed.has(credential) || failed.size < ADDRESS_DISTINCT_IDS_TO_SLOW) {
      failed.delete(credential);
      failed.set(credential, now);
    }
    setNewest(this.addresses, address, failed, this.maxAddresses);
  }

  /** A successful login: the pair starts afresh and is exempt from its address's slow-down. */
  succeed(credential: string, address: string): void {
    const key = `${credential}|${address}`;
    this.pairs.delete(key);
    this.addresses.get(address)?.delete(credential);
    setNewest(this.known, key, this.now(), this.maxKeys);
  }

  /** Forget every pair of a credential (an admin unlocked it: its owner should not wait either). */
  forget(credential: string): void {
    const prefix = `${credential}|`;
    for (const key of this.pairs.keys()) if (key.startsWith(prefix)) this.pairs.delete(key);
  }

  /** The credentials `address` failed for within the window (older ones dropped), if any. */
  private failedFrom(address: string, now: number): Map<string, number> | undefined {
    const failed = this.addresses.get(address);
    if (!failed) return undefined;
    for (const [credential, at] of failed) {
      if (now - at < ADDRESS_WINDOW_MS) break; // insertion order is failure order
      failed.delete(credential);
    }
    return failed;
  }

  private isKnown(key: string, now: number): boolean {
    const at = this.known.get(key);
    return at !== undefined && now - at < KNOWN_PAIR_MEMORY_MS;
  }
}
