/** What goes on the wire for each MQTT publication (services/mqtt/messages.ts, docs/mqtt.md). */
import { describe, expect, it } from 'bun:test';
import { ALARM_TYPES } from '../../../protocol/constants.ts';
import { HA_DETECTION_HOLD_S } from '../../../services/mqtt/detection-messages.ts';
import { discoveryConfigs, HA_ALARM_SENSORS, HA_PULSE_OFF_DELAY_S, haId, sensorOf, topicLevel, wireMessages } from '../../../services/mqtt/messages.ts';

const topics = { topicPrefix: 'h627', discoveryPrefix: 'homeassistant', baseUrl: () => 'https://cams.example:8443' };

describe('MQTT messages', () => {
  it('maps the alarm types of I.2.16 to the motion, person and bell sensors, and no other', () => {
    expect([3, 12].map(sensorOf)).toEqual(['motion', 'motion']);
    expect([11, 6].map(sensorOf)).toEqual(['person', 'person']);
    expect(sensorOf(10)).toBe('bell');
    const mapped = Object.values(HA_ALARM_SENSORS).flatMap((s) => s.types as readonly number[]);
    for (const type of Object.keys(ALARM_TYPES).map(Number)) if (!mapped.includes(type)) expect(sensorOf(type)).toBeNull();
  });

  it('keeps device ids from breaking topics: no level separator or wildcard, Home Assistant ids of safe characters', () => {
    expect(topicLevel('cam/1+#')).toBe('cam_1__');
    expect(haId('a0:b1 c2')).toBe('h627_a0_b1_c2');
  });

  it('publishes the state and battery retained, an alarm as an event with its picture URL while it begins', () => {
    const [state] = wireMessages(topics, 'CAM1', { id: 1, kind: 'state', state: 'asleep', reason: 'r', since: 0 });
    expect(state).toEqual({ topic: 'h627/CAM1/state', payload: '{"state":"asleep","reason":"r","since":"1970-01-01T00:00:00.000Z"}', retain: true });
    expect(wireMessages(topics, 'CAM1', { id: 2, kind: 'battery', battery: 7 })).toEqual([
      { topic: 'h627/CAM1/battery', payload: '{"battery":7}', retain: true },
    ]);
    const start = wireMessages(topics, 'CAM1', { id: 3, kind: 'alarm', type: 11, state: 'start', time: 0, channel: 1, alarmId: 'x' })[0]!;
    expect(start.retain).toBe(false);
    expect(JSON.parse(start.payload)).toMatchObject({
      type: 11,
      name: 'human',
      sensor: 'person',
      picture: 'https://cams.example:8443/api/devices/CAM1/alarms/x/picture',
    });
    const end = wireMessages(topics, 'CAM1', { id: 4, kind: 'alarm', type: 11, state: 'end', time: 0, channel: 1, alarmId: 'x' })[0]!;
    expect(JSON.parse(end.payload).picture).toBeUndefined(); // no picture is asked for when an alarm ends
  });

  it('describes the camera to Home Assistant: one device, its availability from the state topic, a pulse sensor that turns off', () => {
    const configs = discoveryConfigs(topics, 'CAM1');
    expect(configs.every((c) => c.retain)).toBe(true);
    const bell = JSON.parse(configs.find((c) => c.topic === 'homeassistant/binary_sensor/h627_CAM1/bell/config')!.payload);
    expect(bell).toMatchObject({ unique_id: 'h627_CAM1_bell', off_delay: HA_PULSE_OFF_DELAY_S, device: { identifiers: ['h627_CAM1'] } });
    expect(bell.availability[0].topic).toBe('h627/CAM1/state');
    const motion = JSON.parse(configs.find((c) => c.topic.endsWith('/motion/config'))!.payload);
    expect(motion.off_delay).toBeUndefined(); // start/end pairs
    const battery = JSON.parse(configs.find((c) => c.topic === 'homeassistant/sensor/h627_CAM1/battery/config')!.payload);
    expect(battery).toMatchObject({ device_class: 'battery', unit_of_measurement: '%', state_topic: 'h627/CAM1/battery' });
  });

  it('publishes a detection as an event with its picture URL, and a binary sensor per class that turns off after the hold or at an end', () => {
    const [m] = wireMessages(topics, 'CAM1', {
      id: 4,
      kind: 'detection',
      detectionId: 'd-1',
      channel: 0,
      classes: ['person', 'traffic light'],
      topScore: 0.71,
      state: 'pulse',
      time: 0,
      picture: true,
    });
    expect(m!.topic).toBe('h627/CAM1/detection');
    expect(m!.retain).toBe(false);
    expect(JSON.parse(m!.payload)).toEqual({
      id: 'd-1',
      channel: 0,
      classes: ['person', 'traffic light'],
      top_score: 0.71,
      state: 'pulse',
      time: '1970-01-01T00:00:00.000Z',
      picture: 'https://cams.example:8443/api/detections/d-1/picture',
    });
    const configs = wireMessages(topics, 'CAM1', { id: 5, kind: 'sensors', classes: ['person', 'traffic light'] });
    expect(configs.map((c) => c.topic)).toEqual([
      'homeassistant/binary_sensor/h627_CAM1/detected_person/config',
      'homeassistant/binary_sensor/h627_CAM1/detected_traffic_light/config',
    ]);
    expect(configs.every((c) => c.retain)).toBe(true);
    const light = JSON.parse(configs[1]!.payload);
    expect(light).toMatchObject({
      name: 'Traffic light detected',
      state_topic: 'h627/CAM1/detection',
      off_delay: HA_DETECTION_HOLD_S,
      unique_id: 'h627_CAM1_detected_traffic_light',
      device: { identifiers: ['h627_CAM1'] },
    });
    expect(light.value_template).toContain("'traffic light' in value_json.classes");
    expect(light.value_template).toContain("value_json.state == 'end'");
  });
});
