/**
 * Live push, recording and playback (PushLive, StopLive, StartRecord, StopRecord, PlayVideo,
 * CtrlVideo, QueryVideoStatus; H.627.2 I.2.12–I.2.15, I.2.23–I.2.25, NOTES 17).
 */
import { describe, expect, it } from 'bun:test';
import { VD_ERR, type PushLiveParams, type StartRecordParams } from '../../protocol/index.ts';
import type { MediaHooks } from '../../device/camera-media.ts';
import { cameraRig } from './camera-harness.ts';

const push = (stream_id: string, channel = 0) => ({ channel, url: `srt://mdu.test:9000?streamid=#!::r=${stream_id},m=publish`, stream_id, max_bitrate: 0 });
const record = (session_id: string, channel = 0) => ({
  session_id,
  channel,
  max_bitrate: 0,
  seg_duration: 10,
  seg_max_size: 4_000_000,
  seg_max_count: 3,
  start_ts: 0,
  cbk_url: 'https://p.test/live/cseg/x',
});

/** Hooks that record their calls and succeed. */
function recordingHooks() {
  const calls: string[] = [];
  const ended: (() => void)[] = [];
  const hooks: MediaHooks = {
    onPushLive: async (p, ctx) => (calls.push(`push ${p.stream_id}`), ended.push(ctx.ended), {}),
    onStopLive: async (p) => (calls.push(`stop ${p.stream_id}`), {}),
    onStartRecord: async (p, ctx) => (calls.push(`record ${p.session_id}`), ended.push(ctx.ended), {}),
    onStopRecord: async (p) => (calls.push(`stop-record ${p.session_id}`), {}),
  };
  return { calls, ended, hooks };
}

describe('live push and recording', () => {
  it('answers PushLive and StartRecord with err 101 when no media handler is installed', async () => {
    const rig = cameraRig();
    expect(await rig.fails('PushLive', push('s1'), VD_ERR.UNSUPPORTED_METHOD)).toContain('no live handler');
    expect(await rig.fails('StartRecord', record('r1'), VD_ERR.UNSUPPORTED_METHOD)).toContain('no recording handler');
    expect(await rig.ok('StopLive', { stream_id: 's1', channel: 0 })).toEqual({}); // "or the stream does not exist"
    expect(await rig.ok('StopRecord', { session_id: 'r1', channel: 0 })).toEqual({});
    expect(rig.camera.capabilities().cloud_record).toBe(false);
  });

  it('pushes through the hook, reports stream_id in Keepalive, and stops on StopLive', async () => {
    const { calls, hooks } = recordingHooks();
    const rig = cameraRig({ media: hooks });
    expect(await rig.ok('PushLive', push('s1'))).toEqual({});
    expect(rig.camera.keepalive().channels[0]).toMatchObject({ channel: 0, state: 1, stream_id: 's1' });
    expect(await rig.ok('StopLive', { stream_id: 's1', channel: 0 })).toEqual({});
    expect(rig.camera.keepalive().channels[0]?.stream_id).toBeUndefined();
    expect(calls).toEqual(['push s1', 'stop s1']);
  });

  it('succeeds without change on a repeated PushLive, and replaces the push for another stream_id (NOTES 17)', async () => {
    const { calls, hooks } = recordingHooks();
    const rig = cameraRig({ media: hooks });
    await rig.ok('PushLive', push('s1'));
    await rig.ok('PushLive', push('s1'));
    await rig.ok('PushLive', push('s2'));
    expect(calls).toEqual(['push s1', 'stop s1', 'push s2']);
    expect(rig.camera.keepalive().channels[0]?.stream_id).toBe('s2');
    await rig.ok('StopLive', { stream_id: 's1', channel: 0 }); // not running: nothing to do
    expect(calls.length).toBe(3);
  });

  it('records through the hook and reports record_session in Keepalive', async () => {
    const { calls, hooks } = recordingHooks();
    const rig = cameraRig({ media: hooks });
    await rig.ok('StartRecord', record('r1'));
    await rig.ok('StartRecord', record('r1'));
    expect(rig.camera.keepalive().channels[0]?.record_session).toBe('r1');
    await rig.ok('StartRecord', record('r2'));
    await rig.ok('StopRecord', { session_id: 'r2', channel: 0 });
    expect(calls).toEqual(['record r1', 'stop-record r1', 'record r2', 'stop-record r2']);
    expect(rig.camera.capabilities().cloud_record).toBe(true);
  });

  it('restarts a running session StartRecord names again with another Vr URL (its session moved to another node)', async () => {
    const { calls, hooks } = recordingHooks();
    const rig = cameraRig({ media: hooks });
    await rig.ok('StartRecord', record('r1'));
    await rig.ok('StartRecord', { ...record('r1'), cbk_url: 'https://other-node.test/live/cseg/x' });
    await rig.ok('StartRecord', { ...record('r1'), cbk_url: 'https://other-node.test/live/cseg/x' });
    expect(rig.camera.keepalive().channels[0]?.record_session).toBe('r1');
    expect(calls).toEqual(['record r1', 'stop-record r1', 'record r1']);
  });

  it('answers the err a hook returns, and keeps no stream then', async () => {
    const rig = cameraRig({ media: { onPushLive: async () => ({ err: { code: VD_ERR.STREAM_TOO_LARGE, msg: 'stream too large' } }) } });
    expect(await rig.fails('PushLive', push('s1'), VD_ERR.STREAM_TOO_LARGE)).toBe('stream too large');
    expect(rig.camera.keepalive().channels[0]?.stream_id).toBeUndefined();
  });

  it('answers err 500 when a hook throws', async () => {
    const rig = cameraRig({
      media: {
        onStartRecord: async () => {
          throw new Error('ffmpeg not found');
        },
      },
    });
    expect(await rig.fails('StartRecord', record('r1'), VD_ERR.SERVER_ERROR)).toContain('ffmpeg not found');
  });

  it('forgets a push the hook reports ended', async () => {
    const { ended, hooks } = recordingHooks();
    const rig = cameraRig({ media: hooks });
    await rig.ok('PushLive', push('s1'));
    ended[0]!();
    expect(rig.camera.keepalive().channels[0]?.stream_id).toBeUndefined();
  });

  it('refuses a push on a rebooting channel (103), and stops its streams on RebootChannel', async () => {
    const { calls, hooks } = recordingHooks();
    const rig = cameraRig({ media: hooks, channels: 2 });
    await rig.ok('PushLive', push('s1', 1));
    await rig.ok('StartRecord', record('r1', 1));
    rig.tell('RebootChannel', { channel: 1 });
    await rig.advance(0);
    expect(calls).toEqual(['push s1', 'record r1', 'stop s1', 'stop-record r1']);
    await rig.fails('PushLive', push('s2', 1), VD_ERR.CHANNEL_OFFLINE);
    await rig.fails('PushLive', push('s2', 7), VD_ERR.CHANNEL_NOT_FOUND);
  });

  it('gives hooks the params as validated and a context with the device clock', async () => {
    let seen: { params?: PushLiveParams | StartRecordParams; now?: number } = {};
    const rig = cameraRig({ media: { onPushLive: async (params, ctx) => ((seen = { params, now: ctx.now() }), {}) } });
    await rig.ok('PushLive', { ...push('s9'), extra: 'dropped' });
    expect(seen.params).toEqual(push('s9'));
    expect(seen.now).toBe(rig.clock.now());
  });
});

describe('playback', () => {
  it('plays, pauses, resumes and stops a file', async () => {
    const rig = cameraRig();
    const url = 'https://p.test/media/lullaby.mp3';
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'stopped' });
    rig.tell('PlayVideo', { channel: 0, url });
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'playing', url });
    rig.tell('CtrlVideo', { channel: 0, op: 'pause' });
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'pausing', url });
    rig.tell('CtrlVideo', { channel: 0, op: 'resume' });
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'playing', url });
    rig.tell('CtrlVideo', { channel: 0, op: 'stop' });
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'stopped' });
  });

  it('does not resume what is not paused, nor pause what is not playing', async () => {
    const rig = cameraRig();
    rig.tell('CtrlVideo', { channel: 0, op: 'pause' });
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'stopped' });
    rig.tell('PlayVideo', { channel: 0, url: 'https://p.test/a.mp3' });
    rig.tell('CtrlVideo', { channel: 0, op: 'resume' });
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toMatchObject({ status: 'playing' });
  });

  it('rejects an unknown CtrlVideo op', () => {
    const rig = cameraRig();
    expect(rig.tell('CtrlVideo', { channel: 0, op: 'rewind' })).toContain('params.op');
  });
});
