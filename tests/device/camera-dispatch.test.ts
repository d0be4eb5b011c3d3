/** How the PU answers platform messages in general: names, params, error codes (Table 9-1, 9-4). */
import { describe, expect, it } from 'bun:test';
import { vd, VD_ERR, VD_NAMES, validateVdResp } from '../../protocol/index.ts';
import { eventHandlers, rpcHandlers } from '../../device/handlers.ts';
import { cameraRig } from './camera-harness.ts';

/** A valid request for every platform RPC, so each handler can be asked. */
const SAMPLE_PARAMS: Record<keyof typeof rpcHandlers, unknown> = {
  QueryUpgrade: undefined,
  Settime: { datetime: '2026-01-01T20:00:00', tz: 8, offset: 5 },
  QueryTime: undefined,
  DevStatus: undefined,
  PushLive: { channel: 0, url: 'srt://mdu.test:9000?streamid=#!::r=s1,m=publish', stream_id: 's1', max_bitrate: 0 },
  StopLive: { stream_id: 's1', channel: 0 },
  StartRecord: {
    session_id: 'r1',
    channel: 0,
    max_bitrate: 0,
    seg_duration: 10,
    seg_max_size: 1_000_000,
    seg_max_count: 3,
    start_ts: 0,
    cbk_url: 'https://p.test/live/cseg/abc',
  },
  StopRecord: { session_id: 'r1', channel: 0 },
  GetPTZPresetList: { channel: 0 },
  GetConfig: undefined,
  SetConfig: { led: false },
  ResetConfig: undefined,
  Snapshot: { channel: 0, url: 'https://p.test/upload/snap-1' },
  QueryVideoStatus: { channel: 0 },
  KeepAwaken: { channel: 0, expired: 60 },
  GetCap: undefined,
  LogUploadAsync: { trans_id: 7, start: '2026-01-01T00:00:00', end: '2026-01-02T00:00:00', url: 'https://p.test/upload/log-7' },
  GetDiskInfo: undefined,
  FormatDisk: undefined,
};

describe('dispatch of platform requests', () => {
  it('has a handler for every platform RPC and event of Table 9-4, and none for PU messages', () => {
    const platformRpcs = VD_NAMES.filter((n) => vd[n].from === 'platform' && vd[n].kind === 'rpc').sort();
    const platformEvents = VD_NAMES.filter((n) => vd[n].from === 'platform' && vd[n].kind === 'event').sort();
    expect(Object.keys(rpcHandlers).sort()).toEqual(platformRpcs);
    expect(Object.keys(eventHandlers).sort()).toEqual(platformEvents);
  });

  for (const name of Object.keys(SAMPLE_PARAMS) as (keyof typeof rpcHandlers)[]) {
    it(`answers ${name} with a response valid against the catalog, or a Table 9-1 err`, async () => {
      const rig = cameraRig();
      const answer = await rig.ask(name, SAMPLE_PARAMS[name]);
      if ('resp' in answer) expect(validateVdResp(name, answer.resp)).toMatchObject({ ok: true });
      else expect(answer.err.code).toBe(VD_ERR.UNSUPPORTED_METHOD); // PushLive/StartRecord without a media handler
    });
  }

  it('answers err 101 to an RPC it does not know', async () => {
    const rig = cameraRig();
    expect(await rig.fails('OpenDoor', {}, VD_ERR.UNSUPPORTED_METHOD)).toContain('OpenDoor');
  });

  it('answers err 101 to a PU message sent to it as an RPC, and to an event sent as an RPC', async () => {
    const rig = cameraRig();
    await rig.fails('Keepalive', { state: 1, channels: [] }, VD_ERR.UNSUPPORTED_METHOD);
    await rig.fails('CtrlPTZ', { channel: 0, op: 'left' }, VD_ERR.UNSUPPORTED_METHOD);
  });

  it('answers err 400 naming the field when params are bad', async () => {
    const rig = cameraRig();
    expect(await rig.fails('Snapshot', { channel: '0', url: 'https://p.test/x' }, VD_ERR.BAD_INPUT)).toContain('params.channel');
    expect(await rig.fails('Settime', { datetime: '2026-01-01 20:00', offset: 5 }, VD_ERR.BAD_INPUT)).toContain('params.datetime');
    expect(await rig.fails('KeepAwaken', { channel: 0 }, VD_ERR.BAD_INPUT)).toContain('params.expired');
    expect(await rig.fails('GetPTZPresetList', undefined, VD_ERR.BAD_INPUT)).toContain('params');
  });

  it('answers err 102 for a channel the device does not have', async () => {
    const rig = cameraRig();
    await rig.fails('QueryVideoStatus', { channel: 1 }, VD_ERR.CHANNEL_NOT_FOUND);
    await rig.fails('Snapshot', { channel: 5, url: 'https://p.test/x' }, VD_ERR.CHANNEL_NOT_FOUND);
    await rig.fails('KeepAwaken', { channel: 2, expired: 1 }, VD_ERR.CHANNEL_NOT_FOUND);
  });

  it('answers err 500 when a handler fails unexpectedly', async () => {
    const rig = cameraRig({
      jpeg: async () => {
        throw new Error('sensor unplugged');
      },
    });
    expect(await rig.fails('Snapshot', { channel: 0, url: 'https://p.test/x' }, VD_ERR.SERVER_ERROR)).toContain('sensor unplugged');
  });

  it('reports events it cannot act on, and acts on valid ones', () => {
    const rig = cameraRig();
    expect(rig.tell('Dance', {})).toContain('unsupported event');
    expect(rig.tell('Snapshot', { channel: 0, url: 'https://p.test/x' })).toContain('unsupported event');
    expect(rig.tell('RebootChannel', { channel: 'zero' })).toContain('params.channel');
    expect(rig.tell('Reschedule')).toBeUndefined();
    expect(rig.tell('RebootDevice')).toBeUndefined();
    expect(rig.signals).toEqual([{ type: 'vd.reschedule' }, { type: 'device.reboot', reason: 'RebootDevice from the platform' }]);
  });
});
