/**
 * What a detector tells its device's mqtt actor (docs/mqtt.md, "Detections"): each detection event that found a class
 * of interest, committed with the detector's transition (an outbox row), so Home Assistant's per-class binary sensors
 * turn on. Alarm mode's events are one picture (`pulse`); continuous mode's presences will send `start` and `end`
 * with the same message.
 */
import { enqueueActions } from 'xstate';
import type { ActorSend } from '../host/tell.ts';
import type { DetectionState } from './mqtt.types.ts';
import { toMqtt } from './mqtt.tell.ts';
import type { DetectorContext, DetectorEvent } from './detector.types.ts';

/** The mqtt actor's message for a detection event of this channel. */
export function detectionMessage(
  context: Pick<DetectorContext, 'deviceId' | 'channel'>,
  d: { detectionId: string; classes: string[]; topScore: number; state: DetectionState; time: number; picture: boolean },
): ActorSend {
  return toMqtt(context.deviceId, { type: 'mqtt.detection', channel: context.channel, ...d });
}

/** A run's result that found something of interest: published as a `pulse`. */
export const publishFound = enqueueActions<DetectorContext, DetectorEvent, undefined, DetectorEvent, never, ActorSend, never, never, never>(
  ({ enqueue, context, event }) => {
    if (event.type !== 'detect.result' || !event.ok || event.classes.length === 0) return;
    enqueue(
      detectionMessage(context, {
        detectionId: event.eventId,
        classes: event.classes,
        topScore: event.topScore ?? 0,
        state: 'pulse',
        time: event.at ?? 0,
        picture: event.picture ?? false,
      }),
    );
  },
);
