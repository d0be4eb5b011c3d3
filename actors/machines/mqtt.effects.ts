/** The mqtt machine's effects (see actors/host/effect-catalog.ts). */
import { z } from 'zod';
import type { EffectCallOf, EffectCatalog, EffectHandlersFor } from '../host/effect-catalog.ts';
import type { MqttContext } from './mqtt.types.ts';

const Publication = z.looseObject({ id: z.number().int(), kind: z.enum(['state', 'alarm', 'battery', 'discovery', 'detection', 'sensors']) });

/** Every effect the mqtt machine emits. */
export const mqttEffects = {
  'mqtt.publish': {
    params: z.strictObject({
      publications: z.array(Publication),
      /** Ids of every alarm the actor has waiting (the publisher's bound over all devices, MQTT_WAITING_ALARMS_MAX). */
      waitingAlarms: z.array(z.number().int()),
    }),
    does: "Publish each publication on the device's topics, QoS 1, and answer the actor with `mqtt.acked` once the broker's PUBACK came.",
    idempotent:
      'The publisher keeps one copy of each publication (`<actor>:<id>`) in flight: a resend of one in flight does nothing; a publication acked twice is removed once. A subscriber may see one twice (QoS 1 is at least once).',
    ifLost: 'The publications stay in the actor until acked: its retry timer (persisted) sends them again, after a restart too.',
  },
  'mqtt.dropped': {
    params: z.strictObject({ ids: z.array(z.number().int()) }),
    does: 'Log the alarms dropped to keep the bound of waiting publications.',
    idempotent: 'A log line.',
    ifLost: 'The count stays in the context (`dropped`).',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the mqtt machine's effects. */
export type MqttEffectHandlers = EffectHandlersFor<typeof mqttEffects, MqttContext>;

/** What the handler of the mqtt machine's effect `K` is given. */
export type MqttEffectCall<K extends keyof typeof mqttEffects> = EffectCallOf<typeof mqttEffects, MqttContext, K>;
