/**
 * Lock-out without lock-in (issue #19 points 4 and 5; NIST SP 800-63B 5.2.2), end to end over
 * real sockets from several source addresses (127.x.y.z: every one of them is this machine):
 * failures slow down the (credential, address) pair that fails, never the device or the user
 * for everyone; 100 failures in a row lock, durably, until an admin or the clock lifts it; an
 * unknown id and a wrong password look the same, in words and in time; a signed login cannot be
 * replayed after a kill -9 and a restart.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { createHmac, randomBytes } from 'node:crypto';
import { until } from '../helpers/wait.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice, tryUpgrade } from '../helpers/vd-client.ts';
import { postJsonFrom } from '../helpers/source-address.ts';
import { ADDRESS_DISTINCT_IDS_TO_SLOW, PAIR_DELAY_BASE_MS, PAIR_FREE_FAILURES } from '../../services/devices/throttle.ts';
import { LOGIN_FAILURES_TO_LOCK, LOGIN_LOCK_MS } from '../../actors/machines/pu.actions.ts';
import { LOGIN_FAILURE_MIN_MS, LOGIN_REFUSED } from '../../services/devices/device-auth.ts';
import { SIGN_IN_FAILURE_MIN_MS, SIGN_IN_REFUSED } from '../../services/users/sessions.ts';

/** End-to-end steps wait on real processes and sockets. */
setDefaultTimeout(120_000);

/** How far apart the median answer times of an unknown id and of a wrong password may be. */
const TIMING_MEDIANS_WITHIN_MS = 5;
/** Failures of each kind timed. */
const TIMED_FAILURES = 50;

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

const vdQuery = (code: string, password: string) => ({ login_code: code, login_passwd: password, hardware_model: 'h', firmware_model: 'f' });
const login = (code: string, password: string, from: string) => tryUpgrade(p.url, vdQuery(code, password), { localAddress: from });
const signIn = (username: string, password: string, from: string) => postJsonFrom(`${p.url}/api/session`, { username, password }, from);
const actor = async (id: string) => (await p.api(`/api/actors/${id}`)).json();
const history = async (id: string) => (await (await p.api(`/api/actors/${id}/history?limit=1000`)).json()).events as Array<{ event: { type: string } }>;

async function provision(device_id: string, password: string, mac_id: string, extra: Record<string, unknown> = {}) {
  const r = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify({ device_id, password, mac_id, ...extra }) });
  expect(r.status).toBe(201);
}

async function createUser(username: string, password: string) {
  const r = await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username, password }) });
  expect(r.status).toBe(201);
}

/** `count` addresses of the form `<prefix>.<n>`, n from 1. */
const addresses = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}.${i + 1}`);

/** Run `attempt` PAIR_FREE_FAILURES times from each address (addresses `parallel` at a time); every status. */
async function failFromEach<T extends { status: number }>(
  from: string[],
  parallel: number,
  attempt: (addr: string, i: number) => Promise<T>,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < from.length; i += parallel) {
    await Promise.all(
      from.slice(i, i + parallel).map(async (addr) => {
        for (let k = 0; k < PAIR_FREE_FAILURES; k++) statuses.push((await attempt(addr, k)).status);
      }),
    );
  }
  return statuses;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe('Vd logins: failures slow the pair that fails', () => {
  it('keeps the real device in while another address fails for it, and makes that address wait longer and longer', async () => {
    await provision('CAM-T1', 'cam-t1-password', 'a0:b1:c2:d3:e5:01');
    const attacker = '127.0.0.2';
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) {
      const r = await login('CAM-T1', `guess-${i}`, attacker);
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ info: LOGIN_REFUSED });
    }
    // The attacker's pair waits, even with the right password (else a wait would tell a right guess) …
    const delayed = await login('CAM-T1', 'cam-t1-password', attacker);
    expect(delayed.status).toBe(429);
    // … while the device itself, from its own address, gets in.
    expect((await login('CAM-T1', 'cam-t1-password', '127.0.0.1')).status).toBe(101);
    const waits = [Number(delayed.headers['retry-after'])];
    for (let i = 0; i < 2; i++) {
      await Bun.sleep(waits.at(-1)! * 1000 + 50);
      expect((await login('CAM-T1', `guess-more-${i}`, attacker)).status).toBe(401);
      const next = await login('CAM-T1', `guess-more-${i}`, attacker);
      expect(next.status).toBe(429);
      waits.push(Number(next.headers['retry-after']));
    }
    expect(waits).toEqual([1, 2, 4].map((n) => (n * PAIR_DELAY_BASE_MS) / 1000));
    // None of it locked the device or wrote history rows.
    const a = await actor('pu:CAM-T1');
    expect(a.context.login.lockedUntil).toBeUndefined();
    expect((await history('pu:CAM-T1')).filter((e) => e.event.type.startsWith('login.'))).toEqual([]);
  });

  it('slows an address failing across many device ids for further ids, but not for a device that logged in from it', async () => {
    await provision('CAM-HOME', 'cam-home-password', 'a0:b1:c2:d3:e5:02');
    await provision('CAM-ELSEWHERE', 'cam-elsewhere-password', 'a0:b1:c2:d3:e5:03');
    const nat = '127.0.0.4';
    expect((await login('CAM-HOME', 'cam-home-password', nat)).status).toBe(101);
    const ids = Array.from({ length: ADDRESS_DISTINCT_IDS_TO_SLOW }, (_, i) => `STUFFED-${i}`);
    for (let i = 0; i < ids.length; i += 10) {
      const statuses = await Promise.all(ids.slice(i, i + 10).map(async (id) => (await login(id, 'leaked-password', nat)).status));
      expect(statuses).toEqual(Array(statuses.length).fill(401));
    }
    const next = await login('STUFFED-NEXT', 'leaked-password', nat);
    expect(next.status).toBe(429);
    expect(Number(next.headers['retry-after'])).toBeGreaterThan(0);
    // Known there: the household's camera still gets in from the same address.
    expect((await login('CAM-HOME', 'cam-home-password', nat)).status).toBe(101);
    // Every other address is untouched.
    expect((await login('CAM-ELSEWHERE', 'cam-elsewhere-password', '127.0.0.5')).status).toBe(101);
  });

  it(`locks a device after ${LOGIN_FAILURES_TO_LOCK} failures in a row from many addresses, answering as to a wrong password, until an admin unlocks it`, async () => {
    await provision('CAM-HARD', 'cam-hard-password', 'a0:b1:c2:d3:e5:04');
    const from = addresses('127.0.1', LOGIN_FAILURES_TO_LOCK / PAIR_FREE_FAILURES);
    const statuses = await failFromEach(from, 10, (addr, k) => login('CAM-HARD', `wrong-${addr}-${k}`, addr));
    expect(statuses).toEqual(Array(LOGIN_FAILURES_TO_LOCK).fill(401));
    const a = await until(
      () => actor('pu:CAM-HARD'),
      (v) => Boolean(v.context.login.lockedUntil),
    );
    expect(a.context.login.lockedUntil).toBeGreaterThan(Date.now() + LOGIN_LOCK_MS - 60_000);
    expect(a.context.login.lockedUntil).toBeLessThanOrEqual(Date.now() + LOGIN_LOCK_MS);
    // One history row for the lock; none for the hundred failures.
    expect((await history('pu:CAM-HARD')).map((e) => e.event.type).filter((t) => t.startsWith('login.'))).toEqual(['login.tooManyFailures']);
    // The right password from a fresh address: refused exactly as an unknown id is.
    const fresh = '127.0.1.200';
    const locked = await login('CAM-HARD', 'cam-hard-password', fresh);
    const unknown = await login('CAM-NOBODY', 'cam-hard-password', fresh);
    expect([locked.status, unknown.status]).toEqual([401, 401]);
    expect(JSON.parse(locked.body)).toEqual(JSON.parse(unknown.body));
    expect((await (await p.api('/api/devices/CAM-HARD')).json()).locked_until).toBe(a.context.login.lockedUntil);
    // An admin lifts it.
    expect((await p.api('/api/admin/devices/CAM-NOBODY/unlock', { method: 'POST' })).status).toBe(404);
    expect((await p.api('/api/admin/devices/CAM-HARD/unlock', { method: 'POST' })).status).toBe(204);
    expect((await login('CAM-HARD', 'cam-hard-password', fresh)).status).toBe(101);
    expect((await actor('pu:CAM-HARD')).context.login.lockedUntil).toBeUndefined();
    expect((await history('pu:CAM-HARD')).map((e) => e.event.type).filter((t) => t.startsWith('login.'))).toEqual(['login.tooManyFailures', 'login.unlocked']);
  });
});

describe('user sign-in: the same rules', () => {
  it('keeps the user in while another address fails for her; that address waits (Retry-After); a missing user gets the same answer', async () => {
    await createUser('carol', 'carol-password');
    const attacker = '127.0.2.2';
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) {
      const r = await signIn('carol', `guess-${i}`, attacker);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ status: 401, detail: SIGN_IN_REFUSED });
    }
    const delayed = await signIn('carol', 'carol-password', attacker);
    expect(delayed.status).toBe(429);
    expect(Number(delayed.headers['retry-after'])).toBe(PAIR_DELAY_BASE_MS / 1000);
    expect((await signIn('carol', 'carol-password', '127.0.2.3')).status).toBe(201);
    const missing = await signIn('nobody-at-all', 'carol-password', '127.0.2.4');
    expect(missing.status).toBe(401);
    expect((missing.body as { detail: string }).detail).toBe(SIGN_IN_REFUSED);
  });

  it(`locks a user after ${LOGIN_FAILURES_TO_LOCK} failures in a row, answering as to a wrong password, until an admin unlocks her`, async () => {
    await createUser('dave', 'dave-password');
    const from = addresses('127.0.3', LOGIN_FAILURES_TO_LOCK / PAIR_FREE_FAILURES);
    const statuses = await failFromEach(from, 10, (addr, k) => signIn('dave', `wrong-${addr}-${k}`, addr));
    expect(statuses).toEqual(Array(LOGIN_FAILURES_TO_LOCK).fill(401));
    const fresh = '127.0.3.200';
    const locked = await signIn('dave', 'dave-password', fresh);
    expect(locked.body).toMatchObject({ status: 401, detail: SIGN_IN_REFUSED });
    expect((await p.api('/api/admin/users/nobody-at-all/unlock', { method: 'POST' })).status).toBe(404);
    expect((await p.api('/api/admin/users/dave/unlock', { method: 'POST' })).status).toBe(204);
    expect((await signIn('dave', 'dave-password', fresh)).status).toBe(201);
  });
});

describe('no probing by timing', () => {
  /**
   * Time TIMED_FAILURES failures of each of two kinds, interleaved (the machine's load weighs on
   * both alike), from enough addresses that no pair is slowed, `parallel` addresses at a time;
   * the median of each kind.
   */
  async function medians(parallel: number, kinds: Record<string, (k: number, addr: string) => Promise<{ status: number }>>, prefix: string) {
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    const from = addresses(prefix, TIMED_FAILURES / PAIR_FREE_FAILURES);
    for (let i = 0; i < from.length; i += parallel) {
      await Promise.all(
        from.slice(i, i + parallel).map(async (addr, j) => {
          for (let k = 0; k < PAIR_FREE_FAILURES; k++) {
            // In turns, first one kind then the other, as often each: whatever the first of two requests pays, both pay alike.
            const turn = (i + j) * PAIR_FREE_FAILURES + k;
            const order = turn % 2 === 0 ? Object.entries(kinds) : Object.entries(kinds).reverse();
            for (const [kind, attempt] of order) {
              const t0 = performance.now();
              const r = await attempt(k, addr);
              times[kind]!.push(performance.now() - t0);
              expect(r.status).toBe(401);
            }
          }
        }),
      );
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
    console.log(`failure answer medians (ms, ${TIMED_FAILURES} each): ${JSON.stringify(m)}`);
    return m;
  }

  it(`answers a Vd login for an unknown device and one with a wrong password in the same time (medians of ${TIMED_FAILURES} within ${TIMING_MEDIANS_WITHIN_MS} ms)`, async () => {
    await provision('CAM-TIMED', 'cam-timed-password', 'a0:b1:c2:d3:e5:05');
    const m = await medians(
      2,
      {
        vdUnknown: (k, addr) => login(`CAM-NOT-THERE-${k}`, 'some-password', addr),
        vdWrong: (k, addr) => login('CAM-TIMED', `wrong-${k}`, addr),
      },
      '127.0.4',
    );
    expect(m.vdUnknown!).toBeGreaterThanOrEqual(LOGIN_FAILURE_MIN_MS);
    expect(Math.abs(m.vdUnknown! - m.vdWrong!)).toBeLessThan(TIMING_MEDIANS_WITHIN_MS);
  });

  it(`answers a sign-in for a missing user and one with a wrong password in the same time (medians of ${TIMED_FAILURES} within ${TIMING_MEDIANS_WITHIN_MS} ms)`, async () => {
    await createUser('erin', 'erin-password');
    const m = await medians(
      2,
      {
        userMissing: (k, addr) => signIn(`nobody-${k}`, 'some-password', addr),
        userWrong: (k, addr) => signIn('erin', `wrong-${k}`, addr),
      },
      '127.0.5',
    );
    expect(m.userMissing!).toBeGreaterThanOrEqual(SIGN_IN_FAILURE_MIN_MS);
    expect(Math.abs(m.userMissing! - m.userWrong!)).toBeLessThan(TIMING_MEDIANS_WITHIN_MS);
  });
});

describe('signed login nonces', () => {
  const sign = (password: string, code: string, ts: number, nonce: string) => createHmac('sha256', password).update(`${code}|${ts}|${nonce}`).digest('hex');

  it('refuses a signed login replayed after a kill -9 and a restart, within its time window', async () => {
    await provision('CAM-NONCE', 'cam-nonce-password', 'a0:b1:c2:d3:e5:06', { signed_login: true });
    const signed = () => {
      const ts = Math.floor(Date.now() / 1000);
      const nonce = randomBytes(16).toString('hex');
      return {
        login_code: 'CAM-NONCE',
        hardware_model: 'h',
        firmware_model: 'f',
        login_ts: String(ts),
        login_nonce: nonce,
        login_sig: sign('cam-nonce-password', 'CAM-NONCE', ts, nonce),
      };
    };
    const q = signed();
    const d = await RawDevice.connect(p.url, q);
    d.close();
    await p.kill9();
    p = await p.restart();
    const replay = await tryUpgrade(p.url, q);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.body)).toEqual({ info: 'signed login nonce already used' });
    expect(Date.now() / 1000 - Number(q.login_ts)).toBeLessThan(300); // still inside its window
    // A fresh signature is welcome.
    expect((await tryUpgrade(p.url, signed())).status).toBe(101);
  });
});
