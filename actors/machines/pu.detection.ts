/**
 * The pu's part in detection (issue 25, docs/detection.md): each channel's detector tells the pu whether it wants
 * the channel's alarms (`detection.set`, alarm mode), and the pu tells that detector of each motion alarm (a start
 * or a pulse; an end alone is no new motion). Kept in the pu's context, so the decision survives a restart.
 */
import type { ActorSend } from '../host/tell.ts';
import { detectorActorId } from './ids.ts';
import type { PuContext, PuEvent } from './pu.types.ts';

/** Alarm types that make a detector look: motion (3), the camera's own human detection (11), PIR motion (12) (I.2.16). */
export const DETECT_ALARM_TYPES: readonly number[] = [3, 11, 12];

type Args = { context: PuContext; event: PuEvent };

/** `detection.set`: the channels whose detector wants their alarms. */
export function detectionSet({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'detection.set') return {};
  const others = (context.detectOnAlarm ?? []).filter((c) => c !== event.channel);
  return { detectOnAlarm: event.onAlarm ? [...others, event.channel].sort((a, b) => a - b) : others };
}

/** The message to the channel's detector for a motion alarm it wants, if any. */
export function tellDetector({ context, event }: Args): ActorSend[] {
  if (event.type !== 'vd.alarm' || event.state === 'end' || !DETECT_ALARM_TYPES.includes(event.alarmType)) return [];
  if (!context.detectOnAlarm?.includes(event.channel)) return [];
  const to = detectorActorId(context.deviceId, event.channel);
  return [{ type: 'actor.send', params: { to, event: { type: 'alarm', alarmId: event.alarmId, alarmType: event.alarmType } } }];
}
