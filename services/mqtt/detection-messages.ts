/**
 * Detections on MQTT (docs/mqtt.md, "Detections"): each detection event on `<prefix>/<device>/detection`, and Home
 * Assistant's binary sensor per class per camera (`detected_<class>`), its config published with the first detection
 * of that class: on when a detection names the class, off after HA_DETECTION_HOLD_S or at a presence's `end`.
 */
import type { MqttPublication } from '../../actors/machines/mqtt.types.ts';
import { deviceTopic, haConfig, type MqttTopics, type MqttWireMessage } from './messages.ts';

/** Seconds a class's binary sensor stays on after a detection (alarm mode's events have no end; platform's choice). */
export const HA_DETECTION_HOLD_S = 30;

/** A class's binary sensor's object id: `detected_<class>`, spaces (`traffic light`) as `_`. */
export const detectionSensorObject = (cls: string) => `detected_${cls.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** A class's name as Home Assistant shows it: `Person detected`. */
const sensorName = (cls: string) => `${cls.charAt(0).toUpperCase()}${cls.slice(1)} detected`;

/** The detection event's message (not retained): id, channel, classes, best score, state, time, its picture's URL. */
export function detectionMessage(t: MqttTopics, deviceId: string, p: Extract<MqttPublication, { kind: 'detection' }>): MqttWireMessage {
  const picture = p.picture && t.baseUrl() ? `${t.baseUrl()}/api/detections/${encodeURIComponent(p.detectionId)}/picture` : undefined;
  const payload = {
    id: p.detectionId,
    channel: p.channel,
    classes: p.classes,
    top_score: p.topScore,
    state: p.state,
    time: new Date(p.time).toISOString(),
    ...(picture ? { picture } : {}),
  };
  return { topic: deviceTopic(t, deviceId, 'detection'), payload: JSON.stringify(payload), retain: false };
}

/** The binary sensors of these classes (retained configs; publishing one again changes nothing). */
export function detectionSensorConfigs(t: MqttTopics, deviceId: string, classes: readonly string[]): MqttWireMessage[] {
  const config = haConfig(t, deviceId);
  return classes.map((cls) =>
    config('binary_sensor', detectionSensorObject(cls), {
      name: sensorName(cls),
      device_class: 'occupancy',
      state_topic: deviceTopic(t, deviceId, 'detection'),
      // Detections without this class render empty, which Home Assistant ignores.
      value_template: `{% if '${cls}' in value_json.classes %}{{ 'OFF' if value_json.state == 'end' else 'ON' }}{% endif %}`,
      payload_on: 'ON',
      payload_off: 'OFF',
      off_delay: HA_DETECTION_HOLD_S,
    }),
  );
}
