import { describe, expect, it } from 'bun:test';
import { validateVdParams, validateVdResp, type VdValidation } from '../../protocol/index.ts';

/** The value of a validation that must succeed. */
function ok<T>(result: VdValidation<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('OVC and field variants devices send', () => {
  it('normalises GetPTZPresetList entries written {id} (OVC) to {ptzId}', () => {
    expect(ok(validateVdResp('GetPTZPresetList', { presetList: [{ id: 3 }, { ptzId: 4 }] }))).toEqual({ presetList: [{ ptzId: 3 }, { ptzId: 4 }] });
  });

  it("accepts OVC's bare-array GetPTZPresetList answer", () => {
    expect(ok(validateVdResp('GetPTZPresetList', [{ id: 0 }, { id: 255 }]))).toEqual({ presetList: [{ ptzId: 0 }, { ptzId: 255 }] });
  });

  it('rejects an OVC preset id out of range, naming the entry', () => {
    const result = validateVdResp('GetPTZPresetList', [{ id: 300 }]);
    expect(result.ok ? '' : result.error).toContain('resp.presetList[0].id: must be <= 255');
  });

  it('accepts LogUploadAsync trans_id as an integer or a string and gives it as text', () => {
    const base = { start: '2022-03-16T00:00:00', end: '2022-03-16T08:00:00', url: 'https://p.example/logs/1' };
    expect(ok(validateVdParams('LogUploadAsync', { ...base, trans_id: 1024 })).trans_id).toBe('1024');
    expect(ok(validateVdParams('LogUploadAsync', { ...base, trans_id: '1024' })).trans_id).toBe('1024');
  });

  it('accepts LogDone trans_id as an integer too', () => {
    const params = { trans_id: 7, status: 'fail', start: '2022-03-16T00:00:00', end: '2022-03-16T00:00:00', url: 'https://p.example/logs/7', size: 0 };
    expect(ok(validateVdParams('LogDone', params)).trans_id).toBe('7');
  });

  it('accepts GetServerInfo without params (OVC), with empty params, and with {mac_id, state}', () => {
    expect(ok(validateVdParams('GetServerInfo', undefined))).toBeUndefined();
    expect(ok(validateVdParams('GetServerInfo', {}))).toEqual({});
    expect(ok(validateVdParams('GetServerInfo', { mac_id: 'A0B1C2D3E4F5', state: 2 }))).toEqual({ mac_id: 'a0b1c2d3e4f5', state: 2 });
  });

  it('accepts PU messages without mac_id: the connection knows the device', () => {
    expect(ok(validateVdParams('Keepalive', { state: 1, channels: [] })).mac_id).toBeUndefined();
    expect(ok(validateVdParams('Bind', { bind_id: 'K7Q2' })).mac_id).toBeUndefined();
    const logDone = { trans_id: '1', status: 'success', start: '2022-03-16T00:00:00', end: '2022-03-16T01:00:00', url: 'https://p.example/l', size: 10 };
    expect(ok(validateVdParams('LogDone', logDone)).mac_id).toBeUndefined();
  });

  it('normalises mac_id to the canonical MAC form', () => {
    expect(ok(validateVdParams('Bind', { mac_id: 'A0-B1-C2-D3-E4-F5', bind_id: 'K7Q2' })).mac_id).toBe('a0b1c2d3e4f5');
  });

  it('reads a Keepalive stream_id or record_session that is null or empty as absent', () => {
    const value = ok(validateVdParams('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, stream_id: null, record_session: '' }] }));
    expect(value.channels[0]).toEqual({ channel: 0, state: 1 });
  });

  it('accepts several NVR channels with their own numbers, 0 included', () => {
    const channels = [0, 1, 7].map((channel) => ({ channel, state: 1 }));
    expect(ok(validateVdParams('Keepalive', { state: 1, channels })).channels.map((c) => c.channel)).toEqual([0, 1, 7]);
  });

  it('accepts DevStatus last_upgrade_datetime with a four-digit year, and reads the literal YY form as 20YY', () => {
    const base = { dev_id: '1', hardware_model: 'h', firmware_model: 'f' };
    expect(ok(validateVdResp('DevStatus', { ...base, last_upgrade_datetime: '2016-12-05T02:15:32' })).last_upgrade_datetime).toBe('2016-12-05T02:15:32');
    expect(ok(validateVdResp('DevStatus', { ...base, last_upgrade_datetime: '16-12-05T02:15:32' })).last_upgrade_datetime).toBe('2016-12-05T02:15:32');
  });

  it('accepts GetDiskInfo without total and free (OVC)', () => {
    expect(ok(validateVdResp('GetDiskInfo', { state: 3 }))).toEqual({ state: 3 });
  });

  it('reads OVC\'s misspelt upgrade status "donwloading" as "downloading"', () => {
    expect(ok(validateVdResp('QueryUpgrade', { upgrade_status: 'donwloading', progress: 5, firmware_model: 'V1' })).upgrade_status).toBe('downloading');
  });

  it('accepts any AlarmNotify state for any type: OVC devices report single alarms with start', () => {
    expect(ok(validateVdParams('AlarmNotify', { channel: 0, timestamp: 1, type: 10, state: 'start', desc: 'ring' })).state).toBe('start');
    expect(ok(validateVdParams('AlarmNotify', { channel: 0, timestamp: 1, type: 3, state: 'pulse', desc: '' })).type).toBe(3);
  });

  it('accepts an AlarmNotify answer without a picture URL, or with an empty one', () => {
    expect(ok(validateVdResp('AlarmNotify', {}))).toEqual({});
    expect(ok(validateVdResp('AlarmNotify', { pic_upload_url: '' }))).toEqual({ pic_upload_url: undefined });
  });

  it('accepts Settime without tz, and still requires offset', () => {
    expect(ok(validateVdParams('Settime', { datetime: '2022-03-16T08:30:00', offset: 0 }))).toEqual({ datetime: '2022-03-16T08:30:00', offset: 0 });
    expect(validateVdParams('Settime', { datetime: '2022-03-16T08:30:00', tz: 8 }).ok).toBe(false);
  });

  it('accepts SetConfig answered with {} (OVC) or with the configuration set (H.627.2)', () => {
    expect(ok(validateVdResp('SetConfig', {}))).toEqual({});
    expect(ok(validateVdResp('SetConfig', { led: true }))).toEqual({ led: true });
  });

  it('accepts StartRecord with start_ts <= 0, meaning "use the device clock"', () => {
    const params = {
      session_id: 's',
      channel: 0,
      max_bitrate: 0,
      seg_duration: 60,
      seg_max_size: 1,
      seg_max_count: 1,
      start_ts: 0,
      cbk_url: 'https://p.example/live/cseg/x',
    };
    expect(validateVdParams('StartRecord', params).ok).toBe(true);
    expect(validateVdParams('StartRecord', { ...params, start_ts: -1 }).ok).toBe(true);
  });

  it('measures cbk_url in UTF-8 bytes, not characters', () => {
    const base = { session_id: 's', channel: 0, max_bitrate: 0, seg_duration: 60, seg_max_size: 1, seg_max_count: 1, start_ts: 0 };
    const prefix = 'https://p.example/';
    expect(validateVdParams('StartRecord', { ...base, cbk_url: prefix + 'a'.repeat(256 - prefix.length) }).ok).toBe(true);
    expect(validateVdParams('StartRecord', { ...base, cbk_url: prefix + 'é'.repeat(120) }).ok).toBe(false);
  });
});

describe('CtrlPTZ value ranges per operation', () => {
  it('defaults a move speed to 50 and a step to 0', () => {
    expect(ok(validateVdParams('CtrlPTZ', { channel: 0, op: 'upleft' })).value).toBe(50);
    expect(ok(validateVdParams('CtrlPTZ', { channel: 0, op: 'zoomout_step' })).value).toBe(0);
  });

  it('requires a preset id 0-255 for goto_preset, set_preset and clear_preset', () => {
    for (const op of ['goto_preset', 'set_preset', 'clear_preset']) {
      expect(ok(validateVdParams('CtrlPTZ', { channel: 0, op, value: 255 })).value).toBe(255);
      expect(validateVdParams('CtrlPTZ', { channel: 0, op }).ok).toBe(false);
    }
  });

  it('accepts stop with or without a meaningless value', () => {
    expect(ok(validateVdParams('CtrlPTZ', { channel: 0, op: 'stop' }))).toEqual({ channel: 0, op: 'stop' });
    expect(validateVdParams('CtrlPTZ', { channel: 0, op: 'stop', value: 999 }).ok).toBe(true);
  });

  it('rejects a negative speed', () => {
    const result = validateVdParams('CtrlPTZ', { channel: 0, op: 'down', value: -1 });
    expect(result.ok ? '' : result.error).toBe('params.value: must be >= 0, got -1');
  });
});

describe('extra fields', () => {
  it('tolerates unknown fields in a message and strips them from the value', () => {
    const value = ok(validateVdParams('BatteryChange', { battery: 50, mac_id: 'a0b1c2d3e4f5', charging: true }));
    expect(value).toEqual({ battery: 50 });
  });

  it('tolerates unknown fields in nested objects too', () => {
    const value = ok(validateVdParams('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, rssi: -60 }], uptime: 5 }));
    expect(value).toEqual({ state: 1, channels: [{ channel: 0, state: 1 }] });
  });

  it('keeps unknown fields of the open configuration document', () => {
    const doc = { led: true, vendor_mode: 'eco', channls: { '0': { night_vision: 'auto', image: { horflip: true, rotate: 90 } } } };
    expect(ok(validateVdResp('GetConfig', doc))).toEqual(doc);
  });

  it('fills every GetCap capability a device leaves out with false', () => {
    const caps = ok(validateVdResp('GetCap', { ptz: true, alarms: { cry: true } }));
    expect(caps.ptz).toBe(true);
    expect(caps.led).toBe(false);
    expect(caps.alarms).toEqual({ io: false, face: false, cry: true, voice: false, motion: false, body: false, cross: false });
    expect(caps.media_protocol).toBe('srt');
  });
});
