/**
 * Pictures and uploads: Snapshot (upload first, answer after), AlarmNotify with its picture, and
 * LogUploadAsync/LogDone (H.627.2 I.2.16, I.2.22, I.2.29, I.2.30; NOTES 11, 18, 19).
 */
import { describe, expect, it } from 'bun:test';
import { LogDoneParams, VD_ERR, validateVdParams } from '../../protocol/index.ts';
import { ffmpegJpeg, isJpeg } from '../../device/jpeg.ts';
import { cameraRig } from './camera-harness.ts';

const SNAP_URL = 'https://p.test/upload/snap-1';
/** FFmpeg starts in well under a second; allow a loaded machine more. */
const FFMPEG_TIMEOUT_MS = 20_000;

describe('Snapshot', () => {
  it(
    'uploads a real JPEG made by FFmpeg, at the channel picture size, before it answers',
    async () => {
      const rig = cameraRig({ jpeg: ffmpegJpeg });
      await rig.ok('SetConfig', { channls: { '0': { video_encoding: { quality: 'ld' } } } });
      expect(await rig.ok('Snapshot', { channel: 0, url: SNAP_URL })).toEqual({});
      expect(rig.http.length).toBe(1);
      const put = rig.http[0]!;
      expect([put.method, put.url, put.contentType]).toEqual(['PUT', SNAP_URL, 'image/jpeg']);
      expect(isJpeg(put.body)).toBe(true);
      expect(put.body.length).toBeGreaterThan(1_000);
      // SOF0 marker: height and width of the frame
      const sof = put.body.findIndex((b, i) => b === 0xff && put.body[i + 1] === 0xc0);
      const view = new DataView(put.body.buffer, put.body.byteOffset + sof);
      expect([view.getUint16(7), view.getUint16(5)]).toEqual([640, 360]);
    },
    FFMPEG_TIMEOUT_MS,
  );

  it('answers err 500 when the upload fails, naming the HTTP status', async () => {
    const rig = cameraRig();
    rig.httpStatus.set(SNAP_URL, 410);
    expect(await rig.fails('Snapshot', { channel: 0, url: SNAP_URL }, VD_ERR.SERVER_ERROR)).toContain('HTTP 410');
  });

  it('answers err 103 for a channel that is switched off', async () => {
    const rig = cameraRig();
    await rig.ok('SetConfig', { channls: { '0': { on: false } } });
    expect(await rig.fails('Snapshot', { channel: 0, url: SNAP_URL }, VD_ERR.CHANNEL_OFFLINE)).toContain('disabled');
    expect(rig.http).toEqual([]);
  });
});

describe('alarms', () => {
  it('sends AlarmNotify with the device time and PUTs a JPEG to pic_upload_url', async () => {
    const rig = cameraRig();
    rig.online();
    rig.alarmResp = { pic_upload_url: 'https://p.test/upload/alarm-1' };
    const outcome = await rig.camera.raiseAlarm(3, 'start', { desc: 'motion in the hall' });
    expect(rig.uplinkSent).toEqual([
      { kind: 'request', name: 'AlarmNotify', params: { channel: 0, timestamp: rig.clock.now() / 1_000, type: 3, state: 'start', desc: 'motion in the hall' } },
    ]);
    expect(validateVdParams('AlarmNotify', rig.uplinkSent[0]!.params).ok).toBe(true);
    expect(rig.http.map((r) => [r.method, r.url, r.contentType, isJpeg(r.body)])).toEqual([['PUT', 'https://p.test/upload/alarm-1', 'image/jpeg', true]]);
    expect(outcome.picture).toMatchObject({ url: 'https://p.test/upload/alarm-1', uploaded: true });
  });

  it('uploads nothing when the answer has no pic_upload_url', async () => {
    const rig = cameraRig();
    rig.online();
    const outcome = await rig.camera.raiseAlarm(10);
    expect(outcome.params).toMatchObject({ type: 10, state: 'pulse' });
    expect(outcome.picture).toBeUndefined();
    expect(rig.http).toEqual([]);
  });

  it('refuses to send while offline but keeps the flag for the next Keepalive', async () => {
    const rig = cameraRig();
    await expect(rig.camera.raiseAlarm(3)).rejects.toThrow('offline');
    expect(rig.camera.keepalive().channels[0]?.alarm).toBe(8);
  });

  it('reports a failed picture upload without failing the alarm', async () => {
    const rig = cameraRig();
    rig.online();
    rig.alarmResp = { pic_upload_url: 'https://p.test/upload/alarm-2' };
    rig.httpStatus.set('https://p.test/upload/alarm-2', 403);
    const outcome = await rig.camera.raiseAlarm(7);
    expect(outcome.picture).toMatchObject({ uploaded: false, error: 'PUT answered HTTP 403' });
  });
});

describe('log upload', () => {
  const upload = { trans_id: 42, start: '2026-01-01T00:00:00', end: '2026-01-02T00:00:00', url: 'https://p.test/upload/log-42' };

  it('answers at once, PUTs the log lines of the range, then sends LogDone with the size', async () => {
    const rig = cameraRig();
    rig.online();
    rig.camera.log('boot');
    await rig.advance(1_000);
    rig.camera.log('motion sensor calibrated');
    expect(await rig.ok('LogUploadAsync', upload)).toEqual({});
    await rig.advance(0);
    const put = rig.http[0]!;
    const text = new TextDecoder().decode(put.body);
    expect(text).toBe('2026-01-01T20:00:00 boot\n2026-01-01T20:00:01 motion sensor calibrated\n');
    const done = rig.uplinkSent.find((m) => m.name === 'LogDone')!;
    expect(done).toEqual({
      kind: 'event',
      name: 'LogDone',
      params: {
        mac_id: 'a0b1c2d3e4f5',
        trans_id: '42',
        status: 'success',
        start: '2026-01-01T20:00:00',
        end: '2026-01-01T20:00:01',
        url: upload.url,
        size: put.body.length,
      },
    });
    expect(LogDoneParams.safeParse(done.params).success).toBe(true);
  });

  it('PUTs zero bytes when the range holds no log, and says so in LogDone', async () => {
    const rig = cameraRig();
    rig.online();
    rig.camera.log('boot');
    await rig.ok('LogUploadAsync', { ...upload, start: '2025-01-01T00:00:00', end: '2025-01-02T00:00:00' });
    await rig.advance(0);
    expect(rig.http[0]!.body.length).toBe(0);
    expect(rig.uplinkSent.find((m) => m.name === 'LogDone')?.params).toMatchObject({
      status: 'success',
      size: 0,
      start: '2025-01-01T00:00:00',
      end: '2025-01-02T00:00:00',
    });
  });

  it('sends LogDone with status fail when the upload fails', async () => {
    const rig = cameraRig();
    rig.online();
    rig.httpStatus.set(upload.url, 500);
    await rig.ok('LogUploadAsync', upload);
    await rig.advance(0);
    expect(rig.uplinkSent.find((m) => m.name === 'LogDone')?.params).toMatchObject({ trans_id: '42', status: 'fail', size: 0 });
  });
});
