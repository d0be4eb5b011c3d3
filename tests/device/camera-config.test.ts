/** Configuration of the simulated camera (GetConfig, SetConfig, ResetConfig; H.627.2 I.2.19–I.2.21, NOTES 10). */
import { describe, expect, it } from 'bun:test';
import { VD_ERR } from '../../protocol/index.ts';
import { QUALITY_PRESETS } from '../../device/camera-config.ts';
import { cameraRig } from './camera-harness.ts';

type Doc = { channls: Record<string, Record<string, any>>; led?: boolean; tz: number; log_level: number; auto_reboot?: unknown; extension: object };

describe('configuration', () => {
  it('answers GetConfig with an OVC-shaped document, one entry per channel', async () => {
    const rig = cameraRig({ channels: 2 });
    const doc = await rig.ok<Doc>('GetConfig');
    expect(Object.keys(doc.channls)).toEqual(['0', '1']);
    expect(doc.channls['0']).toMatchObject({
      on: true,
      video_encoding: { encoder: 'h264', quality: 'hd', width: 1280, height: 720 },
      audio_encoding: { encoder: 'aac' },
      image: { horflip: false, verflip: false },
      alarms: { motion: { on: true, sensitivity: 50 }, body: { on: true }, voice: { on: true } },
      osd: { text: '', font: 1, pos: 'top-left' },
    });
    expect(doc).toMatchObject({ log_level: 2, tz: 8, led: true, extension: {} });
  });

  it('builds the document from the capabilities: no led, no alarms it cannot detect', async () => {
    const rig = cameraRig({ capabilities: { led: false, audio_out: false, alarms: { motion: false, body: false, voice: false, cry: true } } });
    const doc = await rig.ok<Doc>('GetConfig');
    expect('led' in doc).toBe(false);
    expect(doc.channls['0']!['alarms']).toEqual({ cry: { on: true, sensitivity: 50 } });
    expect('audio_out_volume' in doc.channls['0']!).toBe(false);
  });

  it('merges SetConfig field by field and answers the resulting document', async () => {
    const rig = cameraRig();
    const doc = await rig.ok<Doc>('SetConfig', { led: false, channls: { '0': { image: { horflip: true }, alarms: { motion: { sensitivity: 80 } } } } });
    expect(doc.led).toBe(false);
    expect(doc.channls['0']!['image']).toEqual({ horflip: true, verflip: false });
    expect(doc.channls['0']!['alarms'].motion).toEqual({ on: true, sensitivity: 80 });
    expect(await rig.ok('GetConfig')).toEqual(doc);
  });

  it('changes the picture size with the quality level', async () => {
    const rig = cameraRig();
    const doc = await rig.ok<Doc>('SetConfig', { channls: { '0': { video_encoding: { quality: 'ld' } } } });
    expect(doc.channls['0']!['video_encoding']).toMatchObject({ quality: 'ld', ...QUALITY_PRESETS.ld });
    expect(rig.camera.config.pictureSize(0)).toEqual({ width: 640, height: 360 });
  });

  it('answers err 13 for a field the device does not have, and changes nothing', async () => {
    const rig = cameraRig({ capabilities: { led: false } });
    expect(await rig.fails('SetConfig', { led: true }, VD_ERR.UNSUPPORTED_CONFIG)).toContain('led');
    expect(await rig.fails('SetConfig', { log_level: 1, channls: { '0': { ir_cut: true } } }, VD_ERR.UNSUPPORTED_CONFIG)).toContain('channls.0.ir_cut');
    expect((await rig.ok<Doc>('GetConfig')).log_level).toBe(2);
  });

  it('answers err 13 for a read-only field changed, and accepts it repeated unchanged', async () => {
    const rig = cameraRig();
    expect(await rig.fails('SetConfig', { channls: { '0': { video_encoding: { fps: 60 } } } }, VD_ERR.UNSUPPORTED_CONFIG)).toContain('read-only');
    await rig.ok('SetConfig', { channls: { '0': { video_encoding: { fps: 25 } } } });
  });

  it('answers err 13 for an encoder the camera does not have', async () => {
    const rig = cameraRig();
    expect(await rig.fails('SetConfig', { channls: { '0': { video_encoding: { encoder: 'h265' } } } }, VD_ERR.UNSUPPORTED_CONFIG)).toContain('h265');
  });

  it('answers err 102 for a channel the device does not have', async () => {
    const rig = cameraRig();
    expect(await rig.fails('SetConfig', { channls: { '3': { on: false } } }, VD_ERR.CHANNEL_NOT_FOUND)).toContain('channel 3');
  });

  it('answers err 400 naming the field for a value of the wrong type', async () => {
    const rig = cameraRig();
    expect(await rig.fails('SetConfig', { extension: 5 }, VD_ERR.BAD_INPUT)).toContain('params.extension');
    expect(await rig.fails('SetConfig', { channls: { '0': { image: { horflip: 'yes' } } } }, VD_ERR.BAD_INPUT)).toContain('params.channls');
    expect(await rig.fails('SetConfig', { log_level: 9 }, VD_ERR.BAD_INPUT)).toContain('params.log_level');
  });

  it('keeps vendor extensions open', async () => {
    const rig = cameraRig();
    const doc = await rig.ok<Doc>('SetConfig', { extension: { night_mode: 'auto' } });
    expect(doc.extension).toEqual({ night_mode: 'auto' });
  });

  it('switches a channel off: Keepalive reports it disabled (4)', async () => {
    const rig = cameraRig({ channels: 2 });
    await rig.ok('SetConfig', { channls: { '1': { on: false } } });
    expect(rig.camera.keepalive().channels.map((c) => c.state)).toEqual([1, 4]);
  });

  it('sets the device time zone through tz', async () => {
    const rig = cameraRig();
    await rig.ok('SetConfig', { tz: -5 });
    expect(await rig.ok('QueryTime')).toEqual({ datetime: '2026-01-01T07:00:00', tz: -5 });
  });

  it('restores the factory document on ResetConfig', async () => {
    const rig = cameraRig();
    const factory = await rig.ok('GetConfig');
    await rig.ok('SetConfig', { led: false, tz: 1, channls: { '0': { osd: { text: 'garden' } } } });
    expect(await rig.ok('ResetConfig')).toEqual({});
    expect(await rig.ok('GetConfig')).toEqual(factory);
  });
});
