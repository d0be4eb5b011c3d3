/** Reconnection backoff of the PU client (H.627.2 9.3.1.3) on a simulated clock. */
import { describe, expect, it } from 'bun:test';
import { BACKOFF_FLAT_S, BACKOFF_LINEAR_MAX_TRIES, BACKOFF_STEP_S } from '../../protocol/index.ts';
import { backoffCeilingMs, backoffDelayMs } from '../../device/backoff.ts';
import { harness, refuse } from './machine-harness.ts';

const MS = 1_000;
/** Draws at the bottom, the middle and the top of [0, 1). */
const DRAWS = [0, 0.5, 1 - 1e-9];
const DRAW_NAMES = ['0', '0.5', 'just under 1'];

/** Online once, then fail `n` logins in a row; returns the harness in backoff after the n-th. */
async function failNTimes(n: number, random: () => number) {
  const h = harness({ random });
  await h.goOnline();
  h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' }); // failure 1
  for (let i = 2; i <= n; i++) {
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    refuse(h);
  }
  return h;
}

describe('reconnect backoff', () => {
  DRAWS.forEach((draw, i) => {
    it(`sleeps a uniform draw within [0, 5·N] s after the N-th failure for N = 1..12 (draw ${DRAW_NAMES[i]})`, async () => {
      const h = harness({ random: () => draw });
      await h.goOnline();
      h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
      for (let n = 1; n <= BACKOFF_LINEAR_MAX_TRIES; n++) {
        const { failures, backoffMs } = h.actor.getSnapshot().context;
        expect(failures).toBe(n);
        expect(backoffMs).toBeGreaterThanOrEqual(0);
        expect(backoffMs).toBeLessThanOrEqual(BACKOFF_STEP_S * n * MS);
        expect(backoffMs).toBe(Math.floor(draw * BACKOFF_STEP_S * n * MS));
        expect(h.state()).toBe('backoff');
        if (backoffMs > 0) {
          await h.advance(backoffMs - 1);
          expect(h.state()).toBe('backoff'); // not a millisecond early
        }
        await h.advance(backoffMs === 0 ? 0 : 1);
        expect(h.state()).toBe('connecting');
        refuse(h);
      }
    });
  });

  it('sleeps exactly 60 s after every failure beyond the 12th, whatever the draw', async () => {
    for (const draw of DRAWS) {
      const h = await failNTimes(BACKOFF_LINEAR_MAX_TRIES + 1, () => draw);
      for (let n = BACKOFF_LINEAR_MAX_TRIES + 1; n <= BACKOFF_LINEAR_MAX_TRIES + 3; n++) {
        expect(h.actor.getSnapshot().context).toMatchObject({ failures: n, backoffMs: BACKOFF_FLAT_S * MS });
        await h.advance(BACKOFF_FLAT_S * MS - 1);
        expect(h.state()).toBe('backoff');
        await h.advance(1);
        expect(h.state()).not.toBe('backoff');
        refuse(h);
      }
    }
  });

  it('waits at least the Retry-After of a locked-out login', async () => {
    const h = harness({ random: () => 0 });
    await h.goOnline();
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
    await h.advance(0);
    refuse(h, 90);
    expect(h.actor.getSnapshot().context.backoffMs).toBe(90 * MS);
    await h.advance(90 * MS - 1);
    expect(h.state()).toBe('backoff');
    await h.advance(1);
    expect(h.state()).toBe('connecting');
  });

  it('backs off after a failed Vs call as after a failed login', async () => {
    const h = harness({ random: () => 0.5 });
    h.vsQueue.push(new Error('HTTP 503: busy'), new Error('HTTP 503: busy'));
    h.actor.send({ type: 'device.start' });
    await h.settle();
    expect(h.actor.getSnapshot().context).toMatchObject({ failures: 1, backoffMs: 2_500 });
    expect(h.actor.getSnapshot().context.reason).toContain('Vs: HTTP 503: busy');
    await h.advance(2_500);
    expect(h.vsCalls).toBe(2);
    expect(h.actor.getSnapshot().context).toMatchObject({ failures: 2, backoffMs: 5_000 });
    await h.advance(5_000);
    expect(h.state()).toBe('connecting'); // the third Vs call answered
  });

  it('starts counting from zero again once the device is back online', async () => {
    const h = await failNTimes(5, () => 0.5);
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    h.socket().send({ type: 'vd.open' });
    h.socket().send({ type: 'vd.serverInfo' });
    expect(h.state()).toBe('online');
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
    expect(h.actor.getSnapshot().context).toMatchObject({ failures: 1, backoffMs: 2_500 });
  });
});

describe('backoffDelayMs', () => {
  it('never exceeds 5·N s, even for a draw of exactly 1', () => {
    for (let n = 1; n <= BACKOFF_LINEAR_MAX_TRIES; n++) {
      expect(backoffDelayMs(n, 1)).toBeLessThan(backoffCeilingMs(n));
      expect(backoffDelayMs(n, -0.5)).toBe(0);
    }
  });

  it('is 60 s for N > 12 and never below a Retry-After', () => {
    expect(backoffDelayMs(13, 0)).toBe(60_000);
    expect(backoffDelayMs(100, 0.9)).toBe(60_000);
    expect(backoffDelayMs(1, 0.1, 30)).toBe(30_000);
  });
});
