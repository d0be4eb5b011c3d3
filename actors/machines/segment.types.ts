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
export type RemovalWhy = 'failed' | 'expired' | 'retention' | 'quota';

/** The segment actor's context. */
export interface SegmentContext extends SegmentInput {
  /** Time the current state was entered, and why. */
  since: number;
  reason: string;
  uploadedAt?: number;
  confirmedAt?: number;
  /**
   * The store's version of its object, pinned by the confirmation of a direct upload to a versioned bucket (S3): what
   * playback reads and removal deletes, whatever the upload URL writes afterwards (docs/recording.md, "Storage on S3").
   */
  version?: string;
  /** Set when removal begins; `attempts` counts removal effects (retried until one succeeds). */
  removal?: { why: RemovalWhy; at: number; attempts: number };
}

type At = { at?: number };

/** Events of the segment actor (dot-case; `at` is stamped by the host). */
export type SegmentEvent = At &
  (
    | { type: 'segment.uploaded'; size: number }
    /**
     * Vr save (or create with `name=`). `storedSize`: a segment the PU PUT straight to the store (S3), which the
     * platform found there with that size (HEAD) just before: confirmed from `created` in one step. `storedVersion`:
     * the version the store named in that answer (a versioned bucket), pinned in the context.
     */
    | { type: 'segment.confirm'; storedSize?: number; storedVersion?: string }
    | { type: 'segment.fail'; reason?: string }
    | { type: 'segment.removed' }
    | { type: 'retention.set'; retentionMs: number }
    /** Its device's or its owner's quota is exceeded and it is among the oldest kept (docs/recording.md, "Quotas"). */
    | { type: 'quota.exceeded'; scope: 'device' | 'user'; quotaBytes: number }
  );

/**
 * What Vr does with an operation on a segment in a given state (H.627.2 I.3.2 `save`, I.3.3 `fail`, and the upload PUT
 * of 9.3.4.1): carry it out, answer that it is done already (idempotent), or refuse it with an HTTP status and words.
 * In `say`, `{name}` is the segment's name, `{state}` its state, `{removal}` the state its removal ends in.
 */
export type VrRule = 'accept' | 'already' | VrRefusal;
/** A refusal: its HTTP status and its words (the `info` of the answer). */
export interface VrRefusal {
  status: VrRefusalStatus;
  say: string;
}
/** 409: not now (the request is early or late for this segment); 410: the segment is gone or going. */
export type VrRefusalStatus = 409 | 410;
/** The segment operations of Vr: `op=save` (and `op=create&name=`), `op=fail`, the upload PUT. */
export type VrSegmentOp = 'save' | 'fail' | 'put';
/** A state's Vr rules, in the segment machine's statechart as the state's `meta.vr`; an upload is never "done already". */
export interface VrRules {
  save: VrRule;
  fail: VrRule;
  put: Exclude<VrRule, 'already'>;
}
/** The `meta` of a segment machine state node. */
export interface SegmentStateMeta {
  vr: VrRules;
}
