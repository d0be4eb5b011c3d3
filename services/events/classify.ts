/**
 * Which committed transitions are device events (docs/webhooks.md, "Where events come from"): the same pu transitions
 * the mqtt actor is told of (actors/machines/pu.publish.ts: entering online or offline, each AlarmNotify), plus a
 * record session entering `failed`, a firmware upgrade's outcome, and a detector's result that found a class of interest. Pure: a transition in, a draft (or nothing) out,
 * so it runs on the host's listener path at the cost of a few property reads.
 */
import { ALARM_TYPES, type AlarmType } from '../../protocol/constants.ts';
import type { EventKind } from '../../protocol/events-api.ts';
import type { Transition } from '../../actors/host/host.ts';
import type { PuContext, PuUpgrade } from '../../actors/machines/pu.types.ts';
import type { RecordingContext } from '../../actors/machines/recording.types.ts';
import type { DetectorContext, DetectorEvent } from '../../actors/machines/detector.types.ts';
import { detectionPicturePath } from '../detection/detection-list.ts';

/** The machine types whose transitions can be events. */
export const EVENT_SOURCE_TYPES: ReadonlySet<string> = new Set(['pu', 'recording', 'detector']);

/** An event about to be recorded. */
export interface EventDraft {
  /** Derived from the transition, so recording it twice is a no-op. */
  id: string;
  deviceId: string;
  kind: EventKind;
  at: number;
  channel: number | null;
  data: Record<string, unknown>;
  /**
   * `online` is only an event when the device's last connectivity event was not already `online` (a wake from sleep,
   * an upgrade's sub-state, are not "back online"): the recorder checks it in the statement that inserts.
   */
  unlessAlreadyOnline?: boolean;
}

/** Did this transition enter a (new) state? Every machine here records `since` when it does. */
const entered = (t: Transition) => 'since' in t.changes.set;

/** The event a committed transition is, if any. */
export function classify(t: Transition): EventDraft | null {
  if (!t.logged || !EVENT_SOURCE_TYPES.has(t.type)) return null;
  if (t.type === 'recording') return recordingEvent(t);
  if (t.type === 'detector') return detectionEvent(t);
  const ctx = t.context as unknown as PuContext;
  const base = { deviceId: ctx.deviceId, at: t.at };
  const e = t.event as Record<string, unknown> & { type: string };
  if (e.type === 'vd.alarm') {
    const type = Number(e.alarmType);
    return {
      ...base,
      id: `${t.actorId}:${t.seq}`,
      kind: 'alarm',
      channel: Number(e.channel),
      data: {
        type,
        name: ALARM_TYPES[type as AlarmType]?.name ?? null,
        state: e.state,
        alarm_id: e.alarmId ?? null,
        device_time: typeof e.timestamp === 'number' ? e.timestamp : null,
      },
    };
  }
  const upgrade = upgradeFinished(t, ctx.upgrade);
  if (upgrade) {
    const done = upgrade.status === 'done';
    return {
      ...base,
      // One per upgrade, however many transitions touch it afterwards.
      id: `${t.actorId}:upgrade:${upgrade.startedAt}`,
      kind: done ? 'firmware_done' : 'firmware_failed',
      channel: null,
      data: { firmware: upgrade.firmwareModel, ...(upgrade.error ? { error: upgrade.error } : {}), reason: ctx.reason },
    };
  }
  if (!entered(t)) return null;
  const top = t.stateKey.split('.')[0];
  if (top === 'offline') return { ...base, id: `${t.actorId}:${t.seq}`, kind: 'offline', channel: null, data: { reason: ctx.reason } };
  if (top === 'online') return { ...base, id: `${t.actorId}:${t.seq}`, kind: 'online', channel: null, data: { reason: ctx.reason }, unlessAlreadyOnline: true };
  return null;
}

/** The upgrade this transition finished, if it did (its `finishedAt` was just set). */
function upgradeFinished(t: Transition, upgrade: PuUpgrade | undefined): PuUpgrade | null {
  if (!upgrade?.finishedAt || (upgrade.status !== 'done' && upgrade.status !== 'error')) return null;
  const set = t.changes.set.upgrade as Partial<PuUpgrade> | undefined;
  const touched = set?.finishedAt !== undefined || t.changes.patch?.upgrade?.set.finishedAt !== undefined;
  return touched ? upgrade : null;
}

/** A record session that just entered `failed`. */
function recordingEvent(t: Transition): EventDraft | null {
  if (t.stateKey !== 'failed' || !entered(t)) return null;
  const ctx = t.context as unknown as RecordingContext;
  return {
    id: `${t.actorId}:${t.seq}`,
    deviceId: ctx.deviceId,
    kind: 'recording_failed',
    at: t.at,
    channel: ctx.channel,
    data: { reason: ctx.reason, session: ctx.sessionId, ...(ctx.lastError ? { error: ctx.lastError.msg } : {}) },
  };
}

/** A detector's run that found a class of interest (the result the detector took: it entered coolingDown with it). */
function detectionEvent(t: Transition): EventDraft | null {
  const e = t.event as DetectorEvent;
  if (e.type !== 'detect.result' || !e.ok || e.classes.length === 0 || t.stateKey !== 'coolingDown' || !entered(t)) return null;
  const ctx = t.context as unknown as DetectorContext;
  return {
    id: `detection:${e.eventId}`,
    deviceId: ctx.deviceId,
    kind: 'detection',
    at: t.at,
    channel: ctx.channel,
    data: {
      detection_id: e.eventId,
      classes: e.classes,
      top_score: e.topScore ?? null,
      alarm_id: e.alarmId ?? null,
      picture: e.picture ? detectionPicturePath(e.eventId) : null,
    },
  };
}
