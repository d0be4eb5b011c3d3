/** PTZ of the simulated camera (CtrlPTZ, GetPTZPresetList; H.627.2 I.2.17, I.2.18). */
import { describe, expect, it } from 'bun:test';
import { VD_ERR } from '../../protocol/index.ts';
import { PTZ_MAX_DEG_PER_S, PTZ_PAN_RANGE_DEG, PTZ_STEP_RANGE_DEG } from '../../device/camera-ptz.ts';
import { cameraRig } from './camera-harness.ts';

describe('PTZ', () => {
  it('pans right at the given speed until stop', async () => {
    const rig = cameraRig();
    rig.tell('CtrlPTZ', { channel: 0, op: 'right', value: 100 });
    await rig.advance(1_000);
    expect(rig.camera.ptz(0).position().pan).toBeCloseTo(PTZ_MAX_DEG_PER_S);
    rig.tell('CtrlPTZ', { channel: 0, op: 'stop' });
    await rig.advance(5_000);
    expect(rig.camera.ptz(0).position().pan).toBeCloseTo(PTZ_MAX_DEG_PER_S);
    expect(rig.camera.ptz(0).moving).toBe(false);
  });

  it('moves at speed 50 when a move carries no value, and stops at the end of its range', async () => {
    const rig = cameraRig();
    rig.tell('CtrlPTZ', { channel: 0, op: 'upleft' });
    await rig.advance(1_000);
    const p = rig.camera.ptz(0).position();
    expect(p.pan).toBeCloseTo(-PTZ_MAX_DEG_PER_S / 2);
    expect(p.tilt).toBeCloseTo(PTZ_MAX_DEG_PER_S / 2);
    await rig.advance(60_000);
    expect(rig.camera.ptz(0).position().pan).toBe(PTZ_PAN_RANGE_DEG[0]);
  });

  it('takes single steps: 1° at step 0, 10° at step 100', () => {
    const rig = cameraRig();
    rig.tell('CtrlPTZ', { channel: 0, op: 'down_step' });
    expect(rig.camera.ptz(0).position().tilt).toBe(-PTZ_STEP_RANGE_DEG[0]);
    rig.tell('CtrlPTZ', { channel: 0, op: 'left_step', value: 100 });
    expect(rig.camera.ptz(0).position().pan).toBe(-PTZ_STEP_RANGE_DEG[1]);
    rig.tell('CtrlPTZ', { channel: 0, op: 'zoomin_step', value: 100 });
    expect(rig.camera.ptz(0).position().zoom).toBe(2);
  });

  it('sets, lists, goes to and clears presets', async () => {
    const rig = cameraRig();
    rig.tell('CtrlPTZ', { channel: 0, op: 'right_step', value: 100 });
    rig.tell('CtrlPTZ', { channel: 0, op: 'set_preset', value: 7 });
    rig.tell('CtrlPTZ', { channel: 0, op: 'left', value: 100 });
    await rig.advance(2_000);
    rig.tell('CtrlPTZ', { channel: 0, op: 'stop' });
    rig.tell('CtrlPTZ', { channel: 0, op: 'set_preset', value: 2 });
    expect(await rig.ok('GetPTZPresetList', { channel: 0 })).toEqual({ presetList: [{ ptzId: 2 }, { ptzId: 7 }] });
    rig.tell('CtrlPTZ', { channel: 0, op: 'goto_preset', value: 7 });
    expect(rig.camera.ptz(0).position().pan).toBe(10);
    rig.tell('CtrlPTZ', { channel: 0, op: 'clear_preset', value: 2 });
    expect(await rig.ok('GetPTZPresetList', { channel: 0 })).toEqual({ presetList: [{ ptzId: 7 }] });
  });

  it('leaves the head where it is when told to go to an unknown preset', () => {
    const rig = cameraRig();
    rig.tell('CtrlPTZ', { channel: 0, op: 'up_step', value: 100 });
    rig.tell('CtrlPTZ', { channel: 0, op: 'goto_preset', value: 99 });
    expect(rig.camera.ptz(0).position().tilt).toBe(10);
  });

  it('keeps a PTZ head per channel on an NVR', () => {
    const rig = cameraRig({ channels: 3 });
    rig.tell('CtrlPTZ', { channel: 2, op: 'right_step', value: 100 });
    expect(rig.camera.ptz(2).position().pan).toBe(10);
    expect(rig.camera.ptz(0).position().pan).toBe(0);
  });

  it('refuses presets and ignores moves on a camera without PTZ', async () => {
    const rig = cameraRig({ capabilities: { ptz: false } });
    await rig.fails('GetPTZPresetList', { channel: 0 }, VD_ERR.UNSUPPORTED_METHOD);
    expect(rig.tell('CtrlPTZ', { channel: 0, op: 'left' })).toContain('no PTZ');
  });

  it('answers err 102 for the preset list of a channel it does not have', async () => {
    const rig = cameraRig();
    await rig.fails('GetPTZPresetList', { channel: 4 }, VD_ERR.CHANNEL_NOT_FOUND);
    expect(rig.tell('CtrlPTZ', { channel: 4, op: 'left' })).toContain('channel 4 does not exist');
  });

  it('rejects a preset id outside 0–255 with err 400', async () => {
    const rig = cameraRig();
    expect(rig.tell('CtrlPTZ', { channel: 0, op: 'set_preset', value: 256 })).toContain('params.value');
  });
});
