/** A record session as the API and the Vr path see it (services/recording/recording.ts). */
import { COMMIT_WAIT_MAX_MS } from '../../actors/host/commit-config.ts';
import type { RecordParams, RecordingContext } from '../../actors/machines/recording.machine.ts';

/** A record session as the Vr path needs it, cached by channel id. */
export interface SessionInfo {
  recordingId: string;
  sessionId: string;
  token: string;
  deviceId: string;
  macId: string;
  channel: number;
  params: RecordParams;
  retentionMs: number;
  /** When the session stopped (epoch ms), or null while it runs. */
  stoppedAt: number | null;
  loadedAt: number;
}

/** A record session as the API shows it (never the channel id: that is the PU's capability). */
export interface SessionView {
  recording_id: string;
  session_id: string;
  device_id: string;
  channel: number;
  state: string;
  since: number;
  reason: string;
  params: RecordParams;
  attempt: number;
  started_at: number | null;
  stopped_at: number | null;
  last_error: RecordingContext['lastError'] | null;
  /** Segments and seconds the PU reported dropped (Vr `op=stat`), summed over the session. */
  dropped?: { segments: number; seconds: number; reports: number };
}

/** The API view of a session. */
export function viewOf(id: string, stateKey: string, c: RecordingContext): SessionView {
  return {
    recording_id: id,
    session_id: c.sessionId,
    device_id: c.deviceId,
    channel: c.channel,
    state: stateKey,
    since: c.since,
    reason: c.reason,
    params: c.params,
    attempt: c.attempt,
    started_at: c.startedAt ?? null,
    stopped_at: c.stoppedAt ?? null,
    last_error: c.lastError ?? null,
  };
}

export function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** How many of the actor's first-commit waits a session's start may take (platform's choice). */
const SESSION_START_GRACE_WAITS = 12;
/**
 * How long a session's row may be without its actor while the session starts: the actor's first commit waits at most
 * COMMIT_WAIT_MAX_MS before its caller hears of it (60 s). An older row without an actor is one whose start died with
 * its process.
 */
export const SESSION_START_GRACE_MS = SESSION_START_GRACE_WAITS * COMMIT_WAIT_MAX_MS;

/**
 * What a channel's open `recording_sessions` row stands for, given its actor: `open` (the actor runs), `starting` (no
 * actor yet: createSession writes the row, then the actor, on this node or another; never to be closed then, which
 * would let a second session start on the channel), or `stale` (its actor is done, or its start died with its process:
 * the row is to be closed).
 */
export function openRowState(actor: { status: string } | undefined, rowCreatedAtMs: number, nowMs: number): 'open' | 'starting' | 'stale' {
  if (actor) return actor.status === 'done' ? 'stale' : 'open';
  return nowMs - rowCreatedAtMs < SESSION_START_GRACE_MS ? 'starting' : 'stale';
}
