/**
 * The pu actor's login bookkeeping through the real host and store: failed logins cost no
 * history row, their count survives a reload, and the lock and unlock replay exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { readHistory } from '../../actors/host/store.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { MACHINES } from '../../actors/machines/index.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import { LOGIN_FAILURES_TO_LOCK, LOGIN_LOCK_MS } from '../../actors/machines/pu.actions.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.cleanup();
});

const T0 = Date.UTC(2026, 0, 1);

function makeHost() {
  const clock = new SimulatedClock();
  clock.set(T0);
  return { clock, host: new ActorHost({ db: t.db, machines: MACHINES, clock }) };
}

describe('pu actor: failed logins and the hard lock', () => {
  it('keeps failed logins out of the history, keeps their count across a reload, and logs only the lock and the unlock', async () => {
    const id = puActorId('CAM-LOCK-1');
    const first = makeHost();
    await first.host.create('pu', id, { deviceId: 'CAM-LOCK-1', macId: 'a0b1c2d3e4f5', channels: [0] });
    for (let i = 0; i < LOGIN_FAILURES_TO_LOCK - 1; i++) {
      const r = await first.host.dispatch(id, { type: 'login.failed', ip: '10.0.0.66', reason: 'wrong password' });
      expect(r.logged).toBe(false);
    }
    await first.host.stop(); // writes the unlogged count
    expect((await readHistory(t.db, id, -1, 1000)).length).toBe(1); // xstate.init only

    const second = makeHost();
    const r = await second.host.dispatch(id, { type: 'login.failed', ip: '10.0.0.67', reason: 'bad login signature' });
    const ctx = r.context as unknown as PuContext;
    expect(ctx.failedLogins).toBe(LOGIN_FAILURES_TO_LOCK); // the restart did not forget the 99
    expect(ctx.lastLoginFailure).toEqual({ at: T0, ip: '10.0.0.67', reason: 'bad login signature' });
    const locked = await second.host.dispatch(id, { type: 'login.tooManyFailures', failures: ctx.failedLogins });
    expect(locked.logged).toBe(true);
    expect((locked.context as unknown as PuContext).login).toEqual({ locks: 1, lockedUntil: T0 + LOGIN_LOCK_MS });
    const unlocked = await second.host.dispatch(id, { type: 'login.unlocked', by: 'admin token' });
    expect(unlocked.logged).toBe(true);
    await second.host.stop();
    const types = (await readHistory(t.db, id, -1, 1000)).map((e) => e.event.type);
    expect(types).toEqual(['xstate.init', 'login.tooManyFailures', 'login.unlocked']);
    expect(await replayActor(t.db, new MachineRegistry(MACHINES), id)).toMatchObject({ ok: true, mismatches: [] });
  });
});
