/**
 * A message to a device's mqtt actor (mqtt.machine.ts, docs/mqtt.md), made on first use: what the pu (pu.publish.ts)
 * and the detectors (detector.publish.ts) send it. The host sends none when the mqtt machine is off (MQTT_URL unset).
 */
import type { ActorSend } from '../host/tell.ts';
import { mqttActorId, puActorId } from './ids.ts';

/** The machine type of the mqtt actor. */
export const MQTT_MACHINE_TYPE = 'mqtt';

/** Tell the device's mqtt actor `event` (created, filed under the device's pu, if it does not exist yet). */
export function toMqtt(deviceId: string, event: Record<string, unknown> & { type: string }): ActorSend {
  return {
    type: 'actor.send',
    params: { to: mqttActorId(deviceId), event, create: { type: MQTT_MACHINE_TYPE, input: { deviceId }, deviceId, parentId: puActorId(deviceId) } },
  };
}
