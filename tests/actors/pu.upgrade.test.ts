/** UpgradeFirmware and the QueryUpgrade polls that follow it (I.2.7, I.2.8), on the simulated clock. */
import { describe, expect, it } from 'bun:test';
import { UPGRADE_POLL_INTERVAL_MS } from '../../actors/machines/pu.machine.ts';
import { start } from './pu.harness.ts';

describe('pu machine: firmware upgrade', () => {
  it('polls QueryUpgrade through an upgrade and follows the device through its restart', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'u1', name: 'UpgradeFirmware', firmwareModel: 'FW2' });
    expect(t.state()).toBe('{"online":"upgrading"}');
    expect(t.sent.map((s) => s.name)).toEqual(['UpgradeFirmware']);
    t.sent.length = 0;
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS);
    expect(t.sent.map((s) => s.name)).toEqual(['QueryUpgrade']);
    t.send({
      type: 'cmd.result',
      reqId: t.sent[0]!.reqId,
      name: 'QueryUpgrade',
      ok: true,
      resp: { upgrade_status: 'downloading', progress: 40, firmware_model: 'FW1' },
    });
    expect(t.ctx().upgrade).toMatchObject({ firmwareModel: 'FW2', status: 'downloading', progress: 40 });
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS);
    t.send({
      type: 'cmd.result',
      reqId: t.sent[1]!.reqId,
      name: 'QueryUpgrade',
      ok: true,
      resp: { upgrade_status: 'done', progress: 100, firmware_model: 'FW2' },
    });
    expect(t.state()).toBe('{"online":"rebooting"}');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1001, reason: 'restart' });
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS * 3);
    expect(t.sent.length).toBe(2); // no polling once the upgrade is done
    t.send({ type: 'vd.connected', connId: 'c2', reconnect: false, hardwareModel: 'HW1', firmwareModel: 'FW2' });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ firmwareModel: 'FW2', upgrade: { status: 'done', progress: 100 } });
  });

  it('ends an upgrade the device reports as failed', () => {
    const t = start();
    t.login();
    t.send({ type: 'cmd.request', reqId: 'u1', name: 'UpgradeFirmware', firmwareModel: 'FW2' });
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS);
    t.send({
      type: 'cmd.result',
      reqId: t.sent[1]!.reqId,
      name: 'QueryUpgrade',
      ok: true,
      resp: { upgrade_status: 'error', progress: 10, firmware_model: 'FW1' },
    });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().upgrade).toMatchObject({ status: 'error', error: 'the device reported an upgrade error' });
  });
});
