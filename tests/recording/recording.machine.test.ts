/** The recording machine's lifecycle on a simulated clock (H.627.2 I.2.14, I.2.15; docs/recording.md). */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { RECORD_RETRY_MS, RECORD_RPC_DEADLINE_MS, recordingMachine, type RecordingEvent } from '../../actors/machines/recording.machine.ts';

const T0 = Date.UTC(2026, 0, 1);

function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const sent: string[] = [];
  const machine = recordingMachine.provide({
    actions: {
      'recording.start': (_, p) => {
        sent.push(`start#${(p as { attempt: number }).attempt}`);
      },
      'recording.stop': () => {
        sent.push('stop');
      },
      'recording.closed': () => {
        sent.push('closed');
      },
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      deviceId: 'CAM',
      channel: 0,
      sessionId: 'S',
      params: { seg_duration: 10, seg_max_size: 1 << 20, seg_max_count: 3, max_bitrate: 0 },
      createdAt: T0,
      by: 'alice',
    },
  });
  actor.start();
  const send = (e: RecordingEvent) => actor.send({ ...e, at: clock.now() } as RecordingEvent);
  const state = () => actor.getSnapshot().value as string;
  const ctx = () => actor.getSnapshot().context;
  const result = (op: 'start' | 'stop', ok: boolean, extra: Partial<Extract<RecordingEvent, { type: 'record.result' }>> = {}) =>
    send({ type: 'record.result', op, attempt: ctx().attempt, ok, ...extra });
  return { clock, actor, send, state, ctx, sent, result };
}

describe('recording machine', () => {
  it('sends StartRecord, records once the PU says yes, and stops through StopRecord', () => {
    const t = start();
    expect(t.state()).toBe('starting');
    expect(t.sent).toEqual(['start#1']);
    t.clock.increment(200);
    t.result('start', true);
    expect(t.state()).toBe('recording');
    expect(t.ctx()).toMatchObject({ startedAt: T0 + 200, reason: 'the PU is recording' });
    t.send({ type: 'record.stop', by: 'alice' });
    expect(t.state()).toBe('stopping');
    t.result('stop', true);
    expect(t.state()).toBe('stopped');
    expect(t.sent).toEqual(['start#1', 'stop', 'closed']);
    expect(t.ctx()).toMatchObject({ stoppedBy: 'alice', reason: 'stopped' });
    expect(t.actor.getSnapshot().status).toBe('done');
  });

  it("fails with the device's words when StartRecord is refused", () => {
    const t = start();
    t.result('start', false, { kind: 'err', code: 12, msg: 'bad seg_duration' });
    expect(t.state()).toBe('failed');
    expect(t.ctx().reason).toBe('StartRecord failed: err 12: bad seg_duration');
    expect(t.ctx().lastError).toMatchObject({ op: 'start', kind: 'err', code: 12 });
    t.clock.increment(RECORD_RETRY_MS * 2);
    expect(t.state()).toBe('failed'); // a refusal is not retried on a timer
  });

  it('fails when the PU goes offline, and starts again when it is back online', () => {
    const t = start();
    t.result('start', true);
    t.send({ type: 'pu.offline', reason: 'no message for 3 heartbeat intervals' });
    expect(t.state()).toBe('failed');
    expect(t.ctx().reason).toBe('the PU went offline (no message for 3 heartbeat intervals)');
    t.send({ type: 'pu.online' });
    expect(t.state()).toBe('starting');
    expect(t.sent).toEqual(['start#1', 'start#2']);
    t.result('start', true);
    expect(t.state()).toBe('recording');
  });

  it('sends StartRecord again when a recording PU reconnects (it may have restarted)', () => {
    const t = start();
    t.result('start', true);
    t.send({ type: 'pu.online' });
    expect(t.state()).toBe('starting');
    expect(t.sent.at(-1)).toBe('start#2');
  });

  it('sends StartRecord again when the PU stops reporting the session in Keepalive', () => {
    const t = start();
    t.result('start', true);
    t.send({ type: 'record.resync', reason: 'the PU no longer reports record session S' });
    expect(t.state()).toBe('starting');
    expect(t.ctx().reason).toBe('the PU no longer reports record session S: StartRecord again');
    expect(t.sent.at(-1)).toBe('start#2');
    const u = start();
    u.send({ type: 'record.resync', reason: 'x' }); // only a running recording resyncs
    expect(u.sent).toEqual(['start#1']);
  });

  it("takes only the latest attempt's answer", () => {
    const t = start();
    t.send({ type: 'pu.online' }); // attempt 2 while 1 is in flight
    t.send({ type: 'record.result', op: 'start', attempt: 1, ok: false, kind: 'disconnected', msg: 'gone' });
    expect(t.state()).toBe('starting');
    t.result('start', true);
    expect(t.state()).toBe('recording');
  });

  it('retries after a timeout, and gives up a StartRecord whose answer never comes', () => {
    const t = start();
    t.clock.increment(RECORD_RPC_DEADLINE_MS);
    expect(t.state()).toBe('failed');
    expect(t.ctx().lastError?.kind).toBe('timeout');
    t.clock.increment(RECORD_RETRY_MS);
    expect(t.state()).toBe('starting');
    expect(t.sent).toEqual(['start#1', 'start#2']);
  });

  it('stops from failed and from starting, and ends stopped even when StopRecord fails', () => {
    const a = start();
    a.send({ type: 'pu.offline', reason: 'x' });
    a.send({ type: 'record.stop' });
    expect(a.state()).toBe('stopping');
    a.result('stop', false, { kind: 'offline', msg: 'the device is not connected' });
    expect(a.state()).toBe('stopped');
    expect(a.ctx().reason).toBe('stopped (StopRecord failed: the device is not connected)');
    const b = start();
    b.send({ type: 'record.stop' });
    b.result('start', true); // the old StartRecord answer arrives late
    expect(b.state()).toBe('stopping');
    b.clock.increment(RECORD_RPC_DEADLINE_MS);
    expect(b.state()).toBe('stopped');
    expect(b.ctx().reason).toBe('stopped (StopRecord unanswered)');
  });
});
