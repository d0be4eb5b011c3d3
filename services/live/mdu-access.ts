/**
 * What the live streams and the SD-card playbacks (services/live/sdplay.ts) do alike at the MDU: admit
 * a camera's publish and hand it its SRT url (PushLive's, PlayVideo's), write a viewer's SRT url, and
 * feed a browser's WebSocket from a stream. One place, so both paths stay the same Vm (NOTES 17).
 */
import type { Mdu } from '../../media/mdu/index.ts';
import { randomToken } from '../../lib/secrets.ts';

/** AES key length of every Vm stream (SRT `pbkeylen`): AES-128. */
export const STREAM_KEY_BYTES = 16;
/** A WSS viewer whose send buffer holds more than this is backpressured (the MDU queues, then drops it). */
export const WS_VIEWER_MAX_BUFFERED_BYTES = 512 * 1024;
/** WebSocket close code of a viewer whose stream ended (RFC 6455: normal closure), and the longest reason (123 bytes). */
const WS_NORMAL_CLOSE = 1000;
const WS_REASON_MAX_CHARS = 120;

/** A WSS viewer's socket as the MDU feeds it. */
export interface LiveSocket {
  send(data: Uint8Array): number;
  getBufferedAmount(): number;
  close(code?: number, reason?: string): void;
}

/** Where SRT peers reach the MDU. */
export interface SrtPlace {
  publicHost: string;
  srtPort: number;
}

/** An SRT url of a stream (NOTES 17: the stream id written raw, as FFmpeg hands it to libsrt). */
export function srtUrl(at: SrtPlace, streamId: string, mode: 'publish' | 'request', token: string, passphrase: string): string {
  const host = at.publicHost.includes(':') ? `[${at.publicHost}]` : at.publicHost;
  return `srt://${host}:${at.srtPort}?streamid=#!::r=${streamId},m=${mode},t=${token}&passphrase=${passphrase}&pbkeylen=${STREAM_KEY_BYTES}`;
}

/** Admit one publisher of `streamId` with a single-use token and a passphrase made for it; its SRT url. */
export async function admitPublisher(mdu: Mdu, at: SrtPlace, streamId: string, passphrase: string): Promise<string> {
  const token = randomToken();
  await mdu.allowPublisher({ streamId, token, passphrase, pbkeylen: STREAM_KEY_BYTES });
  return srtUrl(at, streamId, 'publish', token, passphrase);
}

/** Feed a WSS viewer from the MDU (whole TS packets, from the latest keyframe); `what` names the stream in the close reason. Returns the unsubscribe. */
export function feedSocket(mdu: Mdu, streamId: string, ws: LiveSocket, what: string): () => void {
  return mdu.subscribe(
    streamId,
    (chunk) => {
      if (ws.getBufferedAmount() > WS_VIEWER_MAX_BUFFERED_BYTES) return false;
      ws.send(chunk);
      return true;
    },
    (reason) => ws.close(WS_NORMAL_CLOSE, `${what} ended: ${reason}`.slice(0, WS_REASON_MAX_CHARS)),
  );
}
