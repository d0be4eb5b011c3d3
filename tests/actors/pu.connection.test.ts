/** A closed Vd socket is not offline by itself (NOTES 3): reconnects, replaced connections, silence after a close. */
import { describe, expect, it } from 'bun:test';
import { start } from './pu.harness.ts';

describe('pu machine: the Vd connection', () => {
  it('does not flap offline when the socket closes and the device reconnects in time', () => {
    const t = start();
    t.login('c1');
    t.clock.increment(5000);
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'abnormal closure' });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().connected).toBe(false);
    t.clock.increment(20_000);
    t.login('c2', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ connected: true, connId: 'c2', reconnect: true });
    t.clock.increment(29_000);
    expect(t.state()).toBe('{"online":"ready"}');
  });

  it('ignores the close of a connection that was already replaced', () => {
    const t = start();
    t.login('c1');
    t.login('c2');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 4000, reason: 'replaced' });
    expect(t.ctx()).toMatchObject({ connected: true, connId: 'c2' });
  });

  it('goes offline when the socket closed and nothing came back, and online again on reconnect', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'abnormal closure' });
    t.clock.increment(30_000);
    expect(t.state()).toBe('"offline"');
    t.clock.increment(60_000);
    t.login('c3', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ reason: 'logged in again', reconnect: true });
  });
});
