/** The detector machine (one per device channel) on XState's SimulatedClock. */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import type { ActorSendParams } from '../../actors/host/tell.ts';
import { DETECT_COOLDOWN_MS, DETECT_DEFAULTS, DETECT_TIMEOUT_MS, FEED_RETRY_MS, detectorMachine } from '../../actors/machines/detector.machine.ts';
import type { DetectConfig, DetectorEvent } from '../../actors/machines/detector.types.ts';

const ON_ALARM: DetectConfig = { ...DETECT_DEFAULTS, mode: 'alarm', classes: ['person', 'vehicle'], minScore: 0.4 };

function start(snapshot?: unknown) {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const effects: Array<[string, unknown]> = [];
  const told: ActorSendParams[] = [];
  const machine = detectorMachine.provide({
    actions: {
      'actor.send': (_, p) => {
        told.push(p);
      },
      'detect.run': (_, p) => {
        effects.push(['run', p]);
      },
      'detect.feed': (_, p) => {
        effects.push(['feed', p]);
      },
    },
  });
  const input = { deviceId: 'CAM', channel: 0 };
  const actor = createActor(machine, snapshot ? { snapshot: snapshot as never, input, clock } : { input, clock });
  actor.start();
  const send = (e: DetectorEvent) => actor.send({ ...e, at: clock.now() } as DetectorEvent);
  const state = () => JSON.stringify(actor.getSnapshot().value);
  return { clock, actor, send, state, effects, told, ctx: () => actor.getSnapshot().context };
}

function armed() {
  const t = start();
  t.send({ type: 'detect.configure', config: ON_ALARM, by: 'alice' });
  t.effects.length = 0;
  t.told.length = 0;
  return t;
}

describe('detector machine', () => {
  it('starts off, and ignores alarms while off', () => {
    const t = start();
    expect(t.state()).toBe('"off"');
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    expect(t.state()).toBe('"off"');
    expect(t.effects).toEqual([]);
  });

  it('arms on an alarm-mode setting and tells the pu it wants the channel’s alarms', () => {
    const t = start();
    t.send({ type: 'detect.configure', config: ON_ALARM, by: 'alice' });
    expect(t.state()).toBe('{"armed":"waitingForAlarm"}');
    expect(t.ctx()).toMatchObject({ config: ON_ALARM, setBy: 'alice', reason: 'detection set' });
    expect(t.told).toEqual([{ to: 'pu:CAM', event: { type: 'detection.set', channel: 0, onAlarm: true } }]);
  });

  it('detects on a motion alarm with its setting, then cools down and re-arms', () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    expect(t.state()).toBe('"detecting"');
    expect(t.effects).toEqual([['run', { deviceId: 'CAM', channel: 0, attempt: 1, alarmId: 'a1', classes: ['person', 'vehicle'], minScore: 0.4, zones: [] }]]);
    t.send({ type: 'detect.result', attempt: 1, ok: true, eventId: 'e1', classes: ['person'] });
    expect(t.state()).toBe('"coolingDown"');
    expect(t.ctx().last).toMatchObject({ alarmId: 'a1', eventId: 'e1', classes: ['person'] });
    t.clock.increment(DETECT_COOLDOWN_MS);
    expect(t.state()).toBe('{"armed":"waitingForAlarm"}');
  });

  it('runs once more for the latest alarm that came while detecting or cooling down', () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.send({ type: 'alarm', alarmId: 'a2', alarmType: 3 });
    t.send({ type: 'detect.result', attempt: 1, ok: true, eventId: 'e1', classes: [] });
    t.send({ type: 'alarm', alarmId: 'a3', alarmType: 12 });
    expect(t.effects).toHaveLength(1);
    t.clock.increment(DETECT_COOLDOWN_MS);
    expect(t.state()).toBe('"detecting"');
    expect(t.effects.at(-1)).toEqual(['run', expect.objectContaining({ attempt: 2, alarmId: 'a3' })]);
  });

  it('fails with the reason when a run fails, and detects again on the next alarm', () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.send({ type: 'detect.result', attempt: 1, ok: false, reason: 'Snapshot failed: timeout' });
    expect(t.state()).toBe('"failed"');
    expect(t.ctx().failure?.reason).toBe('detection failed: Snapshot failed: timeout');
    t.send({ type: 'alarm', alarmId: 'a2', alarmType: 3 });
    expect(t.state()).toBe('"detecting"');
    t.send({ type: 'detect.result', attempt: 2, ok: true, eventId: 'e2', classes: [] });
    expect(t.ctx().failure).toBeUndefined();
  });

  it('fails when no result comes within the timeout, and ignores a late failure', () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.clock.increment(DETECT_TIMEOUT_MS);
    expect(t.state()).toBe('"failed"');
    expect(t.ctx().reason).toBe(`no detection result within ${DETECT_TIMEOUT_MS / 1000} s`);
    t.send({ type: 'detect.result', attempt: 1, ok: false, reason: 'late' });
    expect(t.state()).toBe('"failed"');
    expect(t.ctx().last).toBeUndefined();
  });

  it('takes only the latest run’s result', () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.send({ type: 'detect.result', attempt: 7, ok: false, reason: 'stale' });
    expect(t.state()).toBe('"detecting"');
  });

  it('starts the frame feed in continuous mode, stops it when turned off, and fails when the feed does', () => {
    const t = start();
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'continuous', fps: 2 } });
    expect(t.effects).toEqual([['feed', { deviceId: 'CAM', channel: 0, on: true, fps: 2 }]]);
    expect(t.told.at(-1)?.event).toMatchObject({ onAlarm: false });
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    expect(t.state()).toBe('{"armed":"watching"}');
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'off' } });
    expect(t.state()).toBe('"off"');
    expect(t.effects.at(-1)).toEqual(['feed', { deviceId: 'CAM', channel: 0, on: false, fps: 2 }]);
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'continuous' } });
    t.send({ type: 'detect.feed.failed', reason: 'no live stream' });
    expect(t.state()).toBe('"failed"');
    expect(t.ctx().reason).toBe('the frame feed failed: no live stream');
  });

  it('keeps the classes present from the presences’ starts and ends, also an end that comes once the feed stopped', () => {
    const t = start();
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'continuous' } });
    t.send({ type: 'detect.presence', kind: 'start', class: 'person', eventId: 'e1', score: 0.6 });
    t.send({ type: 'detect.presence', kind: 'start', class: 'dog', eventId: 'e2', score: 0.5 });
    expect(t.ctx().present).toEqual({ person: 'e1', dog: 'e2' });
    t.send({ type: 'detect.presence', kind: 'end', class: 'dog', eventId: 'e2', score: 0.5 });
    expect(t.ctx().present).toEqual({ person: 'e1' });
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'off' } });
    expect(t.ctx().present).toBeUndefined();
    t.send({ type: 'detect.presence', kind: 'end', class: 'person', eventId: 'e1', score: 0.7 });
    expect(t.state()).toBe('"off"');
    expect(t.ctx().present).toEqual({});
  });

  it('tries a failed feed again after FEED_RETRY_MS in continuous mode only', () => {
    const t = start();
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'continuous' } });
    t.send({ type: 'detect.feed.failed', reason: 'the live stream ended: the camera went offline' });
    t.effects.length = 0;
    t.clock.increment(FEED_RETRY_MS - 1);
    expect(t.state()).toBe('"failed"');
    t.clock.increment(1);
    expect(t.state()).toBe('{"armed":"watching"}');
    expect(t.effects).toEqual([['feed', { deviceId: 'CAM', channel: 0, on: true, fps: 1 }]]);
    const a = armed();
    a.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    a.send({ type: 'detect.result', attempt: 1, ok: false, reason: 'Snapshot failed' });
    a.clock.increment(FEED_RETRY_MS);
    expect(a.state()).toBe('"failed"');
  });

  it('starts the feed again when the platform restarted while watching', () => {
    const t = start();
    t.send({ type: 'detect.configure', config: { ...ON_ALARM, mode: 'continuous' } });
    t.send({ type: 'detect.presence', kind: 'start', class: 'person', eventId: 'e1', score: 0.6 });
    t.effects.length = 0;
    t.send({ type: 'platform.restarted' });
    expect(t.state()).toBe('{"armed":"watching"}');
    expect(t.effects.map(([, p]) => (p as { on: boolean }).on)).toEqual([false, true]);
    expect(t.ctx().present).toBeUndefined();
  });

  it('survives persist → JSON → restore while cooling down (the host re-arms its timer)', () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.send({ type: 'detect.result', attempt: 1, ok: true, eventId: 'e1', classes: ['person'] });
    const saved = JSON.parse(JSON.stringify(t.actor.getPersistedSnapshot()));
    const r = start(saved);
    expect(r.state()).toBe('"coolingDown"');
    expect(r.ctx()).toMatchObject({ attempt: 1, last: { eventId: 'e1' }, config: ON_ALARM });
  });

  it("tells the device's mqtt actor a result that found something (a pulse with its classes), and nothing of one that found nothing", () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.send({ type: 'detect.result', attempt: 1, ok: true, eventId: 'e1', classes: ['person'], topScore: 0.7, picture: true, alarmId: 'a1' });
    const mqtt = t.told.filter((p) => p.to === 'mqtt:CAM');
    expect(mqtt).toHaveLength(1);
    expect(mqtt[0]!.event).toEqual({
      type: 'mqtt.detection',
      channel: 0,
      detectionId: 'e1',
      classes: ['person'],
      topScore: 0.7,
      state: 'pulse',
      time: t.clock.now(),
      picture: true,
    });
    expect(mqtt[0]!.create).toMatchObject({ type: 'mqtt', deviceId: 'CAM' });
    t.clock.increment(DETECT_COOLDOWN_MS);
    t.send({ type: 'alarm', alarmId: 'a2', alarmType: 3 });
    t.send({ type: 'detect.result', attempt: 2, ok: true, eventId: 'e2', classes: [] });
    expect(t.told.filter((p) => p.to === 'mqtt:CAM')).toHaveLength(1);
  });

  it('goes off for good when its device is deprovisioned: the pu told, alarms ignored, a new setting re-arms it', () => {
    const t = armed();
    t.send({ type: 'device.deprovisioned' });
    expect(t.state()).toBe('"deprovisioned"');
    expect(t.ctx()).toMatchObject({ config: DETECT_DEFAULTS, reason: 'the device was deprovisioned' });
    expect(t.told).toEqual([{ to: 'pu:CAM', event: { type: 'detection.set', channel: 0, onAlarm: false } }]);
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    expect(t.state()).toBe('"deprovisioned"');
    expect(t.effects).toEqual([]);
    t.send({ type: 'detect.configure', config: ON_ALARM, by: 'alice' });
    expect(t.state()).toBe('{"armed":"waitingForAlarm"}');
  });

  it("takes the latest run's result after its timeout (its event exists), and publishes it", () => {
    const t = armed();
    t.send({ type: 'alarm', alarmId: 'a1', alarmType: 3 });
    t.clock.increment(DETECT_TIMEOUT_MS);
    expect(t.state()).toBe('"failed"');
    t.send({ type: 'detect.result', attempt: 1, ok: true, eventId: 'e1', classes: ['person'], topScore: 0.6, picture: true });
    expect(t.state()).toBe('"coolingDown"');
    expect(t.ctx()).toMatchObject({ last: { eventId: 'e1' }, reason: 'a late detection result' });
    expect(t.told.filter((p) => p.to === 'mqtt:CAM')).toHaveLength(1);
  });
});
