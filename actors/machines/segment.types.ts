/** Types of the segment actor: its input, context and events (plain JSON: ids, times, sizes; no URLs, no tokens). */

/** What a segment actor is created with (from a Vr `op=create`, H.627.2 I.3.1). */
export interface SegmentInput {
  /** The recording actor (`rec:<session>`) the segment belongs to. */
  recordingId: string;
  sessionId: string;
  deviceId: string;
  channel: number;
  /** The name the PU confirms or cancels it by (`save`/`fail`/`create&name=`). */
  name: string;
  /** Where its bytes go in the segment storage (not a secret: the upload URL is signed apart). */
  key: string;
  /** Device time of its first frame, seconds since the epoch. */
  start: number;
  /** Seconds. */
  duration: number;
  /** Declared size, bytes; the upload must be exactly this. */
  size: number;
  /** Its timestamps do not follow the previous segment's (`discontinue=1`). */
  discontinuity: boolean;
  /** Epoch ms of the create (the initial event carries no time of its own). */
  createdAt: number;
  /** How long it may wait for its upload. */
  uploadTtlMs: number;
  /** How long an uploaded segment may wait for its confirmation. */
  confirmTtlMs: number;
  /** How long a confirmed segment is kept (the device's retention policy). */
  retentionMs: number;
}

/** Why a segment's bytes and rows are removed. */
export type RemovalWhy = 'failed' | 'expired' | 'retention';

/** The segment actor's context. */
export interface SegmentContext extends SegmentInput {
  /** Time the current state was entered, and why. */
  since: number;
  reason: string;
  uploadedAt?: number;
  confirmedAt?: number;
  /** Set when removal begins; `attempts` counts removal effects (retried until one succeeds). */
  removal?: { why: RemovalWhy; at: number; attempts: number };
}

type At = { at?: number };

/** Events of the segment actor (dot-case; `at` is stamped by the host). */
export type SegmentEvent = At &
  (
    | { type: 'segment.uploaded'; size: number }
    | { type: 'segment.confirm' }
    | { type: 'segment.fail'; reason?: string }
    | { type: 'segment.removed' }
    | { type: 'retention.set'; retentionMs: number }
  );
