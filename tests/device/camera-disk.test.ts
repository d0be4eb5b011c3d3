/** The SD card (GetDiskInfo, FormatDisk; H.627.2 I.2.31, I.2.32, NOTES 12). */
import { describe, expect, it } from 'bun:test';
import { DISK_STATE, VD_ERR } from '../../protocol/index.ts';
import { cameraRig } from './camera-harness.ts';

describe('SD card', () => {
  it('reports a normal card with its sizes in MB', async () => {
    const rig = cameraRig({ disk: { totalMb: 1000, freeMb: 250 } });
    expect(await rig.ok('GetDiskInfo')).toEqual({ state: DISK_STATE.normal, total: 1000, free: 250 });
  });

  it('answers FormatDisk at once, reports state 3 while formatting, then an empty card', async () => {
    const rig = cameraRig({ disk: { totalMb: 1000, freeMb: 250, formatMs: 4_000 } });
    expect(await rig.ok('FormatDisk')).toEqual({});
    expect(await rig.ok('GetDiskInfo')).toMatchObject({ state: DISK_STATE.formatting });
    await rig.advance(3_999);
    expect(await rig.ok('GetDiskInfo')).toMatchObject({ state: DISK_STATE.formatting });
    await rig.advance(1);
    expect(await rig.ok('GetDiskInfo')).toEqual({ state: DISK_STATE.normal, total: 1000, free: 1000 });
  });

  it('accepts a second FormatDisk while formatting', async () => {
    const rig = cameraRig();
    await rig.ok('FormatDisk');
    expect(await rig.ok('FormatDisk')).toEqual({});
  });

  it('reports only the state without a card, and refuses to format it', async () => {
    const rig = cameraRig({ disk: { state: 'no_card' } });
    expect(await rig.ok('GetDiskInfo')).toEqual({ state: DISK_STATE.no_card });
    expect(await rig.fails('FormatDisk', undefined, VD_ERR.SERVER_ERROR)).toContain('no SD card');
  });

  it('formats a card it could not read', async () => {
    const rig = cameraRig({ disk: { state: 'exception', formatMs: 10 } });
    expect(await rig.ok('GetDiskInfo')).toEqual({ state: DISK_STATE.exception });
    await rig.ok('FormatDisk');
    await rig.advance(10);
    expect(await rig.ok('GetDiskInfo')).toMatchObject({ state: DISK_STATE.normal });
  });
});
