/** GetCap and GetDiskInfo at every login (issue #22 point 4, NOTES 9): asked by the machine, kept in its context. */
import { describe, expect, it } from 'bun:test';
import { createActor } from 'xstate';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import { type LoginQuery, loginQueryId } from '../../actors/machines/pu.capabilities.ts';
import { Capabilities } from '../../protocol/index.ts';
import { DISK_STATE, VD_ERR } from '../../protocol/constants.ts';
import { start } from './pu.harness.ts';

const noPtz = Capabilities.parse({ ptz: false, battery: true, https: false });
const answer = (
  t: ReturnType<typeof start>,
  connId: string,
  name: LoginQuery,
  r: { ok: true; resp: Record<string, unknown> } | { ok: false; code?: number; msg: string },
) => t.send({ type: 'cmd.result', reqId: loginQueryId('CAM1', connId, name), name, ...r });

describe('pu machine: capabilities at login', () => {
  it('asks GetCap and GetDiskInfo at every login, over that login’s connection', () => {
    const t = start();
    t.login('c1');
    expect(t.asked).toEqual([
      { reqId: 'CAM1:login:c1:GetCap', name: 'GetCap' },
      { reqId: 'CAM1:login:c1:GetDiskInfo', name: 'GetDiskInfo' },
    ]);
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'gone' });
    t.login('c2', true);
    expect(t.asked.map((q) => q.reqId)).toEqual(['CAM1:login:c1:GetCap', 'CAM1:login:c1:GetDiskInfo', 'CAM1:login:c2:GetCap', 'CAM1:login:c2:GetDiskInfo']);
    expect(t.sent).toEqual([]); // not commands
  });

  it('asks again when the device comes back after a reboot, and from offline', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'RebootDevice' });
    t.login('c2');
    expect(t.state()).toBe('{"online":"ready"}');
    t.clock.increment(10 * 60_000);
    expect(t.state()).toBe('"offline"');
    t.login('c3');
    expect(t.asked.filter((q) => q.name === 'GetCap').map((q) => q.reqId)).toEqual(['CAM1:login:c1:GetCap', 'CAM1:login:c2:GetCap', 'CAM1:login:c3:GetCap']);
  });

  it('keeps the answers in its context without touching the last command', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'DevStatus' });
    answer(t, 'c1', 'GetCap', { ok: true, resp: noPtz });
    answer(t, 'c1', 'GetDiskInfo', { ok: true, resp: { state: DISK_STATE.no_card } });
    expect(t.ctx().capabilities).toEqual(noPtz);
    expect(t.ctx().disk).toEqual({ state: DISK_STATE.no_card });
    expect(t.ctx().lastCommand).toMatchObject({ reqId: 'r1', name: 'DevStatus' });
  });

  it('makes capabilities unknown when the device refuses GetCap, and keeps them when it does not answer', () => {
    const t = start();
    t.login('c1');
    answer(t, 'c1', 'GetCap', { ok: true, resp: noPtz });
    answer(t, 'c1', 'GetDiskInfo', { ok: true, resp: { state: DISK_STATE.normal, total: 100, free: 50 } });
    t.login('c2');
    answer(t, 'c2', 'GetCap', { ok: false, msg: 'no answer to GetCap within 20 s' }); // timeout: nothing learnt
    answer(t, 'c2', 'GetDiskInfo', { ok: false, msg: 'the device is not connected' });
    expect(t.ctx().capabilities).toEqual(noPtz);
    expect(t.ctx().disk).toEqual({ state: DISK_STATE.normal, total: 100, free: 50 });
    t.login('c3');
    answer(t, 'c3', 'GetCap', { ok: false, code: VD_ERR.UNSUPPORTED_METHOD, msg: 'unsupported' }); // an older firmware
    answer(t, 'c3', 'GetDiskInfo', { ok: false, code: VD_ERR.UNSUPPORTED_METHOD, msg: 'unsupported' });
    expect(t.ctx().capabilities).toBeNull();
    expect(t.ctx().disk).toBeNull();
    // Still a working device: online, keepalives taken, commands accepted.
    t.keepalive();
    t.send({ type: 'cmd.request', reqId: 'r2', name: 'DevStatus' });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.sent.map((s) => s.reqId)).toEqual(['r2']);
  });

  it('keeps a GetCap a user asks for, as a command with its result', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'GetCap' });
    t.send({ type: 'cmd.result', reqId: 'r1', name: 'GetCap', ok: true, resp: noPtz });
    expect(t.ctx().capabilities).toEqual(noPtz);
    expect(t.ctx().lastCommand).toMatchObject({ reqId: 'r1', name: 'GetCap', ok: true });
  });

  it('survives persist → JSON → restore with its capabilities', () => {
    const t = start();
    t.login('c1');
    answer(t, 'c1', 'GetCap', { ok: true, resp: noPtz });
    const json = JSON.parse(JSON.stringify(t.actor.getPersistedSnapshot()));
    const again = createActor(puMachine, { snapshot: json, input: { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0] } }).start();
    expect(again.getSnapshot().context.capabilities).toEqual(noPtz);
    again.stop();
  });
});
