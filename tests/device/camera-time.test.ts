/** The device clock (Settime, QueryTime; H.627.2 I.2.9, I.2.10, NOTES 6). T0 is 2026-01-01T12:00:00Z. */
import { describe, expect, it } from 'bun:test';
import { cameraRig } from './camera-harness.ts';

describe('device clock', () => {
  it('answers QueryTime with local time in its zone (+8 by default)', async () => {
    const rig = cameraRig();
    expect(await rig.ok('QueryTime')).toEqual({ datetime: '2026-01-01T20:00:00', tz: 8 });
  });

  it('sets the clock when it is further than offset from the given time', async () => {
    const rig = cameraRig();
    expect(await rig.ok('Settime', { datetime: '2026-01-01T20:05:00', tz: 8, offset: 60 })).toEqual({});
    expect(await rig.ok('QueryTime')).toEqual({ datetime: '2026-01-01T20:05:00', tz: 8 });
    expect(rig.camera.time.skewMs).toBe(300_000);
  });

  it('keeps the clock when it is within offset of the given time', async () => {
    const rig = cameraRig();
    await rig.ok('Settime', { datetime: '2026-01-01T20:00:30', tz: 8, offset: 30 });
    expect(rig.camera.time.skewMs).toBe(0);
    await rig.ok('Settime', { datetime: '2026-01-01T20:00:31', tz: 8, offset: 30 });
    expect(rig.camera.time.skewMs).toBe(31_000);
  });

  it('reads datetime in the given zone and takes that zone', async () => {
    const rig = cameraRig();
    await rig.ok('Settime', { datetime: '2026-01-01T12:00:00', tz: 0, offset: 0 });
    expect(rig.camera.time.skewMs).toBe(0); // the same instant written in UTC
    expect(await rig.ok('QueryTime')).toEqual({ datetime: '2026-01-01T12:00:00', tz: 0 });
  });

  it('reads datetime as +8 when Settime carries no tz, and keeps its own zone', async () => {
    const rig = cameraRig({ tz: 1 });
    await rig.ok('Settime', { datetime: '2026-01-01T21:00:00', offset: 0 });
    expect(rig.camera.time.skewMs).toBe(3_600_000);
    expect(await rig.ok('QueryTime')).toEqual({ datetime: '2026-01-01T14:00:00', tz: 1 });
  });

  it('keeps time running after a set', async () => {
    const rig = cameraRig();
    await rig.ok('Settime', { datetime: '2027-06-30T23:59:50', tz: 8, offset: 0 });
    await rig.advance(15_000);
    expect(await rig.ok('QueryTime')).toEqual({ datetime: '2027-07-01T00:00:05', tz: 8 });
  });
});
