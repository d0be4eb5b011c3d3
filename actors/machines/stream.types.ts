/** Types of the stream actor (one live session of one device channel): input, context, events. */

/** What a stream actor is created with. */
export interface StreamInput {
  /** The platform's id of the stream (PushLive `stream_id`, the SRT resource `r=`). */
  streamId: string;
  deviceId: string;
  channel: number;
  /** PushLive `max_bitrate`, kbit/s. */
  maxBitrateKbps: number;
  /** How long the stream stays up after its last viewer left. */
  lingerMs: number;
  /**
   * The camera may sleep (issue #22): while live the stream sends KeepAwaken (Table 9-4, I.2.26) with this `expired`,
   * seconds, every half of it, and stops once it is over (after the linger), so the camera can sleep again.
   */
  keepAwakeS?: number;
}

/** A viewer of the stream: registered through the API, then connected over SRT or WSS; or the platform's own (a detector's frame feed). */
export interface StreamViewer {
  kind: 'pending' | 'srt' | 'ws' | 'platform';
  since: number;
  by?: string;
}

/** Ingest statistics, refreshed every second while live (volatile: not history rows). */
export interface StreamStats {
  bitrateBps: number;
  packets: number;
  bytes: number;
  viewers: number;
  rttMs?: number;
  lostPackets?: number;
  retransmittedPackets?: number;
  at: number;
}

/** The stream actor's context. */
export interface StreamContext extends StreamInput {
  since: number;
  reason: string;
  viewers: Record<string, StreamViewer>;
  requestedAt?: number;
  pushAnswer?: { ok: boolean; at: number; code?: number };
  liveAt?: number;
  endedAt?: number;
  failure?: { reason: string; code?: number };
  stats?: StreamStats;
}

type At = { at?: number };

/** Events of the stream actor. */
export type StreamEvent = At &
  /** From the pu; `next` is the watch request it hands back if this stream has begun stopping. */
  (
    | { type: 'viewer.join'; viewerId: string; by?: string; next?: { type: 'live.watch'; streamId: string } & Record<string, unknown> }
    | { type: 'viewer.connected'; viewerId: string; kind: 'srt' | 'ws' | 'platform' }
    | { type: 'viewer.leave'; viewerId: string; reason: string }
    | { type: 'viewer.expired'; viewerId: string }
    | { type: 'push.result'; ok: boolean; code?: number; msg?: string }
    | { type: 'keepAwake.due' }
    /** The pu learnt (GetCap, after this stream opened) that its camera may sleep: keep it awake from now on. */
    | { type: 'pu.keepAwake'; keepAwakeS: number }
    | { type: 'ingest.started'; peer?: string }
    | { type: 'ingest.ended'; reason: string }
    | { type: 'stop.result'; ok: boolean; code?: number; msg?: string }
    | { type: 'pu.offline'; reason: string }
    | { type: 'platform.restarted' }
    | { type: 'stats'; stats: StreamStats }
  );
