/**
 * What the pu tells its device's mqtt actor (mqtt.machine.ts, docs/mqtt.md): its state when it enters online, asleep
 * or offline (with the reason and time its `enter` action just recorded), each alarm and each battery level. A tell
 * is an outbox row committed with the pu's transition, so the decision survives a restart; the host sends none when
 * the mqtt machine is off (MQTT_URL unset).
 */
import { enqueueActions } from 'xstate';
import { toMqtt as mqttTell } from './mqtt.tell.ts';
import * as a from './pu.actions.ts';
import type { ActorSend } from '../host/tell.ts';
import type { MqttDeviceState } from './mqtt.types.ts';
import type { PuContext, PuEvent } from './pu.types.ts';
import { tellOpenSession } from './pu.alarm-recording.ts';
import { tellDetector } from './pu.detection.ts';

export { MQTT_MACHINE_TYPE } from './mqtt.tell.ts';

/** A message to the device's mqtt actor, made on first use. */
const toMqtt = (context: PuContext, event: Record<string, unknown> & { type: string }): ActorSend => mqttTell(context.deviceId, event);

/** Entry of online, hibernating (asleep) and offline: publish the state with the reason and time `enter` recorded. */
export const publishState = enqueueActions<PuContext, PuEvent, { state: MqttDeviceState }, PuEvent, never, ActorSend, never, never, never>(
  ({ enqueue, context }, p: { state: MqttDeviceState }) => {
    enqueue(toMqtt(context, { type: 'mqtt.state', state: p.state, reason: context.reason ?? '', since: context.since ?? 0 }));
  },
);

/** AlarmNotify (I.2.16): recorded (pu.actions.ts onAlarm), published as an event, and told the channel's open record session (pu.alarm-recording.ts). */
export const alarm = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context, event }) => {
  if (event.type !== 'vd.alarm') return;
  enqueue.assign(a.onAlarm({ context, event }));
  const { alarmId, alarmType, state, timestamp: time, channel } = event;
  enqueue(toMqtt(context, { type: 'mqtt.alarm', alarmType, state, time, channel, alarmId }));
  for (const e of tellOpenSession({ context, event })) enqueue(e);
  for (const e of tellDetector({ context, event })) enqueue(e);
});

/** BatteryChange (I.2.27): recorded and published (retained). */
export const battery = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context, event }) => {
  if (event.type !== 'vd.battery') return;
  enqueue.assign(a.onBattery({ context, event }));
  enqueue(toMqtt(context, { type: 'mqtt.battery', battery: event.battery }));
});
