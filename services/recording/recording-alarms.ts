/**
 * Alarms and recordings (issue #23; docs/recording.md "Alarms on the timeline", "Alarm-triggered recording"): the
 * alarms of a channel in a time range, placed on the recordings' clock; the owner's alarm-recording setting, which
 * lives in the pu actor's context (`alarmRecording.set`); and the `recording.alarm` effect, which opens the alarm
 * session the pu decided on. Whether to record, and when to stop, are the machines' decisions
 * (actors/machines/pu.alarm-recording.ts, recording.machine.ts).
 */
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { alarms } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import type { PuEffectCall } from '../../actors/machines/pu.effects.ts';
import { puActorId } from '../../actors/machines/ids.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { ALARM_TYPES, TIME_SYNC_THRESHOLD_S } from '../../protocol/constants.ts';
import {
  ALARM_RECORD_S_MAX,
  ALARM_RECORD_S_MIN,
  type AlarmRecordingBody,
  PRERECORD_MAX_S,
  type RangeQuery,
  TIMELINE_ALARMS_MAX,
} from '../../protocol/recording-api.ts';
import type { Logger } from '../../lib/log.ts';
import { DomainError } from '../errors.ts';
import { RECORD_DEFAULTS } from './recording-config.ts';
import { DEFAULT_RANGE_S } from './recording-playback.ts';
import type { SessionView } from './recording-session.ts';
import type { RecordParams, RecordingInput } from '../../actors/machines/recording.types.ts';

/** Milliseconds per second. */
const MS_PER_S = 1000;
/** Who an alarm session is started by (its `by`). */
export const ALARM_SESSION_BY = 'alarm';

/** An alarm as the timeline shows it. */
export interface TimelineAlarm {
  id: string;
  channel: number;
  type: number;
  /** The type's name (I.2.16, NOTES 18), e.g. `motion`. */
  name: string;
  state: string;
  desc: string;
  /** Where it goes on the timeline, epoch seconds: the device's timestamp (the clock of its segments) when it is sane, else when it arrived. */
  t: number;
  received_at: string;
  picture: string | null;
}

/** The owner's alarm-triggered recording setting as the API shows it. */
export interface AlarmRecordingView {
  enabled: boolean;
  record_s: number | null;
  prerecord_s: number;
  /** Bounds, for forms. */
  record_s_min: number;
  record_s_max: number;
  prerecord_s_max: number;
  set_by: string | null;
  set_at: number | null;
}

/** What the alarm side of recording uses of the recording service. */
export interface AlarmSessions {
  openSession(deviceId: string, channel: number): Promise<{ id: string } | undefined>;
  createSession(deviceId: string, channel: number, params: RecordParams, by: string, alarm?: RecordingInput['alarm']): Promise<SessionView>;
}

/**
 * Where an alarm goes on the recordings' clock: the device stamps segments and alarms with its own clock, so its
 * `timestamp` (seconds, or milliseconds from some devices) is used when it is within TIME_SYNC_THRESHOLD_S
 * (9.3.1.1 step 3) of the arrival; a device whose clock is further off would have been reset, so the arrival wins.
 */
export function timelineTime(deviceTimestamp: number, receivedMs: number): number {
  const received = receivedMs / MS_PER_S;
  for (const t of [deviceTimestamp, deviceTimestamp / MS_PER_S]) if (Math.abs(t - received) <= TIME_SYNC_THRESHOLD_S) return t;
  return received;
}

/** The alarm side of recording. */
export class AlarmRecording {
  constructor(
    private p: { db: Db; host: Pick<ActorHost, 'dispatch' | 'get' | 'send'>; log: Logger },
    private sessions: AlarmSessions,
  ) {}

  /** A channel's alarms in `[from, to)` (by arrival; default the last 24 hours), oldest first, at most TIMELINE_ALARMS_MAX. */
  async inRange(deviceId: string, channel: number, q: RangeQuery): Promise<{ from: number; to: number; alarms: TimelineAlarm[]; truncated: boolean }> {
    const to = q.to ?? (q.from !== undefined ? q.from + DEFAULT_RANGE_S : Date.now() / MS_PER_S);
    const from = q.from ?? to - DEFAULT_RANGE_S;
    // A margin of the clock tolerance each side: an alarm stamped inside the range may have arrived just outside it.
    const rows = await this.p.db.orm
      .select()
      .from(alarms)
      .where(
        and(
          eq(alarms.deviceId, deviceId),
          eq(alarms.channel, channel),
          gte(alarms.receivedAt, new Date((from - TIME_SYNC_THRESHOLD_S) * MS_PER_S)),
          lt(alarms.receivedAt, new Date((to + TIME_SYNC_THRESHOLD_S) * MS_PER_S)),
        ),
      )
      .orderBy(asc(alarms.receivedAt))
      .limit(TIMELINE_ALARMS_MAX + 1);
    const list = rows
      .map((a) => ({
        id: a.id,
        channel: a.channel,
        type: a.type,
        name: ALARM_TYPES[a.type as keyof typeof ALARM_TYPES]?.name ?? `type ${a.type}`,
        state: a.state,
        desc: a.desc,
        t: timelineTime(a.deviceTimestamp, a.receivedAt.getTime()),
        received_at: a.receivedAt.toISOString(),
        picture: a.picture ? `/api/devices/${encodeURIComponent(deviceId)}/alarms/${a.id}/picture` : null,
      }))
      .filter((a) => a.t >= from && a.t < to);
    return { from, to, alarms: list.slice(0, TIMELINE_ALARMS_MAX), truncated: rows.length > TIMELINE_ALARMS_MAX };
  }

  /** A device's alarm-recording setting (from its pu actor). */
  async setting(deviceId: string): Promise<AlarmRecordingView> {
    const v = await this.p.host.get(puActorId(deviceId));
    return viewOfSetting((v?.context as unknown as PuContext | undefined)?.alarmRecording);
  }

  /** Set it: the pu actor takes it (its history says who and when). */
  async setSetting(deviceId: string, body: AlarmRecordingBody, by: string): Promise<AlarmRecordingView> {
    const recordS = body.enabled ? (body.record_s ?? 0) : 0;
    const r = await this.p.host.dispatch(puActorId(deviceId), { type: 'alarmRecording.set', recordS, prerecordS: body.enabled ? body.prerecord_s : 0, by });
    if (!r.accepted) throw new DomainError('conflict', `the device's actor did not take the setting (state ${r.stateKey})`);
    return viewOfSetting((r.context as unknown as PuContext).alarmRecording);
  }

  /** The `recording.alarm` effect: open the alarm session the pu decided on, or tell the one that opened meanwhile. */
  async open(call: PuEffectCall<'recording.alarm'>): Promise<void> {
    const deviceId = call.context.deviceId;
    const { channel, alarmId, recordS, prerecordS } = call.params;
    const seen = { type: 'alarm.seen', alarmId, recordS };
    const open = await this.sessions.openSession(deviceId, channel);
    if (open) return void this.p.host.send(open.id, seen);
    const params: RecordParams = { ...RECORD_DEFAULTS, ...(prerecordS ? { prerecord_seconds: prerecordS } : {}) };
    try {
      await this.sessions.createSession(deviceId, channel, params, ALARM_SESSION_BY, { recordS, alarmId, at: Date.now() });
    } catch (err) {
      if (!(err instanceof DomainError && err.kind === 'conflict')) throw err;
      const now = await this.sessions.openSession(deviceId, channel);
      if (now) return void this.p.host.send(now.id, seen);
      // Another session is starting on the channel (its row is there, its actor not yet): it records through the alarm.
      this.p.log.info({ device: deviceId, channel, alarm: alarmId }, 'alarm recording: a session was starting on the channel; it records');
    }
  }
}

function viewOfSetting(s: PuContext['alarmRecording']): AlarmRecordingView {
  return {
    enabled: s !== undefined,
    record_s: s?.recordS ?? null,
    prerecord_s: s?.prerecordS ?? 0,
    record_s_min: ALARM_RECORD_S_MIN,
    record_s_max: ALARM_RECORD_S_MAX,
    prerecord_s_max: PRERECORD_MAX_S,
    set_by: s?.by ?? null,
    set_at: s?.at ?? null,
  };
}
