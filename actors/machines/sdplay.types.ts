/** Types of the sdplay actor (one playback of a camera's own SD-card recordings): input, context, events. */
import type { StreamStats } from './stream.types.ts';

/** What an sdplay actor is created with. */
export interface SdPlayInput {
  /** The platform's id of the playback: PlayVideo `stream_id`, the SRT resource `r=` (as a live stream's). */
  playId: string;
  deviceId: string;
  channel: number;
  /** The time range to play, seconds since the epoch (PlayVideo `start_ts`, `end_ts`). */
  from: number;
  to: number;
  /** Who asked for it (its one viewer). */
  by?: string;
}

/** A control the viewer asks for (CtrlVideo `op`, I.2.24 and the project's extension). */
export type SdPlayOp = 'pause' | 'resume' | 'seek' | 'speed' | 'stop';

/** What the camera last answered to QueryVideoStatus (volatile: polling is not history). */
export interface SdPlayReport {
  status: 'stopped' | 'pausing' | 'playing';
  pos?: number;
  speed?: number;
  at: number;
}

/** The sdplay actor's context. */
export interface SdPlayContext extends SdPlayInput {
  since: number;
  reason: string;
  /** The position asked for last (the range's start, then each seek), seconds since the epoch. */
  pos: number;
  speed: number;
  /** The viewer: pending until it connects over SRT or WSS. */
  viewer: 'pending' | 'srt' | 'ws' | 'gone';
  requestedAt?: number;
  liveAt?: number;
  endedAt?: number;
  failure?: { reason: string; code?: number };
  report?: SdPlayReport;
  stats?: StreamStats;
}

type At = { at?: number };

/** Events of the sdplay actor. */
export type SdPlayEvent = At &
  (
    | { type: 'sd.start' }
    /** Made while its device is asleep and being woken: it waits for the login (`pu.online`), then plays. */
    | { type: 'sd.wait' }
    | { type: 'pu.online' }
    /** The PlayVideo effect's outcome: PlayVideo is an event (no answer), so only "sent" or "could not be sent". */
    | { type: 'play.sent'; ok: boolean; code?: number; msg?: string }
    | { type: 'sd.ctrl'; op: SdPlayOp; pos?: number; speed?: number }
    | { type: 'sd.report'; report: SdPlayReport }
    | { type: 'sd.replaced' }
    | { type: 'ctrl.sent'; ok: boolean; msg?: string }
    | { type: 'viewer.connected'; kind: 'srt' | 'ws' }
    | { type: 'viewer.leave'; reason: string }
    | { type: 'viewer.expired' }
    | { type: 'ingest.started'; peer?: string }
    | { type: 'ingest.ended'; reason: string }
    | { type: 'pu.offline'; reason: string }
    | { type: 'platform.restarted' }
    | { type: 'stats'; stats: StreamStats }
  );
