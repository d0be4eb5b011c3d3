import { describe, expect, it } from 'bun:test';
import {
  ALARM_TYPE_MAX,
  ALARM_TYPE_MIN,
  ALARM_TYPES,
  alarmFlagMask,
  alarmTypesInFlags,
  alarmTypeValues,
  BACKOFF_FLAT_S,
  BACKOFF_LINEAR_MAX_TRIES,
  BACKOFF_STEP_S,
  CHANNEL_STATE,
  DEVICE_STATE,
  DISK_STATE,
  HB_INTERVAL_DEFAULT_S,
  OFFLINE_AFTER_HB_INTERVALS,
  RESCHEDULE_AFTER_FAILED_TRIES,
  RPC_TIMEOUT_S,
  TIME_SYNC_THRESHOLD_S,
  VD_ERR,
} from '../../protocol/index.ts';

describe('spec numbers', () => {
  it('match 9.3.1: sync threshold 10 s, backoff 5·N s up to 12 tries then 60 s, re-schedule after 15 failures', () => {
    expect([TIME_SYNC_THRESHOLD_S, BACKOFF_STEP_S, BACKOFF_LINEAR_MAX_TRIES, BACKOFF_FLAT_S, RESCHEDULE_AFTER_FAILED_TRIES]).toEqual([10, 5, 12, 60, 15]);
  });

  it('make a PU with the default 10 s heartbeat offline after 30 s', () => {
    expect(HB_INTERVAL_DEFAULT_S * OFFLINE_AFTER_HB_INTERVALS).toBe(30);
  });

  it('time an RPC out after 20 s', () => {
    expect(RPC_TIMEOUT_S).toBe(20);
  });

  it('name the Vd error codes of 9.3.2.1 and OVC', () => {
    expect(Object.values(VD_ERR).sort((a, b) => a - b)).toEqual([1, 11, 12, 13, 101, 102, 103, 400, 500]);
  });

  it('name the device, channel and disk states (2 is no channel state)', () => {
    expect(DEVICE_STATE).toEqual({ online: 1, upgrading: 2, error: 3 });
    expect(Object.values(CHANNEL_STATE)).toEqual([0, 1, 3, 4]);
    expect(Object.values(DISK_STATE)).toEqual([0, 1, 2, 3]);
  });
});

describe('alarm types', () => {
  it('cover type values 2 to 12 with a name and a kind', () => {
    expect(alarmTypeValues() as number[]).toEqual(Array.from({ length: ALARM_TYPE_MAX - ALARM_TYPE_MIN + 1 }, (_, i) => ALARM_TYPE_MIN + i));
  });

  it('report tripwire, low power, lock picking and bell ring as single (pulse) alarms, the rest as state alarms', () => {
    const single = alarmTypeValues().filter((type) => ALARM_TYPES[type].kind === 'single');
    expect(single.map((type) => ALARM_TYPES[type].name)).toEqual(['tripwire', 'low_power', 'lock_picking', 'bell_ring']);
  });

  it('map alarm type t to Keepalive flag bit 1 << t, counting bits from 0', () => {
    expect(alarmFlagMask(2)).toBe(0b100);
    expect(alarmFlagMask(3)).toBe(8);
    expect(alarmFlagMask(12)).toBe(4096);
  });

  it('read the alarm types back out of a flags value, ignoring unassigned bits', () => {
    expect(alarmTypesInFlags(alarmFlagMask(3) | alarmFlagMask(10) | 0b11)).toEqual([3, 10]);
    expect(alarmTypesInFlags(0)).toEqual([]);
  });
});
