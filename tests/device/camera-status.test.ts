/**
 * Status of the simulated camera: DevStatus, GetCap, KeepAwaken, RebootChannel, Keepalive params,
 * battery and Bind (H.627.2 I.2.1, I.2.3, I.2.4, I.2.11, I.2.26–I.2.28; NOTES 2, 5, 9).
 */
import { describe, expect, it } from 'bun:test';
import { alarmFlagMask, CHANNEL_STATE, KeepaliveParams, VD_ERR, validateVdParams } from '../../protocol/index.ts';
import { cameraRig } from './camera-harness.ts';

describe('device status', () => {
  it('answers DevStatus with every field of I.2.11', async () => {
    const rig = cameraRig({ hardwareModel: 'HW-9', firmwareModel: '1.2.3', capabilities: { battery: true } });
    expect(await rig.ok('DevStatus')).toEqual({
      dev_id: 'cam-1',
      hardware_model: 'HW-9',
      firmware_model: '1.2.3',
      last_upgrade_datetime: '2025-01-01T00:00:00',
      wifi_ssid: 'h627-lab',
      wifi_signal: 78,
      up_bandwidth: 4_000_000,
      down_bandwidth: 20_000_000,
      ip_addr: '192.168.228.247',
      mac_addr: 'A0:B1:C2:D3:E4:F5',
      battery: 100,
    });
  });

  it('leaves battery out of DevStatus on a mains-powered camera', async () => {
    const rig = cameraRig();
    expect('battery' in (await rig.ok('DevStatus'))).toBe(false);
  });

  it('answers GetCap with the full OVC capability set, overrides applied', async () => {
    const rig = cameraRig({ capabilities: { ptz: false, battery: true, alarms: { cry: true } } });
    expect(await rig.ok('GetCap')).toEqual({
      ptz: false,
      battery: true,
      media_protocol: 'srt',
      audio_out: true,
      voice_out: false,
      cloud_record: false,
      trace: false,
      alarms: { io: false, face: false, cry: true, voice: true, motion: true, body: true, cross: false },
      https: true,
      video_encrypt: false,
      switch: true,
      led: true,
      auto_reboot: false,
    });
  });

  it('uploads only to http URLs when its GetCap says no https, and to either with https', async () => {
    const plain = cameraRig({ capabilities: { https: false } });
    expect((await plain.ok('GetCap')).https).toBe(false);
    expect(await plain.fails('Snapshot', { channel: 0, url: 'https://p.test/upload/s1' }, VD_ERR.SERVER_ERROR)).toContain('no https');
    expect(plain.http).toEqual([]); // nothing left the camera
    expect(await plain.ok('Snapshot', { channel: 0, url: 'http://p.test/upload/s2' })).toEqual({});
    expect(plain.http.map((r) => r.url)).toEqual(['http://p.test/upload/s2']);
    const secure = cameraRig();
    expect(await secure.ok('Snapshot', { channel: 0, url: 'https://p.test/upload/s3' })).toEqual({});
  });

  it('keeps a channel awake for at least the time asked', async () => {
    const rig = cameraRig();
    expect(await rig.ok('KeepAwaken', { channel: 0, expired: 120 })).toEqual({});
    expect(rig.camera.awakeUntil(0)).toBe(rig.clock.now() + 120_000);
    await rig.ok('KeepAwaken', { channel: 0, expired: 10 });
    expect(rig.camera.awakeUntil(0)).toBe(rig.clock.now() + 120_000); // a shorter ask does not cut it
  });

  it('takes a channel offline for a moment on RebootChannel', async () => {
    const rig = cameraRig({ channels: 2, timings: { channelRebootMs: 2_000 } });
    expect(rig.tell('RebootChannel', { channel: 1 })).toBeUndefined();
    expect(rig.camera.keepalive().channels.map((c) => c.state)).toEqual([CHANNEL_STATE.online, CHANNEL_STATE.offline]);
    await rig.advance(2_000);
    expect(rig.camera.keepalive().channels.map((c) => c.state)).toEqual([CHANNEL_STATE.online, CHANNEL_STATE.online]);
    expect(rig.tell('RebootChannel', { channel: 9 })).toContain('channel 9 does not exist');
  });

  it('reports every channel of an NVR in Keepalive, numbered from 0, valid against the catalog', () => {
    const rig = cameraRig({ channels: 4 });
    const params = rig.camera.keepalive();
    expect(params.channels.map((c) => c.channel)).toEqual([0, 1, 2, 3]);
    expect(params).toMatchObject({ mac_id: 'a0b1c2d3e4f5', state: 1 });
    expect(validateVdParams('Keepalive', params).ok).toBe(true);
    expect(KeepaliveParams.safeParse(params).success).toBe(true);
  });

  it('reports alarm flags as bit 1 << type while a state alarm lasts', async () => {
    const rig = cameraRig();
    rig.online();
    await rig.camera.raiseAlarm(3);
    await rig.camera.raiseAlarm(11, 'start');
    expect(rig.camera.keepalive().channels[0]?.alarm).toBe(alarmFlagMask(3) | alarmFlagMask(11));
    await rig.camera.raiseAlarm(3, 'end');
    expect(rig.camera.keepalive().channels[0]?.alarm).toBe(alarmFlagMask(11));
    await rig.camera.raiseAlarm(10); // bell ring: a pulse leaves no flag
    expect(rig.camera.keepalive().channels[0]?.alarm).toBe(alarmFlagMask(11));
  });
});

describe('battery', () => {
  it('drains, and sends BatteryChange when the level moved by the report step', async () => {
    const rig = cameraRig({ capabilities: { battery: true }, battery: { level: 50, drainPctPerMin: 1, reportStepPct: 5, lowPct: 10 } });
    rig.online();
    expect(rig.uplinkSent).toEqual([{ kind: 'event', name: 'BatteryChange', params: { battery: 50 } }]); // reported on connect
    for (let minute = 1; minute <= 4; minute++) await rig.advance(60_000); // SimulatedClock re-arms a tick from the new now: step by step
    expect(rig.camera.battery!.level).toBe(46);
    expect(rig.uplinkSent.length).toBe(1);
    await rig.advance(60_000);
    expect(rig.uplinkSent.at(-1)).toEqual({ kind: 'event', name: 'BatteryChange', params: { battery: 45 } });
    expect((await rig.ok('DevStatus'))['battery']).toBe(45);
  });

  it('drains at the asleep rate while asleep and at the awake rate once awake, keeping what was drained', async () => {
    const battery = { level: 50, drainPctPerMin: 1, drainAsleepPctPerMin: 0.1, reportStepPct: 1, lowPct: 10 };
    const rig = cameraRig({ capabilities: { battery: true }, battery });
    rig.camera.battery!.start();
    rig.camera.battery!.sleep(true);
    for (let minute = 1; minute <= 15; minute++) await rig.advance(60_000); // 1.5 % at 0.1 % a minute
    expect(rig.camera.battery!.level).toBe(49);
    rig.camera.battery!.sleep(false); // half a percent drained already: the next one in 30 s awake
    await rig.advance(29_000);
    expect(rig.camera.battery!.level).toBe(49);
    await rig.advance(1_000);
    expect(rig.camera.battery!.level).toBe(48);
    rig.online();
    expect(rig.uplinkSent).toEqual([{ kind: 'event', name: 'BatteryChange', params: { battery: 48 } }]);
  });

  it('raises the low-power alarm (type 8) when it falls to the low mark', async () => {
    const rig = cameraRig({ capabilities: { battery: true }, battery: { level: 21, drainPctPerMin: 0, reportStepPct: 5, lowPct: 20 } });
    rig.online();
    rig.camera.battery!.set(20);
    await rig.advance(0);
    expect(rig.uplinkSent.find((m) => m.name === 'AlarmNotify')?.params).toMatchObject({ type: 8, state: 'pulse', channel: 0 });
  });

  it('reports the level it reached while offline when the connection comes back', async () => {
    const rig = cameraRig({ capabilities: { battery: true }, battery: { level: 90, drainPctPerMin: 0, reportStepPct: 5, lowPct: 10 } });
    rig.camera.battery!.set(70);
    rig.online();
    expect(rig.uplinkSent).toEqual([{ kind: 'event', name: 'BatteryChange', params: { battery: 70 } }]);
  });
});

describe('Bind', () => {
  it('sends the binding code a user entered', () => {
    const rig = cameraRig();
    expect(() => rig.camera.bind('B-1234')).toThrow('offline');
    rig.online();
    rig.camera.bind('B-1234');
    expect(rig.uplinkSent).toEqual([{ kind: 'event', name: 'Bind', params: { mac_id: 'a0b1c2d3e4f5', bind_id: 'B-1234' } }]);
  });
});
