/**
 * Types of the mqtt actor (mqtt.machine.ts): one per device, holding what the platform decided to publish about it
 * on MQTT (docs/mqtt.md) until the broker acknowledged it.
 */

/** A camera's state as published: the pu's top-level state folded to the three Home Assistant can show. */
export type MqttDeviceState = 'online' | 'asleep' | 'offline';

/** What is published, without its id: the device's state (retained), an alarm (an event), its battery (retained), its discovery configs (retained). */
export type MqttMessage =
  | { kind: 'state'; state: MqttDeviceState; reason: string; since: number }
  | { kind: 'alarm'; type: number; state: string; time: number; channel: number; alarmId?: string }
  | { kind: 'battery'; battery: number }
  | { kind: 'discovery' }
  /** A detection event (docs/detection.md): `pulse` one picture (alarm mode); `start`/`end` a presence (continuous mode). */
  | ({ kind: 'detection' } & MqttDetection)
  /** Home Assistant's binary sensors of the classes detected so far (all of them: retained, the latest wins). */
  | { kind: 'sensors'; classes: string[] };

/** A detection as published: one picture (`pulse`), or a presence's `start` and `end`. */
export type DetectionState = 'pulse' | 'start' | 'end';

/** A detection event to publish: its id, channel, classes, best score, state, time (epoch ms), whether it has a picture. */
export type MqttDetection = {
  detectionId: string;
  channel: number;
  classes: string[];
  topScore: number;
  state: DetectionState;
  time: number;
  picture: boolean;
};

/** A publication waiting for the broker's PUBACK: its id is unique within its actor. */
export type MqttPublication = MqttMessage & { id: number };

/** The mqtt actor's input. */
export interface MqttInput {
  deviceId: string;
}

/** The mqtt actor's context: plain JSON. */
export interface MqttContext {
  deviceId: string;
  /** Waiting for a PUBACK, oldest first; at most MQTT_PENDING_PER_DEVICE_MAX, one state, one battery. */
  pending: MqttPublication[];
  /** The id the next publication gets. */
  nextId: number;
  /** Retries since the last PUBACK (the backoff's exponent). */
  attempt: number;
  /** The discovery configs were decided once (they are retained: Home Assistant keeps them). */
  discovered: boolean;
  /** The classes whose Home Assistant binary sensors were decided (absent in actors made before detections). */
  sensors?: string[];
  /** Alarms dropped to keep the bound, in all. */
  dropped: number;
  /** Ids of the publications the last event added (what its `mqtt.publish` sends). */
  fresh: number[];
  /** Ids of the alarms the last event dropped (what its `mqtt.dropped` logs). */
  lastDropped: number[];
}

/** The pu's messages to its mqtt actor (through the host's outbox), and the publisher's answers. */
export type MqttEvent = (
  | { type: 'mqtt.state'; state: MqttDeviceState; reason: string; since: number }
  | { type: 'mqtt.alarm'; alarmType: number; state: string; time: number; channel: number; alarmId?: string }
  | { type: 'mqtt.battery'; battery: number }
  /** From a detector (detector.publish.ts). */
  | ({ type: 'mqtt.detection' } & MqttDetection)
  | { type: 'mqtt.acked'; ids: number[] }
  | { type: 'mqtt.retry' }
  /** From the publisher: too many alarms wait over all devices; drop this many of the oldest here. */
  | { type: 'mqtt.shed'; count: number }
) & { at?: number };
