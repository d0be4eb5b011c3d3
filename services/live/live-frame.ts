/**
 * A channel's picture now, from its live stream when one runs on this node (issue 25 point 2, docs/detection.md): an
 * alarm on a channel someone watches is looked at in the stream the viewers share, with no Snapshot for the camera
 * to take and upload. The MDU hands a new subscriber the stream from its latest keyframe; FFmpeg decodes from there
 * at LIVE_FRAME_RATE pictures/s, catching up faster than real time, and the latest picture once it has caught up
 * (LIVE_FRAME_QUIET_MS) is the one taken: the frame of now, not of the keyframe up to a GOP ago.
 */
import type { ActorHost } from '../../actors/host/host.ts';
import { puActorId, streamIdOf } from '../../actors/machines/ids.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import type { Mdu } from '../../media/mdu/index.ts';
import { PICTURE_MAX_BYTES } from '../uploads/uploads.ts';
import { JpegSplitter } from './jpeg-split.ts';

/** Pictures per second of stream decoded while catching up from the keyframe (the latest is at most 1/rate old). */
export const LIVE_FRAME_RATE = 8;
/**
 * FFmpeg has caught up with the stream once no picture came for this long: from the keyframe it decodes in a burst
 * (pictures milliseconds apart), at the live edge at the stream's pace (1/LIVE_FRAME_RATE s apart). The latest
 * picture then is the one taken.
 */
export const LIVE_FRAME_QUIET_MS = 80;
/** The latest picture this long after the first is taken in any case (a long burst on a loaded machine). */
export const LIVE_FRAME_SETTLE_MS = 600;
/** Longest the whole grab may take before it gives up (the caller then asks the camera for a Snapshot). */
export const LIVE_FRAME_TIMEOUT_MS = 3_000;
/**
 * Bytes FFmpeg reads before it starts, at least (its minimum): the keyframe cache starts with PAT, PMT and the
 * keyframe's SPS, so the decoder learns the rest from the first frame; a larger probe waits for that much stream.
 */
const PROBE_BYTES = 32;
/** JPEG quality scale of FFmpeg's MJPEG encoder (2 best … 31 worst). */
const JPEG_QSCALE = 3;

/** The stream actor's states in which its camera is publishing (stream.machine.ts). */
const PUBLISHING_STATE = 'live';

/** The channel's live stream running on this node with its camera publishing, if any (not an SD-card playback). */
export async function runningStream(
  host: Pick<ActorHost, 'get'>,
  live: { ranHere(actorId: string): boolean },
  deviceId: string,
  channel: number,
): Promise<string | undefined> {
  const pu = await host.get(puActorId(deviceId));
  const links = (pu?.context as PuContext | undefined)?.streams ?? {};
  for (const [actorId, link] of Object.entries(links)) {
    if (link.channel !== channel || link.sd || !live.ranHere(actorId)) continue;
    const stream = await host.get(actorId);
    if (stream?.stateKey.split('.')[0] === PUBLISHING_STATE) return streamIdOf(actorId);
  }
  return undefined;
}

/** One JPEG of `streamId` as it is now (see the module's comment); rejects with why when there is none in time. */
export function liveFrame(mdu: Pick<Mdu, 'subscribe'>, streamId: string): Promise<Uint8Array> {
  const proc = Bun.spawn(
    [
      ...['ffmpeg', '-hide_banner', '-loglevel', 'error', '-probesize', String(PROBE_BYTES), '-analyzeduration', '0'],
      // one decoding thread: frame threading holds back a frame per thread before the first comes out
      ...['-threads', '1'],
      ...['-f', 'mpegts', '-i', 'pipe:0', '-an', '-vf', `fps=${LIVE_FRAME_RATE}`],
      ...['-c:v', 'mjpeg', '-q:v', String(JPEG_QSCALE), '-f', 'image2pipe', 'pipe:1'],
    ],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'ignore' },
  );
  let latest: Uint8Array | undefined;
  let settle: ReturnType<typeof setTimeout> | undefined;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe = () => {};
  let ended = false;
  return new Promise<Uint8Array>((resolve, reject) => {
    const done = (err?: Error) => {
      if (ended) return;
      ended = true;
      clearTimeout(settle);
      clearTimeout(quiet);
      clearTimeout(timeout);
      unsubscribe();
      proc.kill('SIGKILL');
      // a picture taken before the stream or FFmpeg ended is still the latest there is
      if (latest) resolve(latest);
      else reject(err ?? new Error('no picture'));
    };
    const timeout = setTimeout(() => done(new Error(`no picture from the live stream within ${LIVE_FRAME_TIMEOUT_MS} ms`)), LIVE_FRAME_TIMEOUT_MS);
    const split = new JpegSplitter(PICTURE_MAX_BYTES, (jpeg) => {
      latest = jpeg;
      // caught up once the pictures come at the stream's pace (one per 1/LIVE_FRAME_RATE s), not in a burst
      clearTimeout(quiet);
      quiet = setTimeout(() => done(), LIVE_FRAME_QUIET_MS);
      settle ??= setTimeout(() => done(), LIVE_FRAME_SETTLE_MS);
    });
    void (async () => {
      try {
        for await (const chunk of proc.stdout) split.push(chunk);
        done(new Error('FFmpeg ended before a picture'));
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    })();
    unsubscribe = mdu.subscribe(
      streamId,
      (chunk) => {
        if (ended) return true;
        try {
          proc.stdin.write(chunk);
          const flushed = proc.stdin.flush();
          if (flushed instanceof Promise) flushed.catch(() => {}); // FFmpeg gone meanwhile: the read loop says why
        } catch {
          // FFmpeg gone: the read loop ends the grab
        }
        return true;
      },
      (reason) => done(new Error(`the live stream ended: ${reason}`)),
    );
  });
}
