/** Persisting the PU client machine: snapshot → JSON → restore, and re-arming its pending delay. */
import { describe, expect, it } from 'bun:test';
import { harness } from './machine-harness.ts';

describe('persist and restore', () => {
  it('restores a device waiting in backoff with its context, and re-arms the backoff on resume', async () => {
    const a = harness({ random: () => 0.5 });
    await a.goOnline();
    a.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
    a.socket().send({ type: 'vd.closed', reason: 'late duplicate' }); // ignored: already in backoff
    const json = JSON.stringify(a.actor.getPersistedSnapshot());
    a.actor.stop();

    const b = harness({ random: () => 0.5, snapshot: JSON.parse(json), now: a.clock.now() });
    expect(b.state()).toBe('backoff');
    expect(b.actor.getSnapshot().context).toEqual(a.actor.getSnapshot().context);
    expect(b.actor.getSnapshot().context).toMatchObject({ failures: 1, backoffMs: 2_500, reconnect: 1, vd: { host: 'vd.test' } });
    // XState does not persist delayed events: the restored actor waits until told to resume.
    await b.advance(2_500);
    expect(b.state()).toBe('backoff');
    b.actor.send({ type: 'device.resume' });
    await b.advance(2_499);
    expect(b.state()).toBe('backoff');
    await b.advance(1);
    expect(b.state()).toBe('connecting');
    expect(b.socket().input).toEqual({ address: { scheme: 'wss', host: 'vd.test', port: 8443 }, reconnect: 1 });
  });

  it('restores a rebooting device, which boots when resumed', async () => {
    const a = harness({ bootMs: 1_000 });
    await a.goOnline();
    a.actor.send({ type: 'device.reboot', reason: 'power cycle' });
    const b = harness({ snapshot: JSON.parse(JSON.stringify(a.actor.getPersistedSnapshot())) });
    expect(b.state()).toBe('rebooting');
    b.actor.send({ type: 'device.resume' });
    await b.advance(1_000);
    expect(b.state()).toBe('connecting');
    expect(b.socket().input.reconnect).toBe(0);
  });
});
