/** Commands (RPCs) the platform sends the device, and the reboot and reschedule they lead to. */
import { describe, expect, it } from 'bun:test';
import { REBOOT_TIMEOUT_MS } from '../../actors/machines/pu.machine.ts';
import { start } from './pu.harness.ts';

describe('pu machine: platform → PU commands', () => {
  it('accepts commands only while the device is connected', () => {
    const t = start();
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'DevStatus' });
    expect(t.ctx().lastCommand).toBeUndefined();
    t.login();
    t.send({ type: 'cmd.request', reqId: 'r2', name: 'DevStatus' });
    expect(t.ctx().lastCommand).toMatchObject({ reqId: 'r2', name: 'DevStatus' });
    t.send({ type: 'cmd.result', reqId: 'r2', name: 'DevStatus', ok: true, resp: { battery: 77, firmware_model: 'FW1' } });
    expect(t.ctx()).toMatchObject({ battery: 77, lastCommand: { ok: true } });
  });

  it('waits through a reboot, and counts a device that never returns as offline', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'RebootDevice' });
    expect(t.state()).toBe('{"online":"rebooting"}');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1001, reason: 'going away' });
    t.clock.increment(60_000); // longer than the heartbeat timeout: still rebooting
    expect(t.state()).toBe('{"online":"rebooting"}');
    t.login('c2');
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().reason).toBe('back after a reboot');
    t.send({ type: 'cmd.request', reqId: 'r2', name: 'RebootDevice' });
    t.clock.increment(REBOOT_TIMEOUT_MS);
    expect(t.state()).toBe('"offline"');
    expect(t.ctx().reason).toBe('did not come back after a reboot');
  });

  it('expects a rescheduled device back through Vs and Vd', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'Reschedule' });
    expect(t.state()).toBe('{"online":"rescheduling"}');
    t.send({ type: 'vs.scheduled', ip: '10.0.0.9' });
    t.login('c2', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ reason: 'back after rescheduling', scheduledFrom: '10.0.0.9' });
  });
});
