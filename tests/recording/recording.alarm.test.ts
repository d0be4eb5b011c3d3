/**
 * An alarm-triggered record session on a simulated clock (issue #23; actors/machines/recording.machine.ts): it stops
 * `recordS` after the alarm that opened it, a later alarm of its channel extends it, someone asking to record keeps it
 * going, and an alarm during its stop is handed to the pu for the next session.
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import {
  ALARM_TIMER,
  alarmElapsedReason,
  recordingMachine,
  STOPPED_BY_ALARM_TIMER,
  type RecordingEvent,
  type RecordingInput,
} from '../../actors/machines/recording.machine.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';

const T0 = Date.UTC(2026, 0, 1);
const RECORD_S = 30;

function start(alarm: RecordingInput['alarm'] | null = { recordS: RECORD_S, alarmId: 'a1', at: T0 }) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const sent: string[] = [];
  const told: ActorSendParams[] = [];
  const machine = recordingMachine.provide({
    actions: {
      'recording.start': () => void sent.push('start'),
      'recording.stop': () => void sent.push(`stop@${(clock.now() - T0) / 1000}`),
      'recording.closed': () => void sent.push('closed'),
      'actor.send': (_, p) => void told.push(p as ActorSendParams),
    },
  });
  const params = { seg_duration: 10, seg_max_size: 1 << 20, seg_max_count: 3, max_bitrate: 0, prerecord_seconds: 5 };
  const input: RecordingInput = { deviceId: 'CAM', channel: 0, sessionId: 'S', params, createdAt: T0, by: 'alarm', ...(alarm ? { alarm } : {}) };
  const actor = createActor(machine, { clock, input });
  actor.start();
  const send = (e: RecordingEvent) => actor.send({ ...e, at: clock.now() } as RecordingEvent);
  const state = () => actor.getSnapshot().value as string;
  const ctx = () => actor.getSnapshot().context;
  const started = () => send({ type: 'record.result', op: 'start', attempt: ctx().attempt, ok: true });
  const seconds = (s: number) => clock.increment(s * 1000);
  return { clock, actor, send, state, ctx, sent, told, started, seconds };
}

describe('recording machine: alarm-triggered sessions', () => {
  it('stops by itself recordS after the alarm that opened it, saying why', () => {
    const t = start();
    t.started();
    expect(t.ctx().alarmUntil).toBe(T0 + RECORD_S * 1000);
    t.seconds(RECORD_S - 1);
    expect(t.state()).toBe('recording');
    t.seconds(1);
    expect(t.state()).toBe('stopping');
    expect(t.ctx()).toMatchObject({ stoppedBy: STOPPED_BY_ALARM_TIMER, reason: alarmElapsedReason(RECORD_S) });
    expect(t.sent).toEqual(['start', `stop@${RECORD_S}`]);
    t.send({ type: 'record.result', op: 'stop', attempt: t.ctx().attempt, ok: true });
    expect(t.state()).toBe('stopped');
    expect(t.told.at(-1)).toEqual({ to: 'pu:CAM', event: { type: 'recording.closed', recordingId: 'rec:S' } });
  });

  it('records on recordS after each later alarm of its channel', () => {
    const t = start();
    t.started();
    t.seconds(20);
    t.send({ type: 'alarm.seen', alarmId: 'a2', recordS: RECORD_S });
    expect(t.ctx()).toMatchObject({ alarmUntil: T0 + (20 + RECORD_S) * 1000, alarmsSeen: 1 });
    t.seconds(RECORD_S - 1);
    expect(t.state()).toBe('recording');
    t.seconds(1);
    expect(t.state()).toBe('stopping');
    expect(t.sent).toEqual(['start', `stop@${20 + RECORD_S}`]);
  });

  it('counts from the alarm even while StartRecord is still unanswered, or the PU is offline', () => {
    const t = start();
    t.send({ type: 'pu.offline', reason: 'no message for 3 heartbeat intervals' });
    expect(t.state()).toBe('failed');
    t.seconds(RECORD_S);
    expect(t.state()).toBe('stopping');
  });

  it('keeps recording, without a stop timer, once someone asks to record the channel', () => {
    const t = start();
    t.started();
    t.send({ type: 'alarm.adopt', by: 'alice' });
    expect(t.ctx()).toMatchObject({ alarm: undefined, alarmUntil: undefined, by: 'alice' });
    t.seconds(RECORD_S * 10);
    expect(t.state()).toBe('recording');
    t.send({ type: 'alarm.seen', alarmId: 'a2', recordS: RECORD_S }); // an ordinary session is not concerned
    t.seconds(RECORD_S * 10);
    expect(t.state()).toBe('recording');
  });

  it('leaves an ordinary session alone on alarms', () => {
    const t = start(null);
    t.started();
    t.send({ type: 'alarm.seen', alarmId: 'a2', recordS: RECORD_S });
    t.seconds(RECORD_S * 2);
    expect(t.state()).toBe('recording');
    expect(t.ctx().alarmUntil).toBeUndefined();
  });

  it('hands an alarm that came during its stop to the pu, which opens the next session', () => {
    const t = start();
    t.started();
    t.seconds(RECORD_S);
    expect(t.state()).toBe('stopping');
    t.send({ type: 'alarm.seen', alarmId: 'a9', recordS: RECORD_S });
    t.send({ type: 'record.result', op: 'stop', attempt: t.ctx().attempt, ok: true });
    expect(t.told.at(-1)).toEqual({ to: 'pu:CAM', event: { type: 'recording.closed', recordingId: 'rec:S', again: { channel: 0, alarmId: 'a9' } } });
  });

  it('keeps its stop timer across persist → JSON → restore (the host re-arms it from its timer row)', () => {
    const t = start();
    t.started();
    const json = JSON.parse(JSON.stringify(t.actor.getPersistedSnapshot()));
    // XState does not persist delayed events (DESIGN.md): the host does, by the timer's id.
    expect(ALARM_TIMER).toBe('alarm.elapsed');
    const restored = createActor(recordingMachine, { snapshot: json, input: t.ctx() });
    restored.start();
    expect(restored.getSnapshot().value).toBe('recording');
    expect(restored.getSnapshot().context).toMatchObject({ alarm: { recordS: RECORD_S, alarmId: 'a1' }, alarmUntil: T0 + RECORD_S * 1000 });
    restored.send({ type: 'alarm.elapsed' });
    expect(restored.getSnapshot().value).toBe('stopping');
  });
});
