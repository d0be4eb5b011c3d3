/**
 * The mqtt actor: one per device, the durable queue of what the platform decided to publish about it on MQTT
 * (docs/mqtt.md). Its pu tells it (an outbox row committed with the pu's transition); it keeps each publication
 * until the broker's PUBACK comes back as `mqtt.acked`, asks the publisher to send it after every commit that adds
 * one, and again on a retry timer with backoff while any waits: a broker outage or a restart loses nothing.
 * Bounded: one waiting state and one battery (retained topics: only the latest matters), and at most
 * MQTT_PENDING_PER_DEVICE_MAX in all, the oldest alarms and detections dropped first (the `mqtt.dropped` effect logs
 * them). A detection of a class not seen before brings its Home Assistant binary sensor's config (`sensors`).
 */
import { assign, cancel, enqueueActions, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import { mqttEffects } from './mqtt.effects.ts';
import type { MqttContext, MqttEvent, MqttInput, MqttMessage, MqttPublication } from './mqtt.types.ts';

export type { MqttContext, MqttDeviceState, MqttEvent, MqttInput, MqttMessage, MqttPublication } from './mqtt.types.ts';

/** Most publications one device's actor keeps waiting for a PUBACK (platform's choice: a burst of alarms through an outage). */
export const MQTT_PENDING_PER_DEVICE_MAX = 32;
/** First retry of waiting publications after this (platform's choice). */
export const MQTT_RETRY_BASE_MS = 1000;
/** Retries back off by doubling up to this (platform's choice: a broker back after an outage hears within a minute). */
export const MQTT_RETRY_MAX_MS = 60_000;
/** The retry timer's id. */
export const MQTT_RETRY_TIMER = 'mqtt.retry';

/** The delay of retry number `attempt` (0 first): doubling from MQTT_RETRY_BASE_MS, at most MQTT_RETRY_MAX_MS. */
export function mqttRetryDelayMs(attempt: number): number {
  return Math.min(MQTT_RETRY_MAX_MS, MQTT_RETRY_BASE_MS * 2 ** attempt);
}

/** The message an event asks to publish (none for acks and retries). */
function messageOf(e: MqttEvent): MqttMessage | undefined {
  if (e.type === 'mqtt.state') return { kind: 'state', state: e.state, reason: e.reason, since: e.since };
  if (e.type === 'mqtt.battery') return { kind: 'battery', battery: e.battery };
  if (e.type === 'mqtt.detection') {
    const { type: _, at: __, ...d } = e;
    return { kind: 'detection', ...d };
  }
  if (e.type === 'mqtt.alarm')
    return { kind: 'alarm', type: e.alarmType, state: e.state, time: e.time, channel: e.channel, ...(e.alarmId ? { alarmId: e.alarmId } : {}) };
  return undefined;
}

/**
 * Add what the event asks to publish: a state or battery replaces the one waiting (retained: the latest wins), the
 * first state brings the discovery configs, and past the bound the oldest alarms go. Returns the new context and
 * the publications to send now and the ids dropped.
 */
export function addPublications(c: MqttContext, e: MqttEvent): { context: Partial<MqttContext>; send: MqttPublication[]; dropped: number[] } {
  const m = messageOf(e);
  if (!m) return { context: {}, send: [], dropped: [] };
  let nextId = c.nextId;
  const adds: MqttPublication[] = [];
  if (m.kind === 'state' && !c.discovered) adds.push({ kind: 'discovery', id: nextId++ });
  const known = c.sensors ?? [];
  const sensors = m.kind === 'detection' && m.classes.some((k) => !known.includes(k)) ? [...known, ...m.classes.filter((k) => !known.includes(k))] : known;
  if (sensors !== known) adds.push({ kind: 'sensors', classes: sensors, id: nextId++ });
  adds.push({ ...m, id: nextId++ });
  const kinds = new Set(adds.map((p) => p.kind));
  let pending = [...c.pending.filter((p) => isEvent(p) || !kinds.has(p.kind)), ...adds];
  const dropped: number[] = [];
  while (pending.length > MQTT_PENDING_PER_DEVICE_MAX) {
    const oldest = pending.findIndex(isEvent);
    if (oldest < 0) break; // never: at most one state, one battery, one discovery and one sensors are not events
    dropped.push(pending[oldest]!.id);
    pending = pending.filter((_, i) => i !== oldest);
  }
  const send = adds.filter((p) => !dropped.includes(p.id));
  return {
    context: {
      pending,
      nextId,
      discovered: c.discovered || m.kind === 'state',
      dropped: c.dropped + dropped.length,
      ...(sensors !== known ? { sensors } : {}),
    },
    send,
    dropped,
  };
}

const retry = (attempt: number) => ({ id: MQTT_RETRY_TIMER, delay: mqttRetryDelayMs(attempt) });

/** The publications the last event added (ids in `fresh`). */
const freshOf = ({ context }: { context: MqttContext }) => ({
  publications: context.pending.filter((p) => context.fresh.includes(p.id)),
  waitingAlarms: alarmIds(context),
});

/** Alarms and detections: events, each published once, the oldest dropped past the bounds (the rest are retained states). */
const isEvent = (p: MqttPublication) => p.kind === 'alarm' || p.kind === 'detection';

/** Ids of the alarms and detections waiting (the publisher sums them over devices: MQTT_WAITING_ALARMS_MAX). */
const alarmIds = (c: MqttContext) => c.pending.filter(isEvent).map((p) => p.id);

/** Drop the `count` oldest waiting alarms (the publisher's bound over all devices). */
export function shedAlarms(c: MqttContext, count: number): Partial<MqttContext> {
  const gone = alarmIds(c).slice(0, Math.max(0, count));
  return { pending: c.pending.filter((p) => !gone.includes(p.id)), lastDropped: gone, dropped: c.dropped + gone.length };
}

/** The `mqtt.dropped` effect for the alarms the last step dropped. */
const DROPPED = { type: 'mqtt.dropped', params: ({ context }: { context: MqttContext }) => ({ ids: context.lastDropped }) } as const;

export const mqttMachine = setup({
  types: {} as { context: MqttContext; events: MqttEvent; input: MqttInput },
  guards: {
    allAcked: ({ context, event }) => event.type === 'mqtt.acked' && context.pending.every((p) => event.ids.includes(p.id)),
    /** The last publication added dropped alarms (the bound). */
    dropped: ({ context }) => context.lastDropped.length > 0,
    /** Shedding leaves nothing waiting (only alarms waited). */
    shedsAll: ({ context, event }) => event.type === 'mqtt.shed' && (shedAlarms(context, event.count).pending ?? []).length === 0,
  },
  actions: {
    'mqtt.publish': effect(mqttEffects, 'mqtt.publish'),
    'mqtt.dropped': effect(mqttEffects, 'mqtt.dropped'),
    /** Take the event's publication (and drop what the bound says); its ids go in `fresh`, the dropped in `lastDropped`. */
    add: assign(({ context, event }) => {
      const added = addPublications(context, event);
      return { ...added.context, fresh: added.send.map((p) => p.id), lastDropped: added.dropped };
    }),
    /** (Re-)arm the retry timer at the current backoff (entering `waiting`, after each publication added). */
    arm: enqueueActions<MqttContext, MqttEvent, undefined, MqttEvent, never, never, never, never, never>(({ enqueue, context }) => {
      enqueue.cancel(MQTT_RETRY_TIMER);
      enqueue.raise({ type: 'mqtt.retry' }, retry(context.attempt));
    }),
    acked: assign(({ context, event }) => (event.type === 'mqtt.acked' ? { pending: context.pending.filter((p) => !event.ids.includes(p.id)) } : {})),
    /** Count a retry and re-arm the timer, backing off. */
    backOff: enqueueActions<MqttContext, MqttEvent, undefined, MqttEvent, never, never, never, never, never>(({ enqueue, context }) => {
      enqueue.assign({ attempt: context.attempt + 1 });
      enqueue.cancel(MQTT_RETRY_TIMER);
      enqueue.raise({ type: 'mqtt.retry' }, retry(context.attempt + 1));
    }),
    shed: assign(({ context, event }) => (event.type === 'mqtt.shed' ? shedAlarms(context, event.count) : {})),
    settled: assign({ attempt: 0, fresh: [], lastDropped: [] }),
    disarm: cancel(MQTT_RETRY_TIMER),
  },
}).createMachine({
  id: 'mqtt',
  context: ({ input }) => ({ deviceId: input.deviceId, pending: [], nextId: 1, attempt: 0, discovered: false, dropped: 0, fresh: [], lastDropped: [] }),
  initial: 'idle',
  on: {
    'mqtt.state': '.adding',
    'mqtt.alarm': '.adding',
    'mqtt.battery': '.adding',
    'mqtt.detection': '.adding',
  },
  states: {
    idle: {},
    // A transient step: add, publish what was added, log what the bound dropped; then wait for the PUBACKs.
    adding: {
      entry: ['add', { type: 'mqtt.publish', params: freshOf }],
      always: [{ guard: 'dropped', target: 'waiting', actions: DROPPED }, { target: 'waiting' }],
    },
    waiting: {
      entry: 'arm',
      on: {
        'mqtt.acked': [{ guard: 'allAcked', target: 'idle', actions: ['acked', 'settled', 'disarm'] }, { actions: 'acked' }],
        'mqtt.retry': {
          actions: [{ type: 'mqtt.publish', params: ({ context }) => ({ publications: context.pending, waitingAlarms: alarmIds(context) }) }, 'backOff'],
        },
        'mqtt.shed': [{ guard: 'shedsAll', target: 'idle', actions: ['shed', DROPPED, 'settled', 'disarm'] }, { actions: ['shed', DROPPED] }],
      },
    },
  },
});

/** The mqtt machine as the host registers it. */
export const mqttV1: MachineDef = { type: 'mqtt', version: 1, machine: mqttMachine, optional: true };
