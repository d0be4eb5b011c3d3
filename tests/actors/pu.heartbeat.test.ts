/** Offline after 3 heartbeat intervals of silence (NOTES 3), through the lazy heartbeat timer, on the simulated clock. */
import { describe, expect, it } from 'bun:test';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import { heartbeatTimeoutMs } from '../../actors/machines/pu.heartbeat.ts';
import { pureTransition } from '../../actors/host/transition.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import { start, T0 } from './pu.harness.ts';

describe('pu machine: the heartbeat timeout', () => {
  it('marks a PU offline after three missed heartbeats', () => {
    const t = start();
    t.login();
    const timeout = heartbeatTimeoutMs(t.ctx());
    expect(timeout).toBe(30_000);
    for (let i = 0; i < 5; i++) {
      t.clock.increment(10_000);
      t.keepalive();
    }
    // Time passes second by second (the lazy heartbeat timer re-arms when it comes due, and a
    // simulated clock that jumps would fire the re-armed timer late).
    for (let s = 1; s < timeout / 1000; s++) t.clock.increment(1000);
    t.clock.increment(999);
    expect(t.state()).toBe('{"online":"ready"}');
    t.clock.increment(1);
    expect(t.state()).toBe('"offline"');
    expect(t.ctx()).toMatchObject({ reason: 'no message for 3 heartbeat intervals', since: T0 + 50_000 + timeout });
  });

  it('changes no timer on a keepalive: the heartbeat timer re-arms itself from the last message when it comes due', () => {
    const t = start();
    t.login();
    const timeout = heartbeatTimeoutMs(t.ctx());
    t.clock.increment(1000);
    // What the durable host sees: the keepalive's pure transition asks for no timer at all.
    const [, actions] = pureTransition(puMachine, t.actor.getSnapshot(), {
      type: 'vd.keepalive',
      state: 1,
      channels: [{ channel: 0, state: 1, alarm: 0 }],
      at: t.clock.now(),
    });
    expect(actions.map((a) => a.type).filter((type) => type.startsWith('xstate.'))).toEqual([]);
    t.keepalive();
    for (let s = 1; s < timeout / 1000; s++) t.clock.increment(1000); // the first timer comes due at login + timeout
    expect(t.state()).toBe('{"online":"ready"}'); // heard 1 s after login: re-armed, not offline
    t.clock.increment(1000);
    expect(t.state()).toBe('"offline"'); // timeout after that keepalive
    expect(t.ctx().since).toBe(T0 + 1000 + timeout);
  });

  it('keeps checking the heartbeat through an upgrade, so a failed upgrade still ends offline when the device goes silent', () => {
    const t = start();
    t.login();
    const timeout = heartbeatTimeoutMs(t.ctx());
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'UpgradeFirmware' } as PuEvent);
    expect(t.state()).toBe('{"online":"upgrading"}');
    for (let s = 0; s < (2 * timeout) / 1000; s++) t.clock.increment(1000); // silent while installing: no offline
    expect(t.state()).toBe('{"online":"upgrading"}');
    t.send({ type: 'cmd.result', reqId: 'p', name: 'QueryUpgrade', ok: true, resp: { upgrade_status: 'error' } } as PuEvent);
    expect(t.state()).toBe('{"online":"ready"}');
    for (let s = 0; s < (timeout + 1000) / 1000; s++) t.clock.increment(1000);
    expect(t.state()).toBe('"offline"');
  });
});
