/** Types of the recording actor: its input, context and events (plain JSON; the Vr channel id stays in its table). */

/** StartRecord's recording parameters (H.627.2 I.2.14), as the platform chose them. */
export interface RecordParams {
  /** Segment duration, seconds. */
  seg_duration: number;
  /** Largest segment, bytes. */
  seg_max_size: number;
  /** Segments the PU may cache in memory. */
  seg_max_count: number;
  /** Bits per second; 0 for no limit. */
  max_bitrate: number;
  /** Alarm pre-recording seconds (OVC); absent or 0 for continuous recording. */
  prerecord_seconds?: number;
}

/** What a recording actor is created with: one record session of one PU channel. */
export interface RecordingInput {
  deviceId: string;
  channel: number;
  /** StartRecord `session_id`. */
  sessionId: string;
  params: RecordParams;
  /** Epoch ms of the request (the initial event carries no time of its own). */
  createdAt: number;
  /** Who asked (user name, or `admin`). */
  by?: string;
  /** Set when an alarm started the session (issue #23): it stops `recordS` after the last alarm of its channel. */
  alarm?: AlarmTrigger;
}

/** What started an alarm-triggered session: the alarm, and how long the pu's setting records after each alarm. */
export interface AlarmTrigger {
  /** Seconds recorded after each alarm (the device's alarm-recording setting, ALARM_RECORD_S_MIN..MAX). */
  recordS: number;
  /** The alarm that started it (the `alarms` row id). */
  alarmId: string;
  /** When that alarm arrived, epoch ms. */
  at: number;
}

/** How a StartRecord/StopRecord went wrong (the RPC layer's kinds). */
export type RecordFailureKind = 'err' | 'timeout' | 'disconnected' | 'offline' | 'asleep';

/** The recording actor's context. */
export interface RecordingContext extends RecordingInput {
  /** Time the current state was entered, and why. */
  since: number;
  reason: string;
  /** StartRecord attempts so far; a result is taken only from the latest one. */
  attempt: number;
  /** When the PU last acknowledged StartRecord. */
  startedAt?: number;
  stoppedAt?: number;
  stoppedBy?: string;
  lastError?: { at: number; op: 'start' | 'stop'; kind: RecordFailureKind; code?: number; msg: string };
  /** An alarm-triggered session: when it stops unless another alarm comes (epoch ms), and the alarms that kept it going. */
  alarmUntil?: number;
  alarmsSeen?: number;
  /** An alarm came while it was stopping: the pu opens a new session for it once this one has closed. */
  alarmAfterStop?: { alarmId: string; at: number };
  /** KeepAwaken's `expired` while recording, seconds: set when the pu says the camera may sleep (issue #22 point 3). */
  keepAwakeS?: number;
}

type At = { at?: number };

/** Events of the recording actor (dot-case; `at` is stamped by the host). */
export type RecordingEvent = At &
  (
    | { type: 'record.stop'; by?: string }
    | { type: 'record.result'; op: 'start' | 'stop'; attempt: number; ok: boolean; kind?: RecordFailureKind; code?: number; msg?: string }
    | { type: 'pu.online' }
    | { type: 'pu.offline'; reason: string }
    /** The PU's Keepalive no longer reports this session on the channel (NOTES 2): it stopped recording on its own. */
    | { type: 'record.resync'; reason: string }
    /** The PU is asleep and its pu is waking it (TOWAKEUP sent): the session waits for its login (`pu.online`). */
    | { type: 'pu.waking'; reason: string }
    /** The camera may sleep: keep it awake while recording (KeepAwaken every half `keepAwakeS`). */
    | { type: 'pu.keepAwake'; keepAwakeS: number }
    | { type: 'keepAwake.due' }
    /** An alarm of the channel (the pu tells its open session): an alarm-triggered session records `recordS` more. */
    | { type: 'alarm.seen'; alarmId: string; recordS: number }
    /** The alarm-triggered session's time after its last alarm is up (its own timer). */
    | { type: 'alarm.elapsed' }
    /** Someone asked to record the channel while an alarm session runs: it records on until stopped. */
    | { type: 'alarm.adopt'; by?: string }
  );
