/** The pu's part in detection: which channels' detectors want alarms, and which alarms they are told of. */
import { describe, expect, it } from 'bun:test';
import { detectionSet, tellDetector } from '../../actors/machines/pu.detection.ts';
import type { PuContext, PuEvent } from '../../actors/machines/pu.types.ts';

const ctx = (detectOnAlarm?: number[]) => ({ deviceId: 'CAM', ...(detectOnAlarm ? { detectOnAlarm } : {}) }) as unknown as PuContext;
const alarm = (alarmType: number, state = 'start', channel = 0): PuEvent => ({ type: 'vd.alarm', alarmId: 'a1', channel, alarmType, state, timestamp: 0 });

describe('pu and detectors', () => {
  it('keeps the channels whose detector wants their alarms, sorted, once each', () => {
    let c = ctx();
    c = { ...c, ...detectionSet({ context: c, event: { type: 'detection.set', channel: 2, onAlarm: true } }) };
    c = { ...c, ...detectionSet({ context: c, event: { type: 'detection.set', channel: 0, onAlarm: true } }) };
    c = { ...c, ...detectionSet({ context: c, event: { type: 'detection.set', channel: 2, onAlarm: true } }) };
    expect(c.detectOnAlarm).toEqual([0, 2]);
    c = { ...c, ...detectionSet({ context: c, event: { type: 'detection.set', channel: 0, onAlarm: false } }) };
    expect(c.detectOnAlarm).toEqual([2]);
  });

  it('tells the channel’s detector of motion, PIR and human alarms that start or pulse', () => {
    for (const type of [3, 11, 12]) {
      expect(tellDetector({ context: ctx([0]), event: alarm(type) })).toEqual([
        { type: 'actor.send', params: { to: 'detector:CAM:0', event: { type: 'alarm', alarmId: 'a1', alarmType: type } } },
      ]);
    }
  });

  it('tells no detector of an alarm end, another type, or a channel without alarm-mode detection', () => {
    expect(tellDetector({ context: ctx([0]), event: alarm(3, 'end') })).toEqual([]);
    expect(tellDetector({ context: ctx([0]), event: alarm(8) })).toEqual([]);
    expect(tellDetector({ context: ctx([1]), event: alarm(3) })).toEqual([]);
    expect(tellDetector({ context: ctx(), event: alarm(3) })).toEqual([]);
  });
});
