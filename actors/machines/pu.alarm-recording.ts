/**
 * Alarm-triggered recording (issue #23; docs/recording.md "Alarm-triggered recording"): the owner's setting lives in
 * the pu's context (`alarmRecording`, set by `alarmRecording.set`), and the pu decides on each AlarmNotify
 * (I.2.16) of a channel: the channel's open record session is told of the alarm (`alarm.seen`: an alarm session records
 * on, any other is not concerned), and a channel with none gets a new alarm session (`recording.alarm`: the
 * recording service opens its row and actor). The session's own timer stops it (recording.machine.ts).
 */
import { enqueueActions } from 'xstate';
import type { ActorSend } from '../host/tell.ts';
import type { PuContext, PuEvent } from './pu.types.ts';

/** Alarm types that never start a recording: a low battery is news about the camera, not about the scene (I.2.16 type 8). */
export const ALARM_TYPES_NOT_RECORDED: readonly number[] = [8];

/** The `recording.alarm` effect as the pu enqueues it. */
export interface RecordingAlarmEffect {
  type: 'recording.alarm';
  params: { channel: number; alarmId: string; recordS: number; prerecordS: number };
}

type Args = { context: PuContext; event: PuEvent };

/** `alarmRecording.set`: the owner's setting (0 s turns it off). */
export function alarmRecordingSet({ event }: Args): Partial<PuContext> {
  if (event.type !== 'alarmRecording.set') return {};
  if (event.recordS <= 0) return { alarmRecording: undefined };
  return { alarmRecording: { recordS: event.recordS, prerecordS: event.prerecordS, ...(event.by ? { by: event.by } : {}), at: event.at ?? 0 } };
}

/** The open record session of a channel, by actor id. */
function openOn(context: PuContext, channel: number): string | undefined {
  return Object.entries(context.recordings ?? {}).find(([, r]) => r.channel === channel)?.[0];
}

/** A new alarm session for an alarm of `channel`, when the setting is on. */
function openFor(context: PuContext, channel: number, alarmId: string): RecordingAlarmEffect[] {
  const s = context.alarmRecording;
  return s ? [{ type: 'recording.alarm', params: { channel, alarmId, recordS: s.recordS, prerecordS: s.prerecordS } }] : [];
}

/** An alarm the setting records (on, and not a type it leaves out). */
function recorded(context: PuContext, event: PuEvent): event is Extract<PuEvent, { type: 'vd.alarm' }> {
  return context.alarmRecording !== undefined && event.type === 'vd.alarm' && !ALARM_TYPES_NOT_RECORDED.includes(event.alarmType);
}

/** Guard: an alarm (a start or a pulse; an end alone does not) of a channel without a session opens an alarm session. */
export function opensAlarmSession({ context, event }: Args): boolean {
  return recorded(context, event) && event.state !== 'end' && openOn(context, event.channel) === undefined;
}

/** The `recording.alarm` effect of an alarm that opens a session (after {@link opensAlarmSession}). */
export const ALARM_SESSION = {
  type: 'recording.alarm',
  params: ({ context, event }: Args) =>
    openFor(context, event.type === 'vd.alarm' ? event.channel : 0, event.type === 'vd.alarm' ? event.alarmId : '')[0]!.params,
} as const;

/** `vd.alarm` in `online`: recorded and published (pu.publish.ts `alarm`), and an alarm session opened when it is due. */
export const ON_ALARM = [{ guard: 'opensAlarmSession', actions: ['alarm', ALARM_SESSION] }, { actions: 'alarm' }] as const;

/** An alarm of a channel with an open session: the session is told (its start, pulse and end each count as the latest alarm). */
export function tellOpenSession({ context, event }: Args): ActorSend[] {
  if (!recorded(context, event)) return [];
  const open = openOn(context, event.channel);
  const recordS = context.alarmRecording!.recordS;
  return open ? [{ type: 'actor.send', params: { to: open, event: { type: 'alarm.seen', alarmId: event.alarmId, recordS } } }] : [];
}

/**
 * A record session ended: unlinked; one that saw an alarm while it was stopping (`again`) is followed by a new
 * alarm session for it, while the setting is on and the channel has no other session.
 */
export const recordingClosed = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend | RecordingAlarmEffect, never, never, never>(
  ({ enqueue, context, event }) => {
    if (event.type !== 'recording.closed') return;
    const { [event.recordingId]: _gone, ...rest } = context.recordings ?? {};
    enqueue.assign({ recordings: rest });
    const again = event.again;
    if (!again || Object.values(rest).some((r) => r.channel === again.channel)) return;
    for (const e of openFor(context, again.channel, again.alarmId)) enqueue(e);
  },
);
