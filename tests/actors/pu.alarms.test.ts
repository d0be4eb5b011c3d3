/** AlarmNotify (I.2.16): state alarms open and close, single ones are remembered as the last. */
import { describe, expect, it } from 'bun:test';
import { start, T0 } from './pu.harness.ts';

describe('pu machine: alarms', () => {
  it('tracks alarms that start and end, and single alarms', () => {
    const t = start();
    t.login();
    t.send({ type: 'vd.alarm', alarmId: 'a1', channel: 0, alarmType: 3, state: 'start', timestamp: 1 });
    expect(t.ctx().activeAlarms).toEqual([{ channel: 0, type: 3, since: T0 }]);
    t.send({ type: 'vd.alarm', alarmId: 'a2', channel: 0, alarmType: 10, state: 'pulse', timestamp: 2 });
    expect(t.ctx().activeAlarms.length).toBe(1);
    t.send({ type: 'vd.alarm', alarmId: 'a3', channel: 0, alarmType: 3, state: 'end', timestamp: 3 });
    expect(t.ctx().activeAlarms).toEqual([]);
    expect(t.ctx().lastAlarm).toMatchObject({ alarmId: 'a3', type: 3, state: 'end' });
  });
});
