/**
 * The pu's alarm-triggered recording (issue #23; actors/machines/pu.alarm-recording.ts): the owner's setting is in its
 * context, an alarm of a channel without a session opens an alarm session, one with a session tells it, and an alarm
 * that came while a session was stopping opens the next one once it has closed.
 */
import { describe, expect, it } from 'bun:test';
import { start, T0 } from './pu.harness.ts';

const motion = (alarmId: string, state = 'start', channel = 0) => ({ type: 'vd.alarm', alarmId, channel, alarmType: 3, state, timestamp: 1 }) as const;

describe('pu machine: alarm-triggered recording', () => {
  it('records nothing on an alarm while the setting is off', () => {
    const t = start();
    t.login();
    t.send(motion('a1'));
    expect(t.alarmSessions).toEqual([]);
    expect(t.ctx().alarmRecording).toBeUndefined();
  });

  it('keeps the setting with who set it, and 0 s turns it off', () => {
    const t = start();
    t.send({ type: 'alarmRecording.set', recordS: 30, prerecordS: 5, by: 'alice' });
    expect(t.ctx().alarmRecording).toEqual({ recordS: 30, prerecordS: 5, by: 'alice', at: T0 });
    t.send({ type: 'alarmRecording.set', recordS: 0, prerecordS: 0, by: 'alice' });
    expect(t.ctx().alarmRecording).toBeUndefined();
  });

  it('opens an alarm session on a start or a pulse of a channel that does not record, never on an end alone or a low battery', () => {
    const t = start();
    t.login();
    t.send({ type: 'alarmRecording.set', recordS: 30, prerecordS: 5 });
    t.send(motion('a0', 'end'));
    t.send({ type: 'vd.alarm', alarmId: 'low', channel: 0, alarmType: 8, state: 'pulse', timestamp: 1 });
    expect(t.alarmSessions).toEqual([]);
    t.send(motion('a1'));
    expect(t.alarmSessions).toEqual([{ channel: 0, alarmId: 'a1', recordS: 30, prerecordS: 5 }]);
  });

  it("tells the channel's open session of each later alarm (start, pulse or end) instead of opening another", () => {
    const t = start();
    t.login();
    t.send({ type: 'alarmRecording.set', recordS: 20, prerecordS: 0 });
    t.send({ type: 'recording.opened', recordingId: 'rec:S', channel: 0, sessionId: 'S' });
    t.told.length = 0;
    t.send(motion('a2'));
    t.send(motion('a3', 'end'));
    t.send(motion('b1', 'start', 1)); // another channel: its own session
    expect(t.told.filter((m) => m.to === 'rec:S').map((m) => m.event)).toEqual([
      { type: 'alarm.seen', alarmId: 'a2', recordS: 20 },
      { type: 'alarm.seen', alarmId: 'a3', recordS: 20 },
    ]);
    expect(t.alarmSessions).toEqual([{ channel: 1, alarmId: 'b1', recordS: 20, prerecordS: 0 }]);
  });

  it('opens the next alarm session when a session that saw an alarm while stopping closes', () => {
    const t = start();
    t.login();
    t.send({ type: 'alarmRecording.set', recordS: 20, prerecordS: 0 });
    t.send({ type: 'recording.opened', recordingId: 'rec:S', channel: 0, sessionId: 'S' });
    t.send({ type: 'recording.closed', recordingId: 'rec:S', again: { channel: 0, alarmId: 'a4' } });
    expect(t.ctx().recordings).toEqual({});
    expect(t.alarmSessions).toEqual([{ channel: 0, alarmId: 'a4', recordS: 20, prerecordS: 0 }]);
    // Not when the setting was turned off meanwhile.
    t.send({ type: 'alarmRecording.set', recordS: 0, prerecordS: 0 });
    t.send({ type: 'recording.opened', recordingId: 'rec:T', channel: 0, sessionId: 'T' });
    t.send({ type: 'recording.closed', recordingId: 'rec:T', again: { channel: 0, alarmId: 'a5' } });
    expect(t.alarmSessions.length).toBe(1);
  });
});
