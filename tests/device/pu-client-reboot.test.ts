/** Reboot and stop of the PU client (H.627.2 I.2.5). */
import { describe, expect, it } from 'bun:test';
import { BOOT_MS } from '../../device/pu-client.machine.ts';
import { harness } from './machine-harness.ts';

describe('reboot', () => {
  it('drops the connection, stays down for the boot time, then starts from Vs with reconnect=0', async () => {
    const h = harness();
    await h.goOnline();
    const before = h.socket();
    h.actor.send({ type: 'device.reboot', reason: 'RebootDevice from the platform' });
    expect(h.state()).toBe('rebooting');
    expect(before.closed).toBe(true);
    expect(h.powerOffs).toBe(1);
    await h.advance(BOOT_MS - 1);
    expect(h.state()).toBe('rebooting');
    expect(h.vsCalls).toBe(1);
    await h.advance(1);
    expect(h.vsCalls).toBe(2);
    expect(h.state()).toBe('connecting');
    expect(h.socket().input.reconnect).toBe(0);
    expect(h.actor.getSnapshot().context).toMatchObject({ failures: 0, failuresSinceSchedule: 0 });
  });

  it('boots for the configured time', async () => {
    const h = harness({ bootMs: 500 });
    await h.goOnline();
    h.actor.send({ type: 'device.reboot', reason: 'firmware upgraded to 2.0.0' });
    await h.advance(500);
    expect(h.state()).toBe('connecting');
  });

  it('reboots from backoff too, forgetting its failures', async () => {
    const h = harness({ random: () => 0.9 });
    await h.goOnline();
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
    h.actor.send({ type: 'device.reboot', reason: 'power cycle' });
    await h.advance(BOOT_MS);
    expect(h.actor.getSnapshot().context.failures).toBe(0);
    expect(h.vsCalls).toBe(2);
  });

  it('ignores a reboot while stopped, and stops from any state', async () => {
    const h = harness();
    h.actor.send({ type: 'device.reboot', reason: 'power cycle' });
    expect(h.state()).toBe('stopped');
    await h.goOnline();
    h.actor.send({ type: 'device.stop' });
    expect(h.state()).toBe('stopped');
    expect(h.socket().closed).toBe(true);
    h.actor.send({ type: 'device.start' });
    await h.settle();
    expect(h.state()).toBe('connecting');
  });
});
