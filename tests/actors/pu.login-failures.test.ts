/** Failed device logins in a row (volatile, no history row each) and the bounded hard lock. */
import { describe, expect, it } from 'bun:test';
import { puMachine, puV1 } from '../../actors/machines/pu.machine.ts';
import { LOGIN_FAILURES_TO_LOCK, LOGIN_LOCK_MS } from '../../actors/machines/pu.actions.ts';
import { pureTransition } from '../../actors/host/transition.ts';
import { start, T0 } from './pu.harness.ts';

describe('pu machine: failed logins and the lock', () => {
  it('counts failed logins in a row without a history row each; a success starts the count again', () => {
    const t = start();
    const before = t.actor.getSnapshot();
    const [next, actions] = pureTransition(puMachine, before, { type: 'login.failed', ip: '10.0.0.66', reason: 'wrong password', at: T0 });
    expect(actions).toEqual([]);
    expect(next.value).toEqual(before.value);
    const [now, was] = [next.context as unknown as Record<string, unknown>, before.context as unknown as Record<string, unknown>];
    const changed = Object.keys(now).filter((k) => now[k] !== was[k]);
    expect(changed.sort()).toEqual(['failedLogins', 'lastLoginFailure']);
    expect(changed.every((k) => puV1.volatile!.includes(k))).toBe(true); // the host keeps these beside the snapshot, unlogged
    for (let i = 0; i < LOGIN_FAILURES_TO_LOCK - 1; i++) t.send({ type: 'login.failed', ip: '10.0.0.66', reason: 'wrong password' });
    expect(t.ctx()).toMatchObject({ failedLogins: LOGIN_FAILURES_TO_LOCK - 1, lastLoginFailure: { ip: '10.0.0.66', reason: 'wrong password' } });
    expect(t.ctx().login.lockedUntil).toBeUndefined(); // failures alone never lock: the platform hands the count back
    t.login();
    expect(t.ctx()).toMatchObject({ failedLogins: 0, login: { locks: 0 } });
  });

  it('locks only when told of enough failures in a row, for a bounded time, and an admin can unlock it', () => {
    const t = start();
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK - 1 });
    expect(t.ctx().login.lockedUntil).toBeUndefined();
    for (let i = 0; i < LOGIN_FAILURES_TO_LOCK; i++) t.send({ type: 'login.failed', reason: 'wrong password' });
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK });
    expect(t.ctx()).toMatchObject({ failedLogins: 0, login: { locks: 1, lockedUntil: T0 + LOGIN_LOCK_MS } });
    t.clock.increment(1000);
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK + 1 }); // a late one: already locked
    expect(t.ctx().login).toEqual({ locks: 1, lockedUntil: T0 + LOGIN_LOCK_MS });
    t.send({ type: 'login.unlocked', by: 'admin token' });
    expect(t.ctx()).toMatchObject({ failedLogins: 0, login: { locks: 1 } });
    expect(t.ctx().login.lockedUntil).toBeUndefined();
    t.clock.increment(LOGIN_LOCK_MS);
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK });
    expect(t.ctx().login).toEqual({ locks: 2, lockedUntil: t.clock.now() + LOGIN_LOCK_MS });
  });
});
