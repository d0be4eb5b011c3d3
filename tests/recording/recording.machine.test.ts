/** The recording machine's lifecycle on a simulated clock (H.627.2 I.2.14, I.2.15; docs/recording.md). */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import {
  RECORD_RETRY_MS,
  RECORD_RPC_DEADLINE_MS,
  recordingMachine,
  STOPPED_ASLEEP_REASON,
  type RecordingEvent,
} from '../../actors/machines/recording.machine.ts';
import { keepAwakeEveryMs } from '../../actors/machines/keep-awake.ts';

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
      'recording.keepAwake': (_, p) => {
        sent.push(`keepAwake:${(p as { expiredS: number }).expiredS}@${clock.now() - T0}`);
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

describe('recording machine: a camera that sleeps (issue #22 point 3)', () => {
  const KEEP_AWAKE_S = 60;
  const WAKING = 'the PU is asleep: TOWAKEUP sent, waiting for its login';

  it('waits while its PU is woken, then sends StartRecord once it logs in', () => {
    const t = start();
    t.result('start', false, { kind: 'offline', msg: 'the device is not connected' }); // StartRecord to the sleeping camera
    expect(t.state()).toBe('failed');
    t.send({ type: 'pu.waking', reason: WAKING });
    expect(t.state()).toBe('waking');
    expect(t.ctx().reason).toBe(WAKING);
    t.clock.increment(2500);
    t.send({ type: 'pu.online' });
    expect(t.state()).toBe('starting');
    expect(t.ctx().reason).toBe('the PU woke and logged in: StartRecord');
    expect(t.sent).toEqual(['start#1', 'start#2']);
    t.result('start', true);
    expect(t.state()).toBe('recording');
  });

  it('waits from starting too, ignoring the answer to the StartRecord that went before the wake', () => {
    const t = start();
    t.send({ type: 'pu.waking', reason: WAKING });
    expect(t.state()).toBe('waking');
    t.result('start', false, { kind: 'disconnected', msg: 'the device is not connected' });
    expect(t.state()).toBe('waking');
  });

  it('fails with the wake as its reason when the PU does not wake, and starts when it comes later', () => {
    const t = start();
    t.send({ type: 'pu.waking', reason: WAKING });
    t.clock.increment(20_000);
    t.send({ type: 'pu.offline', reason: 'did not wake within 20 s of TOWAKEUP: asleep' });
    expect(t.state()).toBe('failed');
    expect(t.ctx().reason).toBe('the PU did not wake: did not wake within 20 s of TOWAKEUP: asleep');
    expect(t.ctx().lastError).toMatchObject({ kind: 'asleep', op: 'start', at: T0 + 20_000 });
    t.send({ type: 'pu.online' });
    expect(t.state()).toBe('starting');
  });

  it('waits again when its PU fell asleep while it recorded and is woken, and records once it logs in', () => {
    const t = start();
    t.send({ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S });
    t.result('start', true);
    t.send({ type: 'pu.offline', reason: 'fell asleep with a record session open: TOWAKEUP sent, waiting for its login' });
    expect(t.state()).toBe('failed');
    t.send({ type: 'pu.waking', reason: WAKING });
    expect(t.state()).toBe('waking');
    const sent = t.sent.length;
    t.clock.increment(keepAwakeEveryMs(KEEP_AWAKE_S) * 2);
    expect(t.sent.length).toBe(sent); // no KeepAwaken while it is not recording
    t.send({ type: 'pu.online' });
    expect(t.state()).toBe('starting');
    expect(t.sent.at(-1)).toBe('start#2');
  });

  it('stops at once when asked to stop before its PU woke (nothing runs on the camera)', () => {
    const t = start();
    t.send({ type: 'pu.waking', reason: WAKING });
    t.send({ type: 'record.stop', by: 'alice' });
    expect(t.state()).toBe('stopped');
    expect(t.ctx()).toMatchObject({ reason: STOPPED_ASLEEP_REASON, stoppedBy: 'alice' });
    expect(t.sent).toEqual(['start#1', 'closed']);
  });

  it('sends KeepAwaken while it records on a camera that may sleep, every half `expired`, and not after it stops', () => {
    const t = start();
    t.send({ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S });
    expect(t.sent).toEqual(['start#1']); // not before the camera records
    t.result('start', true);
    const every = keepAwakeEveryMs(KEEP_AWAKE_S);
    for (let i = 0; i < 3; i++) t.clock.increment(every);
    expect(t.sent.filter((s) => s.startsWith('keepAwake'))).toEqual([0, 1, 2, 3].map((i) => `keepAwake:${KEEP_AWAKE_S}@${i * every}`));
    t.send({ type: 'record.stop' });
    t.clock.increment(every * 2);
    expect(t.sent.filter((s) => s.startsWith('keepAwake')).length).toBe(4);
  });

  it('starts KeepAwaken when told while it already records, and sends none for a camera that does not sleep', () => {
    const t = start();
    t.result('start', true);
    t.clock.increment(keepAwakeEveryMs(KEEP_AWAKE_S) * 2);
    expect(t.sent).toEqual(['start#1']);
    t.send({ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S });
    t.clock.increment(keepAwakeEveryMs(KEEP_AWAKE_S));
    const t0 = keepAwakeEveryMs(KEEP_AWAKE_S) * 2;
    expect(t.sent.slice(1)).toEqual([`keepAwake:60@${t0}`, `keepAwake:60@${t0 + keepAwakeEveryMs(KEEP_AWAKE_S)}`]);
  });
});
