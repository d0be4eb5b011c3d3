/**
 * The platform's own viewer of a channel's live stream (a continuous detector's frame feed, docs/detection.md). It
 * joins the channel's stream as any viewer does (the pu picks the running stream or starts one: the camera is pulled
 * once however many watch), reads the stream's MPEG-TS from this node's MDU, and keeps the stream up while it
 * watches; once it leaves and nobody else watches, the stream lingers and stops as usual.
 */
import type { ActorHost } from '../../actors/host/host.ts';
import { streamActorId } from '../../actors/machines/stream.machine.ts';
import { randomToken } from '../../lib/secrets.ts';
import { VIEWER_ID_BYTES, type LiveService } from './live.ts';

/** A platform viewer that is watching. */
export interface PlatformViewer {
  readonly streamId: string;
  /** Leave the stream (idempotent). */
  leave(reason: string): void;
}

/**
 * Join the channel's stream as `by` (e.g. `platform:detector`); `onChunk` gets its whole TS packets, `onEnd` why it
 * ended when that was not `leave` (the stream failed or stopped, the MDU dropped a slow reader).
 */
export async function watchAsPlatform(
  live: Pick<LiveService, 'join' | 'mdu'>,
  host: Pick<ActorHost, 'send'>,
  on: { deviceId: string; channel: number; by: string },
  onChunk: (chunk: Uint8Array) => void,
  onEnd: (reason: string) => void,
): Promise<PlatformViewer> {
  const viewerId = randomToken(VIEWER_ID_BYTES);
  const { streamId } = await live.join(on.deviceId, on.channel, viewerId, on.by);
  let left = false;
  const leave = (reason: string) => {
    if (left) return false;
    left = true;
    unsubscribe();
    host.send(streamActorId(streamId), { type: 'viewer.leave', viewerId, reason });
    return true;
  };
  const unsubscribe = live.mdu.subscribe(
    streamId,
    (chunk) => {
      onChunk(chunk);
      return true;
    },
    (reason) => {
      if (leave(`the platform viewer's stream ended: ${reason}`)) onEnd(`the live stream ended: ${reason}`);
    },
  );
  host.send(streamActorId(streamId), { type: 'viewer.connected', viewerId, kind: 'platform' });
  return { streamId, leave: (reason) => void leave(reason) };
}
