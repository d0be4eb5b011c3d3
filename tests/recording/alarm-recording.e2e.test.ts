/**
 * Alarm-triggered recording end to end (issue #23 point 3; docs/recording.md "Alarm-triggered recording"): a real
 * platform, a simulated camera with the FFmpeg recorder. The owner sets "record N s after an alarm"; the camera raises
 * a motion alarm; the platform starts recording (StartRecord with the pre-recording), the camera's segments are
 * confirmed, the session stops by itself N s after the alarm, and a later alarm extends it. The alarms of the channel
 * come back in the timeline's range, inside the recording.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { Recorder } from '../../device/index.ts';
import type { StartRecordParams } from '../../protocol/index.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { captureRecording, onlineCam, until, userToken, type TestCam } from './helpers.ts';

setDefaultTimeout(90_000);

/** Seconds recorded after an alarm in these tests (ALARM_RECORD_S_MIN). */
const RECORD_S = 5;
const PRERECORD_S = 3;
/** Slack for StartRecord/StopRecord round trips and the host's timer tick, ms. */
const SLACK_MS = 4_000;
const MOTION = 3;

let p: TestPlatform;
let alice: string;
let bob: string;

beforeAll(async () => {
  p = await startTestPlatform({ RECORDING_UPLOAD_TTL_S: '5', RECORDING_CONFIRM_TTL_S: '5' });
  [alice, bob] = await Promise.all([userToken(p, 'alice'), userToken(p, 'bob')]);
}, 90_000);
afterAll(async () => {
  await p?.cleanup();
});

const api = (cam: TestCam, path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
  p.api(`/api/devices/${cam.id}${path}`, {
    token: init.token ?? alice,
    ...(init.method ? { method: init.method } : {}),
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
const session = async (cam: TestCam) => {
  const r = await api(cam, '/channels/0/recording');
  return r.status === 200 ? r.json() : { state: 'never' };
};

/** A camera with the simulator's recorder whose StartRecord params are kept. */
async function recordingCam(id: string, mac: string) {
  const recorder = new Recorder({ tls: { rejectUnauthorized: false } });
  const starts: StartRecordParams[] = [];
  const hooks = {
    ...recorder.hooks,
    onStartRecord: (params: StartRecordParams, ctx: Parameters<NonNullable<typeof recorder.hooks.onStartRecord>>[1]) => {
      starts.push(params);
      return recorder.hooks.onStartRecord!(params, ctx);
    },
  };
  const cam = await onlineCam(p, id, mac, hooks, alice);
  return { cam, recorder, starts };
}

describe('alarm-triggered recording', () => {
  it('takes a bounded setting from the owner only, and keeps it in the pu actor', async () => {
    const { cam } = await recordingCam('CAM-AR-0', 'a0b1c2d3ea00');
    expect(await (await api(cam, '/alarm-recording')).json()).toMatchObject({ enabled: false, record_s: null });
    const tooLong = await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true, record_s: 99_999 } });
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(await tooLong.json())).toContain('record_s');
    expect((await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true } })).status).toBe(400);
    expect((await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true, record_s: 30 }, token: bob })).status).toBe(404);
    const set = await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true, record_s: 30, prerecord_s: 5 } });
    expect(await set.json()).toMatchObject({ enabled: true, record_s: 30, prerecord_s: 5, set_by: 'alice' });
    const pu = await (await p.api(`/api/actors/${encodeURIComponent(`pu:${cam.id}`)}`)).json();
    expect(pu.context.alarmRecording).toMatchObject({ recordS: 30, prerecordS: 5, by: 'alice' });
    expect(await (await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: false } })).json()).toMatchObject({ enabled: false });
    await cam.dev.stop();
  });

  it('records N s after an alarm with the pre-recording, confirms the segments, stops by itself, and lists the alarm inside the recording', async () => {
    const { cam, recorder, starts } = await recordingCam('CAM-AR-1', 'a0b1c2d3ea01');
    await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true, record_s: RECORD_S, prerecord_s: PRERECORD_S } });
    // Nothing records before the alarm.
    expect((await session(cam)).state).toBe('never');
    const raisedAt = Date.now();
    await cam.dev.camera.raiseAlarm(MOTION);
    const rec = await until(
      () => session(cam),
      (s) => s.state === 'recording',
      10_000,
      'recording after the alarm',
    );
    expect(starts.at(-1)).toMatchObject({ channel: 0, prerecord_seconds: PRERECORD_S });
    const actor = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}`)).json();
    expect(actor.context).toMatchObject({ by: 'alarm', alarm: { recordS: RECORD_S } });
    const stopped = await until(
      () => session(cam),
      (s) => s.state === 'stopped',
      RECORD_S * 1000 + SLACK_MS * 2,
      'stopped after the alarm',
    );
    const ranMs = Date.now() - raisedAt;
    expect(ranMs).toBeGreaterThanOrEqual(RECORD_S * 1000);
    expect(ranMs).toBeLessThan(RECORD_S * 1000 + SLACK_MS * 2);
    expect(stopped.reason).toBe('stopped');
    const done = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}`)).json();
    expect(done.context).toMatchObject({ stoppedBy: 'alarm timer' });
    const h = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}/history?after=-1&limit=20`)).json();
    expect(h.events.map((e: { value: string }) => e.value)).toEqual(['starting', 'recording', 'stopping', 'stopped']);
    expect(h.events[2].context.reason).toBe(`no alarm for ${RECORD_S} s: stop`);
    await recorder.idle(30_000);
    const from = Math.floor(raisedAt / 1000) - 60;
    const l = await until(
      async () => (await api(cam, `/channels/0/recordings?from=${from}`)).json(),
      (v) => v.segments.length >= 1,
      15_000,
      'confirmed segments',
    );
    expect(recorder.events.filter((e) => e.kind === 'error')).toEqual([]);
    expect(l.duration).toBeGreaterThanOrEqual(RECORD_S - 2);
    const a = await (await api(cam, `/channels/0/alarms?from=${from}`)).json();
    expect(a.alarms).toHaveLength(1);
    expect(a.alarms[0]).toMatchObject({ type: MOTION, name: 'motion', state: 'start', channel: 0 });
    expect(a.alarms[0].t).toBeGreaterThan(l.segments[0].start - 5);
    expect(a.alarms[0].t).toBeLessThan(l.segments.at(-1).end);
    await cam.dev.stop();
  });

  it('extends the recording on a later alarm, and leaves a recording someone started alone', async () => {
    const { cam, recorder } = await recordingCam('CAM-AR-2', 'a0b1c2d3ea02');
    await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true, record_s: RECORD_S } });
    const raisedAt = Date.now();
    await cam.dev.camera.raiseAlarm(MOTION);
    const rec = await until(
      () => session(cam),
      (s) => s.state === 'recording',
      10_000,
      'recording after the alarm',
    );
    await Bun.sleep(3_000);
    await cam.dev.camera.raiseAlarm(MOTION, 'end');
    const extendedAt = Date.now();
    await until(
      () => session(cam),
      (s) => s.state === 'stopped',
      RECORD_S * 1000 + SLACK_MS * 3,
      'stopped after the last alarm',
    );
    expect(Date.now() - extendedAt).toBeGreaterThanOrEqual(RECORD_S * 1000 - 500);
    expect(Date.now() - raisedAt).toBeGreaterThanOrEqual(RECORD_S * 1000 + 3_000);
    const actor = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}`)).json();
    expect(actor.context.alarmsSeen).toBe(1);
    await recorder.idle(30_000);

    // Recording started by hand: an alarm does not touch it, and it does not stop on a timer.
    expect((await api(cam, '/channels/0/recording', { method: 'POST', body: { seg_duration: 1 } })).status).toBe(201);
    const manual = await until(
      () => session(cam),
      (s) => s.state === 'recording',
      10_000,
      'manual recording',
    );
    await cam.dev.camera.raiseAlarm(MOTION);
    await Bun.sleep(RECORD_S * 1000 + 1_000);
    const still = await session(cam);
    expect(still).toMatchObject({ recording_id: manual.recording_id, state: 'recording' });
    expect((await api(cam, '/channels/0/recording', { method: 'DELETE' })).status).toBe(202);
    await until(
      () => session(cam),
      (s) => s.state === 'stopped',
      10_000,
      'stopped by hand',
    );
    await recorder.idle(30_000);
    await cam.dev.stop();
  });

  it('stops at the deadline the alarm set across a kill -9 of the platform (the timer is a host timer row)', async () => {
    const cap = captureRecording();
    const cam = await onlineCam(p, 'CAM-AR-3', 'a0b1c2d3ea03', cap.hooks, alice);
    const recordS = 10;
    await api(cam, '/alarm-recording', { method: 'PUT', body: { enabled: true, record_s: recordS } });
    await cam.dev.camera.raiseAlarm(MOTION);
    const rec = await until(
      () => session(cam),
      (s) => s.state === 'recording',
      10_000,
      'recording after the alarm',
    );
    const actor = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}`)).json();
    const deadline = actor.context.alarmUntil as number;
    expect(deadline).toBe(actor.context.createdAt + recordS * 1000);
    await p.kill9();
    p = await p.restart();
    const stopped = await until(
      () => session(cam),
      (s) => s.state === 'stopped',
      recordS * 1000 + 30_000,
      'stopped after the restart',
    );
    expect(stopped.stopped_at).toBeGreaterThanOrEqual(deadline);
    const done = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}`)).json();
    expect(done.context).toMatchObject({ stoppedBy: 'alarm timer', reason: expect.stringContaining('stopped') });
    const h = await (await p.api(`/api/actors/${encodeURIComponent(rec.recording_id)}/history?after=-1&limit=20`)).json();
    expect(h.events.some((e: { context: { reason: string } }) => e.context.reason === `no alarm for ${recordS} s: stop`)).toBe(true);
    await cam.dev.stop();
  });
});
