/** Types of the pu actor: its input, context and events (plain JSON: ids, times, counters, no secrets). */
import type { PuCapabilities, PuDisk } from './pu.capabilities.ts';

/** What a pu actor is created with (credentials stay in the devices table). */
export interface PuInput {
  deviceId: string;
  macId: string;
  channels: number[];
}

/** One channel as the device last reported it in a Keepalive (I.2.1). */
export interface PuChannelState {
  channel: number;
  /** 0 offline, 1 online, 3 error, 4 disabled. */
  state: number;
  stream_id?: string;
  record_session?: string;
  /** Alarm flags (bit `1 << type`, NOTES 2). */
  alarm: number;
}

/** A firmware upgrade under way or finished. */
export interface PuUpgrade {
  firmwareModel: string;
  status: string;
  progress: number;
  polls: number;
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

/** The pu actor's context. */
export interface PuContext extends PuInput {
  /** Time the current top-level state was entered, and why. */
  since: number;
  reason: string;
  connected: boolean;
  connId?: string;
  /** The `reconnect` flag of the last login (Table 9-3). */
  reconnect?: boolean;
  ip?: string;
  hardwareModel?: string;
  firmwareModel?: string;
  sdk?: string;
  connectedAt?: number;
  lastDisconnect?: { at: number; code: number; reason: string };
  /** Heartbeat interval handed out in GetServerInfo (I.2.2). */
  hbIntervalS: number;
  /** Last time anything arrived from the device (volatile: not a history row of its own). */
  lastSeenAt?: number;
  scheduledAt?: number;
  scheduledFrom?: string;
  /** Device state from Keepalive: 1 online, 2 upgrading, 3 error. */
  deviceState?: number;
  channelStates: PuChannelState[];
  battery?: number;
  /** GetCap's answer at the last login (pu.capabilities.ts); unknown when absent (not answered yet) or null (refused). */
  capabilities?: PuCapabilities | null;
  /** GetDiskInfo's answer at the last login: the SD card; unknown when absent or null, as capabilities. */
  disk?: PuDisk | null;
  /** Alarms reported with state `start` and not yet ended, plus the last single ones. */
  activeAlarms: Array<{ channel: number; type: number; since: number }>;
  lastAlarm?: { channel: number; type: number; state: string; at: number; alarmId: string };
  upgrade?: PuUpgrade;
  lastCommand?: { reqId: string; name: string; by?: string; at: number; ok?: boolean; code?: number; msg?: string };
  lastLog?: { transId: string; status: string; size: number; at: number };
  ownerId?: string;
  lastBindRejected?: { at: number; reason: string };
  /** The last change of the device's shares (the shares themselves are rows: services/devices/shares.ts). */
  lastShare?: { username: string; role: 'viewer' | 'operator' | null; by: string; at: number };
  /** Hard locks so far, and the end of the current one (9.2, 8.3.1; NIST SP 800-63B 5.2.2). */
  login: { locks: number; lockedUntil?: number };
  /** Failed logins since the last success, lock or unlock (volatile: not a history row each). */
  failedLogins: number;
  /**
   * The device's live streams, by stream actor id (issue #20: the pu decides which stream a viewer
   * joins). A stream is joinable until it tells the pu it is stopping; it leaves the map when it ends.
   * Absent in snapshots older than this field.
   */
  streams?: Record<string, PuStreamLink>;
  /** The device's open record sessions, by recording actor id (NOTES 2: compared with Keepalive's `record_session`). */
  recordings?: Record<string, PuRecordingLink>;
  /** Alarm-triggered recording (issue #23; pu.alarm-recording.ts): absent when off. */
  alarmRecording?: AlarmRecordingSetting;
  /** Channels whose detector wants their motion alarms (pu.detection.ts); absent when none. */
  detectOnAlarm?: number[];
  /** The device's hibernation link (pu.hibernation.ts): logged when it changes. */
  hibernation?: PuHibernationLink;
  /** Last hibernation heartbeat (volatile: not a history row each). */
  hbSeenAt?: number;
  /** A wake under way (`waking`): since when, for how long, and the viewers' requests and commands held until the device logs in. */
  wake?: { since: number; timeoutMs: number; pending: LiveWatch[]; commands?: Array<{ reqId: string; name: string }> };
  /** The last failed login, for the operator (volatile). */
  lastLoginFailure?: { at: number; ip?: string; reason: string };
}

/** The owner's alarm-triggered recording setting of a device. */
export interface AlarmRecordingSetting {
  /** Seconds recorded after each alarm of a channel (ALARM_RECORD_S_MIN..ALARM_RECORD_S_MAX). */
  recordS: number;
  /** StartRecord `prerecord_seconds` (I.2.14): what the camera keeps from before the alarm; 0 for none. */
  prerecordS: number;
  by?: string;
  at: number;
}

/** A device's TCP connection to the hibernation server (OVC hibernation.md), as its heartbeats told it. */
export interface PuHibernationLink {
  /** The TCP connection (unique per connection and node). */
  linkId: string;
  /** The node holding it: a wake is sent from there (docs/cluster.md). */
  node: string;
  /** The platform's offline time of a sleeping device, ms (HIBERNATION_OFFLINE_S). */
  offlineAfterMs: number;
  /** Open (heartbeats came on it and it did not close). */
  linked: boolean;
}

/** A viewer's request as the pu keeps it while its device wakes (a `live.watch` without its time). */
export type LiveWatch = Omit<Extract<PuEvent, { type: 'live.watch' }>, 'at'>;

/** A live stream of the device as its pu knows it. */
export interface PuStreamLink {
  channel: number;
  /** A new viewer may join it (false once it is stopping). */
  joinable: boolean;
  /** A playback of the SD card (an sdplay actor), not a live stream. */
  sd?: boolean;
  /** A playback waiting for its sleeping device to wake (told `pu.online` when it logs in). */
  waiting?: boolean;
}

/** An open record session of the device as its pu knows it. */
export interface PuRecordingLink {
  channel: number;
  /** StartRecord `session_id`. */
  sessionId: string;
}

type At = { at?: number };

/** Events of the pu actor. Internal events are dot-case; `at` is stamped by the host. */
export type PuEvent = At &
  (
    | { type: 'device.deprovisioned' }
    | { type: 'device.provisioned'; macId: string; channels: number[] }
    | { type: 'device.bound'; userId: string | null }
    | { type: 'bind.rejected'; reason: string }
    /** The owner (or an admin, `by`) shared the device with a user, changed their role, or (role null) ended the share. */
    | { type: 'device.shared'; username: string; role: 'viewer' | 'operator' | null; by: string }
    | { type: 'vs.scheduled'; ip?: string }
    | { type: 'vd.connected'; connId: string; ip?: string; reconnect: boolean; hardwareModel: string; firmwareModel: string; sdk?: string }
    | { type: 'vd.disconnected'; connId: string; code: number; reason: string }
    | { type: 'vd.keepalive'; connId?: string; state: number; channels: PuChannelState[] }
    | { type: 'vd.serverInfo'; state?: number; hbIntervalS: number }
    | { type: 'vd.message'; name: string }
    | { type: 'vd.alarm'; alarmId: string; channel: number; alarmType: number; state: string; timestamp: number }
    | { type: 'vd.battery'; battery: number }
    | { type: 'vd.logDone'; transId: string; status: string; size: number }
    | { type: 'login.failed'; ip?: string; reason: string }
    /** The platform saw `failures` in a row after a `login.failed` (the count rides on the event, so replay needs no volatile value). */
    | { type: 'login.tooManyFailures'; failures: number }
    | { type: 'login.unlocked'; by?: string }
    /** A command for the device; `wakeTimeoutMs` bounds the wake of a sleeping one (WAKE_TIMEOUT_S). */
    | { type: 'cmd.request'; reqId: string; name: string; by?: string; firmwareModel?: string; wakeTimeoutMs?: number }
    | { type: 'cmd.result'; reqId: string; name: string; ok: boolean; code?: number; msg?: string; resp?: Record<string, unknown> }
    | { type: 'heartbeat.expired' }
    | { type: 'upgrade.poll' }
    /** A valid heartbeat on a hibernation link (services/hibernation): `offlineAfterMs` is the platform's setting. */
    | { type: 'hibernation.heartbeat'; linkId: string; node: string; offlineAfterMs: number }
    /** The hibernation link's TCP connection closed. */
    | { type: 'hibernation.linkClosed'; linkId: string }
    | { type: 'hibernation.expired' }
    /**
     * A viewer asks for a channel's live video: the pu sends it to the channel's joinable stream, or
     * opens `streamId` (chosen by the platform, unique) for it. `lingerMs` is the platform's setting.
     */
    | {
        type: 'live.watch';
        viewerId: string;
        by?: string;
        channel: number;
        streamId: string;
        maxBitrateKbps: number;
        lingerMs: number;
        /** How long a sleeping device may take to wake and log in (WAKE_TIMEOUT_S), ms. */
        wakeTimeoutMs?: number;
      }
    /** A viewer asks to play the channel's SD-card recordings from `from` to `to` (s since the epoch) as `playId`. */
    | { type: 'sd.play'; playId: string; by?: string; channel: number; from: number; to: number; wakeTimeoutMs?: number }
    /** A stream of the device stops taking viewers (it is stopping or has ended). */
    | { type: 'stream.stopping'; streamId: string }
    /** A stream of the device ended. */
    | { type: 'stream.closed'; streamId: string }
    /** A record session of the device opened, or ended. */
    | { type: 'recording.opened'; recordingId: string; channel: number; sessionId: string }
    /** `again`: an alarm came while the session was stopping; a new alarm session is opened for it. */
    | { type: 'recording.closed'; recordingId: string; again?: { channel: number; alarmId: string } }
    /** The owner's alarm-triggered recording setting; `recordS` 0 turns it off. */
    | { type: 'alarmRecording.set'; recordS: number; prerecordS: number; by?: string }
    /** A channel's detector wants (or no longer wants) the channel's motion alarms (pu.detection.ts). */
    | { type: 'detection.set'; channel: number; onAlarm: boolean }
  );
