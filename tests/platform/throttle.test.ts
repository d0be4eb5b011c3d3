import { describe, expect, it } from 'bun:test';
import {
  ADDRESS_DISTINCT_IDS_TO_SLOW,
  ADDRESS_WINDOW_MS,
  LoginThrottle,
  PAIR_DELAY_BASE_MS,
  PAIR_DELAY_MAX_MS,
  PAIR_FREE_FAILURES,
  PAIR_MEMORY_MS,
  pairDelayMs,
  sourceOf,
} from '../../services/devices/throttle.ts';

const T0 = Date.UTC(2026, 0, 1);

function throttle() {
  let now = T0;
  const t = new LoginThrottle({ now: () => now, maxKeys: 1000, maxAddresses: 100 });
  return {
    t,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('LoginThrottle', () => {
  it('lets a pair fail a few times for free, then makes it wait longer and longer, up to a cap', () => {
    expect(Array.from({ length: PAIR_FREE_FAILURES }, (_, i) => pairDelayMs(i + 1)).slice(0, -1)).toEqual(Array(PAIR_FREE_FAILURES - 1).fill(0));
    expect([PAIR_FREE_FAILURES, PAIR_FREE_FAILURES + 1, PAIR_FREE_FAILURES + 2].map(pairDelayMs)).toEqual([1, 2, 4].map((n) => n * PAIR_DELAY_BASE_MS));
    expect(pairDelayMs(10_000)).toBe(PAIR_DELAY_MAX_MS);
    const { t, advance } = throttle();
    for (let i = 0; i < PAIR_FREE_FAILURES - 1; i++) {
      t.fail('device:CAM', '10.0.0.9');
      expect(t.check('device:CAM', '10.0.0.9')).toEqual({ ok: true });
    }
    t.fail('device:CAM', '10.0.0.9');
    expect(t.check('device:CAM', '10.0.0.9')).toEqual({ ok: false, retryAfterS: PAIR_DELAY_BASE_MS / 1000 });
    advance(PAIR_DELAY_BASE_MS);
    expect(t.check('device:CAM', '10.0.0.9')).toEqual({ ok: true });
    t.fail('device:CAM', '10.0.0.9');
    expect(t.check('device:CAM', '10.0.0.9')).toEqual({ ok: false, retryAfterS: (2 * PAIR_DELAY_BASE_MS) / 1000 });
  });

  it('never slows the same credential from another address', () => {
    const { t } = throttle();
    for (let i = 0; i < 50; i++) t.fail('device:CAM', '10.0.0.9');
    expect(t.check('device:CAM', '10.0.0.9').ok).toBe(false);
    expect(t.check('device:CAM', '10.0.0.10')).toEqual({ ok: true });
    expect(t.check('user:alice', '10.0.0.9')).toEqual({ ok: true });
  });

  it('starts a pair afresh after a success, or after a long quiet', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) t.fail('user:alice', '10.0.0.9');
    t.succeed('user:alice', '10.0.0.9');
    expect(t.check('user:alice', '10.0.0.9')).toEqual({ ok: true });
    for (let i = 0; i < 20; i++) t.fail('user:bob', '10.0.0.9');
    advance(PAIR_MEMORY_MS);
    expect(t.check('user:bob', '10.0.0.9')).toEqual({ ok: true });
    t.fail('user:bob', '10.0.0.9');
    expect(t.check('user:bob', '10.0.0.9')).toEqual({ ok: true }); // a first failure again
  });

  it('slows an address failing for many different credentials, for new ones only, and never for one that logged in from it', () => {
    const { t, advance } = throttle();
    t.succeed('device:HOME', '10.0.0.9');
    for (let i = 0; i < ADDRESS_DISTINCT_IDS_TO_SLOW - 1; i++) t.fail(`device:GUESS-${i}`, '10.0.0.9');
    expect(t.check('device:NEW', '10.0.0.9')).toEqual({ ok: true }); // one short of the threshold
    advance(1000);
    t.fail('device:GUESS-LAST', '10.0.0.9');
    expect(t.check('device:NEW', '10.0.0.9')).toEqual({ ok: false, retryAfterS: (ADDRESS_WINDOW_MS - 1000) / 1000 }); // until the oldest leaves the window
    expect(t.check('device:GUESS-3', '10.0.0.9')).toEqual({ ok: true }); // its own pair decides
    expect(t.check('device:HOME', '10.0.0.9')).toEqual({ ok: true }); // known here
    expect(t.check('device:NEW', '10.0.0.10')).toEqual({ ok: true }); // another address
    advance(ADDRESS_WINDOW_MS - 1000);
    expect(t.check('device:NEW', '10.0.0.9')).toEqual({ ok: true }); // the first failures left the window
  });

  it('forgets the pairs of a credential an admin unlocked', () => {
    const { t } = throttle();
    for (let i = 0; i < 10; i++) {
      t.fail('device:CAM', '10.0.0.9');
      t.fail('device:CAM', '10.0.0.10');
      t.fail('device:CAMERA', '10.0.0.9');
    }
    t.forget('device:CAM');
    expect(t.check('device:CAM', '10.0.0.9')).toEqual({ ok: true });
    expect(t.check('device:CAM', '10.0.0.10')).toEqual({ ok: true });
    expect(t.check('device:CAMERA', '10.0.0.9').ok).toBe(false);
  });

  it('stays bounded: the oldest pairs are forgotten first', () => {
    const t = new LoginThrottle({ maxKeys: 10, maxAddresses: 10 });
    for (let i = 0; i < 20; i++) for (let k = 0; k < PAIR_FREE_FAILURES; k++) t.fail('device:CAM', `10.0.1.${i}`);
    expect(t.check('device:CAM', '10.0.1.0')).toEqual({ ok: true });
    expect(t.check('device:CAM', '10.0.1.19').ok).toBe(false);
  });
});

describe('sourceOf', () => {
  it('takes IPv4 as it is, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(sourceOf('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2::1')).toBe(sourceOf('2001:0db8:0001:0002:ffff::9'));
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
    expect(sourceOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('unknown');
  });
});
