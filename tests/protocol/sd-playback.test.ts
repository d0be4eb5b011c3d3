/** PlayVideo, CtrlVideo, QueryVideoStatus (H.627.2 I.2.23–I.2.25) with the SD-playback extension, and the API bodies. */
import { describe, expect, it } from 'bun:test';
import { SD_PLAY_SPEEDS } from '../../protocol/constants.ts';
import { CtrlVideoParams, PlayVideoParams, QueryVideoStatusResp } from '../../protocol/vd-media.ts';
import { SD_PLAY_RANGE_MAX_S, SdPlayCtrl, SdPlayRequest } from '../../protocol/sdplay-api.ts';
import { vd } from '../../protocol/vd.ts';

const SRT = 'srt://platform.example.com:9000?streamid=#!::r=0123456789abcdef,m=publish,t=tok&passphrase=abcdefghijkl&pbkeylen=16';
const FROM = 1_796_000_000;

describe('PlayVideo (I.2.23)', () => {
  it('is a platform → PU event, as Table 9-4 says', () => {
    expect(vd.PlayVideo).toMatchObject({ kind: 'event', from: 'platform' });
    expect(vd.CtrlVideo).toMatchObject({ kind: 'event', from: 'platform' });
    expect(vd.QueryVideoStatus).toMatchObject({ kind: 'rpc', from: 'platform' });
  });
  it("takes the spec's fields alone, and the extension's range and stream id", () => {
    expect(PlayVideoParams.parse({ channel: 0, url: SRT })).toEqual({ channel: 0, url: SRT });
    expect(PlayVideoParams.parse({ channel: 1, url: SRT, stream_id: '0123456789abcdef', start_ts: FROM, end_ts: FROM + 60 })).toMatchObject({
      start_ts: FROM,
      end_ts: FROM + 60,
    });
  });
  it('refuses a range that ends before it starts, a negative time, a missing url', () => {
    expect(PlayVideoParams.safeParse({ channel: 0, url: SRT, start_ts: FROM, end_ts: FROM }).error?.issues[0]?.path).toEqual(['end_ts']);
    expect(PlayVideoParams.safeParse({ channel: 0, url: SRT, start_ts: -1 }).success).toBe(false);
    expect(PlayVideoParams.safeParse({ channel: 0 }).success).toBe(false);
  });
});

describe('CtrlVideo (I.2.24)', () => {
  it("takes the spec's stop, pause, resume", () => {
    for (const op of ['stop', 'pause', 'resume']) expect(CtrlVideoParams.parse({ channel: 0, op })).toEqual({ channel: 0, op } as never);
  });
  it('takes seek with a position and speed with one of the speeds', () => {
    expect(CtrlVideoParams.parse({ channel: 0, op: 'seek', pos: FROM })).toEqual({ channel: 0, op: 'seek', pos: FROM });
    for (const speed of SD_PLAY_SPEEDS) expect(CtrlVideoParams.parse({ channel: 0, op: 'speed', speed }).speed).toBe(speed);
  });
  it('refuses seek without pos, speed without speed, an unknown speed or op', () => {
    expect(CtrlVideoParams.safeParse({ channel: 0, op: 'seek' }).error?.issues[0]?.path).toEqual(['pos']);
    expect(CtrlVideoParams.safeParse({ channel: 0, op: 'speed' }).error?.issues[0]?.path).toEqual(['speed']);
    expect(CtrlVideoParams.safeParse({ channel: 0, op: 'speed', speed: 3 }).success).toBe(false);
    expect(CtrlVideoParams.safeParse({ channel: 0, op: 'rewind' }).success).toBe(false);
  });
});

describe('QueryVideoStatus (I.2.25)', () => {
  it("takes the spec's answer alone, and one with the position and speed", () => {
    expect(QueryVideoStatusResp.parse({ status: 'stopped' })).toEqual({ status: 'stopped' });
    expect(QueryVideoStatusResp.parse({ status: 'pausing', url: SRT, pos: FROM + 5, speed: 2 })).toEqual({
      status: 'pausing',
      url: SRT,
      pos: FROM + 5,
      speed: 2,
    });
  });
  it('refuses an unknown status and a position that is not a time', () => {
    expect(QueryVideoStatusResp.safeParse({ status: 'paused' }).success).toBe(false);
    expect(QueryVideoStatusResp.safeParse({ status: 'playing', pos: 'soon' }).success).toBe(false);
  });
});

describe('SD playback API bodies', () => {
  it('takes a range of at most a day', () => {
    expect(SdPlayRequest.parse({ from: FROM, to: FROM + SD_PLAY_RANGE_MAX_S })).toEqual({ from: FROM, to: FROM + SD_PLAY_RANGE_MAX_S });
    expect(SdPlayRequest.safeParse({ from: FROM, to: FROM + SD_PLAY_RANGE_MAX_S + 1 }).error?.issues[0]?.message).toBe(
      `at most ${SD_PLAY_RANGE_MAX_S} s per playback`,
    );
    expect(SdPlayRequest.safeParse({ from: FROM, to: FROM }).error?.issues[0]?.message).toBe('to must be after from');
    expect(SdPlayRequest.safeParse({ from: '2026-01-01', to: FROM }).success).toBe(false);
  });
  it('takes each action with what it needs', () => {
    expect(SdPlayCtrl.parse({ action: 'pause' })).toEqual({ action: 'pause' });
    expect(SdPlayCtrl.safeParse({ action: 'seek' }).error?.issues[0]?.message).toBe('seek needs pos');
    expect(SdPlayCtrl.safeParse({ action: 'speed', speed: 32 }).success).toBe(false);
  });
});
