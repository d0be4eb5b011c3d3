/**
 * What goes on the wire for each publication of a device's mqtt actor (docs/mqtt.md): the topic, the JSON payload,
 * whether it is retained; and Home Assistant's MQTT discovery configs, so each camera appears there as a device with
 * binary sensors for motion, person and bell, a battery sensor, and availability bound to its state topic.
 */
import { ALARM_TYPES, type AlarmType } from '../../protocol/constants.ts';
import type { MqttPublication } from '../../actors/machines/mqtt.types.ts';
import { detectionMessage, detectionSensorConfigs } from './detection-messages.ts';

/** Where topics go (MQTT_TOPIC_PREFIX, MQTT_DISCOVERY_PREFIX) and the public base URL of alarm pictures. */
export interface MqttTopics {
  topicPrefix: string;
  discoveryPrefix: string;
  /** `https://host:port` of the API (alarm pictures); '' before the server listens. */
  baseUrl: () => string;
}

/** One MQTT message to publish, QoS 1. */
export interface MqttWireMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

/** The Home Assistant binary sensors and the alarm types (H.627.2 I.2.16, NOTES 18) each is on for. */
export const HA_ALARM_SENSORS = {
  /** 3 motion detection, 12 PIR motion. */
  motion: { types: [3, 12], deviceClass: 'motion', name: 'Motion' },
  /** 11 human (person) detection, 6 face detection. */
  person: { types: [11, 6], deviceClass: 'occupancy', name: 'Person' },
  /** 10 bell ring: a pulse (single kind), so the sensor turns off by itself after HA_PULSE_OFF_DELAY_S. */
  bell: { types: [10], deviceClass: 'sound', name: 'Bell' },
} as const satisfies Record<string, { types: readonly AlarmType[]; deviceClass: string; name: string }>;

/** A Home Assistant alarm sensor's name. */
export type HaAlarmSensor = keyof typeof HA_ALARM_SENSORS;

/** Seconds a binary sensor stays on after a pulse alarm (a bell ring has no end; platform's choice). */
export const HA_PULSE_OFF_DELAY_S = 10;

/** The sensor an alarm type turns on, if any. */
export function sensorOf(type: number): HaAlarmSensor | null {
  for (const [name, s] of Object.entries(HA_ALARM_SENSORS)) if ((s.types as readonly number[]).includes(type)) return name as HaAlarmSensor;
  return null;
}

/** A device's Home Assistant config of one entity (`haConfig(t, deviceId)(component, object, body)`). */
export { haConfig };

/** A device id as one topic level: `/`, `+`, `#` (topic separators and wildcards) become `_`. */
export function topicLevel(deviceId: string): string {
  return deviceId.replace(/[/+#]/g, '_');
}

/** A device id as Home Assistant's node and unique ids take it: anything but letters, digits, `_` and `-` becomes `_`. */
export function haId(deviceId: string): string {
  return `h627_${deviceId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The topic of a device's `state`, `alarm`, `battery` or `detection`. */
export function deviceTopic(t: Pick<MqttTopics, 'topicPrefix'>, deviceId: string, leaf: 'state' | 'alarm' | 'battery' | 'detection'): string {
  return `${t.topicPrefix}/${topicLevel(deviceId)}/${leaf}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The wire messages of one publication (a discovery publication is several configs). */
export function wireMessages(t: MqttTopics, deviceId: string, p: MqttPublication): MqttWireMessage[] {
  if (p.kind === 'state') {
    return [{ topic: deviceTopic(t, deviceId, 'state'), payload: JSON.stringify({ state: p.state, reason: p.reason, since: iso(p.since) }), retain: true }];
  }
  if (p.kind === 'battery') return [{ topic: deviceTopic(t, deviceId, 'battery'), payload: JSON.stringify({ battery: p.battery }), retain: true }];
  if (p.kind === 'alarm') {
    // A picture is asked for when an alarm begins or pulses (I.2.16; services/vd/vd-inbound.ts): its URL serves it once uploaded.
    const picture =
      p.alarmId && p.state !== 'end' && t.baseUrl()
        ? `${t.baseUrl()}/api/devices/${encodeURIComponent(deviceId)}/alarms/${encodeURIComponent(p.alarmId)}/picture`
        : undefined;
    const payload = {
      type: p.type,
      name: ALARM_TYPES[p.type as AlarmType]?.name ?? null,
      sensor: sensorOf(p.type),
      state: p.state,
      time: iso(p.time),
      channel: p.channel,
      ...(p.alarmId ? { alarm_id: p.alarmId } : {}),
      ...(picture ? { picture } : {}),
    };
    return [{ topic: deviceTopic(t, deviceId, 'alarm'), payload: JSON.stringify(payload), retain: false }];
  }
  if (p.kind === 'detection') return [detectionMessage(t, deviceId, p)];
  if (p.kind === 'sensors') return detectionSensorConfigs(t, deviceId, p.classes);
  return discoveryConfigs(t, deviceId);
}

/** A config of one entity of the camera's Home Assistant device: `<discovery prefix>/<component>/<node id>/<object id>/config`, retained. */
function haConfig(t: MqttTopics, deviceId: string) {
  const node = haId(deviceId);
  const device = { identifiers: [node], name: `Camera ${deviceId}`, manufacturer: 'H.627.2', model: 'H.627.2 camera' };
  // Asleep cameras are available: a viewer wakes them (issue #22); only offline is not.
  const availability = [
    {
      topic: deviceTopic(t, deviceId, 'state'),
      value_template: "{{ 'offline' if value_json.state == 'offline' else 'online' }}",
      payload_available: 'online',
      payload_not_available: 'offline',
    },
  ];
  return (component: string, object: string, body: Record<string, unknown>): MqttWireMessage => ({
    topic: `${t.discoveryPrefix}/${component}/${node}/${object}/config`,
    payload: JSON.stringify({ ...body, unique_id: `${node}_${object}`, object_id: `${node}_${object}`, device, availability }),
    retain: true,
  });
}

/** Home Assistant MQTT discovery of the camera's alarm sensors and battery. */
export function discoveryConfigs(t: MqttTopics, deviceId: string): MqttWireMessage[] {
  const config = haConfig(t, deviceId);
  const sensors = Object.entries(HA_ALARM_SENSORS).map(([object, s]) =>
    config('binary_sensor', object, {
      name: s.name,
      device_class: s.deviceClass,
      state_topic: deviceTopic(t, deviceId, 'alarm'),
      // Other sensors' alarms render empty, which Home Assistant ignores.
      value_template: `{% if value_json.sensor == '${object}' %}{{ 'OFF' if value_json.state == 'end' else 'ON' }}{% endif %}`,
      payload_on: 'ON',
      payload_off: 'OFF',
      ...(s.types.every((type) => ALARM_TYPES[type].kind === 'single') ? { off_delay: HA_PULSE_OFF_DELAY_S } : {}),
    }),
  );
  const battery = config('sensor', 'battery', {
    name: 'Battery',
    device_class: 'battery',
    unit_of_measurement: '%',
    state_class: 'measurement',
    state_topic: deviceTopic(t, deviceId, 'battery'),
    value_template: '{{ value_json.battery }}',
  });
  return [...sensors, battery];
}
