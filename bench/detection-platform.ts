/**
 * The detection benchmark's figures through a real platform and simulated cameras (issue 25's benchmark):
 * - how many cameras at 1 frame/s one node watches: cameras are added one by one in continuous mode (their live
 *   stream, FFmpeg decoding, the runtime with `DETECT_WORKERS` workers and the node budget lifted) until frames start
 *   being dropped (`h627_detect_frames_dropped_total` against `_frames_in_total` on /metrics);
 * - alarm → detection event: the time from a camera's motion alarm to its `detections` row (`at` is written when
 *   the row is), p50 and p99, cameras showing darknet's person.jpg (Snapshot RPC, upload, detection, row); and the
 *   same while a real viewer watches each camera (a frame of the live stream, no Snapshot).
 * The simulated cameras (FFmpeg encoders) run on the same machine: on 2 cores they take CPU from the platform.
 */
import { DETECT_COOLDOWN_MS } from '../actors/machines/detector.machine.ts';
import { detectionCamera } from '../tests/helpers/detection-cameras.ts';
import { startTestPlatform, type TestPlatform, userToken } from '../tests/helpers/platform.ts';
import { until } from '../tests/recording/helpers.ts';
import { percentile } from './lib.ts';

const PHOTO = '/usr/share/darknet/data/person.jpg';
/** Motion (Table 9-4 alarm type 3). */
const MOTION = 3;
/** The simulated cameras' video in the scaling run: small and slow, so the encoders leave the CPU to the platform. */
const BENCH_LIVE = { size: '320x180', fps: 10 };
/** A camera's stream starts and its first frames come before its step is measured. */
const CAMERA_SETTLE_MS = 6_000;
/** Dropped frames above this share of frames in: the node is past what it can watch. */
const DROP_LIMIT = 0.05;
/** The first detection loads the model: not counted. */
const FIRST_RUN_MS = 90_000;
/** Longest one alarm's event may take before the run gives up on it. */
const EVENT_WAIT_MS = 30_000;
/** Between two alarms of a camera: its detector cools down first. */
const ALARM_GAP_MS = DETECT_COOLDOWN_MS + 500;
const MS_PER_S = 1000;
/** Longest a camera's stream may take to go live for the bench's viewer. */
const LIVE_START_MS = 30_000;

const metric = async (p: TestPlatform, name: string) => Number((await (await p.api('/metrics')).text()).match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? 0);
const events = async (p: TestPlatform, token: string, id: string) =>
  (await (await p.api(`/api/detections?device=${id}`, { token })).json()).detections as { at: string }[];
const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(3, '0')}`;
const mac = (base: number, i: number) => (base + i).toString(16).padStart(12, '0');

/** Cameras at 1 frame/s added one by one until frames are dropped; a row per step. */
export async function camerasAtOneFps(o: { max: number; stepSeconds: number; workers: number }) {
  const p = await startTestPlatform({ DETECT_WORKERS: String(o.workers), DETECT_NODE_FPS: '100', LOG_LEVEL: 'warn' });
  const rows: Array<Record<string, string | number>> = [];
  const cams: Awaited<ReturnType<typeof detectionCamera>>['dev'][] = [];
  try {
    const token = await userToken(p, 'bench');
    for (let n = 1; n <= o.max; n++) {
      const c = await detectionCamera(p, token, id('CAM-BC', n), mac(0xb0c000000000, n), { picture: PHOTO, live: BENCH_LIVE });
      cams.push(c.dev);
      const put = await p.api(`/api/devices/${id('CAM-BC', n)}/channels/0/detection`, {
        method: 'PUT',
        token,
        body: JSON.stringify({ mode: 'continuous', fps: 1 }),
      });
      if (put.status !== 200) throw new Error(`continuous mode refused: ${put.status}`);
      await Bun.sleep(n === 1 ? FIRST_RUN_MS / 3 : CAMERA_SETTLE_MS);
      const [in0, drop0] = [await metric(p, 'h627_detect_frames_in_total'), await metric(p, 'h627_detect_frames_dropped_total')];
      await Bun.sleep(o.stepSeconds * MS_PER_S);
      const [in1, drop1] = [await metric(p, 'h627_detect_frames_in_total'), await metric(p, 'h627_detect_frames_dropped_total')];
      const share = in1 > in0 ? (drop1 - drop0) / (in1 - in0) : 0;
      rows.push({
        cameras: n,
        'frames in/s': ((in1 - in0) / o.stepSeconds).toFixed(2),
        'dropped/s': ((drop1 - drop0) / o.stepSeconds).toFixed(2),
        dropped: `${(share * 100).toFixed(1)} %`,
      });
      if (share > DROP_LIMIT) break;
    }
  } finally {
    for (const d of cams) await d.stop();
    await p.cleanup();
  }
  return rows;
}

/**
 * Alarm → detection event times (ms) over `rounds` alarms on each of `cameras` cameras, after one warm-up alarm. With
 * `live`, a real SRT viewer watches each camera the whole time, so the picture is a frame of its live stream
 * (services/live/live-frame.ts) instead of a Snapshot.
 */
export async function alarmToEvent(o: { cameras: number; rounds: number; live?: boolean }): Promise<{ p50: number; p99: number; n: number }> {
  const p = await startTestPlatform({ LOG_LEVEL: 'warn' });
  const cams: Awaited<ReturnType<typeof detectionCamera>>['dev'][] = [];
  const pulls: ReturnType<typeof Bun.spawn>[] = [];
  const samples: number[] = [];
  try {
    const token = await userToken(p, 'bench');
    for (let i = 1; i <= o.cameras; i++) {
      const c = await detectionCamera(p, token, id('CAM-BA', i), mac(0xb0a000000000, i), { picture: PHOTO });
      cams.push(c.dev);
      await p.api(`/api/devices/${id('CAM-BA', i)}/channels/0/detection`, { method: 'PUT', token, body: JSON.stringify({ mode: 'alarm' }) });
      if (o.live) pulls.push(await watchLive(p, token, id('CAM-BA', i)));
    }
    const alarm = async (i: number, count: number) => {
      const t0 = Date.now();
      await cams[i]!.camera.raiseAlarm(MOTION);
      const l = await until(
        () => events(p, token, id('CAM-BA', i + 1)),
        (e) => e.length > count,
        count === 0 ? FIRST_RUN_MS : EVENT_WAIT_MS,
        'a detection event',
      );
      return Date.parse(l[0]!.at) - t0;
    };
    await Promise.all(cams.map((_, i) => alarm(i, 0)));
    for (let r = 1; r <= o.rounds; r++) {
      await Bun.sleep(ALARM_GAP_MS);
      samples.push(...(await Promise.all(cams.map((_, i) => alarm(i, r)))));
    }
  } finally {
    for (const v of pulls) v.kill();
    for (const d of cams) await d.stop();
    await p.cleanup();
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

/** A real SRT viewer of the camera's live stream (FFmpeg, until killed), once the camera publishes. */
async function watchLive(p: TestPlatform, token: string, deviceId: string) {
  const r = await p.api(`/api/devices/${deviceId}/channels/0/live`, { method: 'POST', token, body: '{}' });
  if (r.status !== 201) throw new Error(`live refused: ${r.status}`);
  const ticket = (await r.json()) as { stream_id: string; srt_url: string };
  const pull = Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-i', ticket.srt_url, '-f', 'null', '-'], { stderr: 'ignore' });
  await until(
    async () => (await (await p.api(`/api/actors/stream:${ticket.stream_id}`)).json()).stateKey as string,
    (s) => s.startsWith('live'),
    LIVE_START_MS,
    'the stream live',
  );
  return pull;
}
