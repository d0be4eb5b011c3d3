/**
 * The MQTT publisher (docs/mqtt.md): one MQTT.js client per node, which runs the mqtt actors' `mqtt.publish`
 * effects. Each publication goes out QoS 1; when the broker's PUBACK has come for all its messages the actor is told
 * `mqtt.acked`, and only then forgets it. While the broker is away MQTT.js reconnects and sends what it queued; the
 * actor's retry timer offers what waits again (after a restart too). One copy of a publication is in flight at a
 * time, and at most MQTT_IN_FLIGHT_MAX in all: the rest waits in its actor.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { ActorHost } from '../../actors/host/host.ts';
import type { MqttEffectHandlers } from '../../actors/machines/mqtt.effects.ts';
import type { MqttPublication } from '../../actors/machines/mqtt.types.ts';
import type { Logger } from '../../lib/log.ts';
import { type MqttTopics, wireMessages } from './messages.ts';

/** Publications this node holds in MQTT.js's queue at once, all devices together (platform's choice); more wait in their actors. */
export const MQTT_IN_FLIGHT_MAX = 10_000;
/**
 * Alarms waiting for the broker over all devices this node publishes for (platform's choice: at 32 a device, 3,125
 * devices' worth); past it the actor that adds one drops its oldest (`mqtt.shed`), as it does past its own bound.
 */
export const MQTT_WAITING_ALARMS_MAX = 100_000;
/** An in-flight publication older than this is offered again (its PUBACK was lost with a connection; platform's choice). */
export const MQTT_IN_FLIGHT_STALE_MS = 120_000;
/** Delay between reconnection attempts to the broker (platform's choice). */
export const MQTT_RECONNECT_MS = 1000;
/** How long a connection attempt to the broker may take (platform's choice). */
export const MQTT_CONNECT_TIMEOUT_MS = 10_000;

/** Where and how to connect (lib/config.ts `mqtt`). */
export interface MqttSettings {
  url: string;
  username?: string;
  password?: string;
  topicPrefix: string;
  discoveryPrefix: string;
}

/** Runs the mqtt machine's effects against one broker. */
export class MqttPublisher {
  private client: MqttClient;
  /** `<actor>:<publication id>` → when it was handed to MQTT.js. */
  private inFlight = new Map<string, number>();
  private topics: MqttTopics;
  private warnedFull = false;
  /** Ids of the alarms each actor has waiting, as its last `mqtt.publish` said, less those acknowledged since. */
  private waitingAlarms = new Map<string, Set<number>>();
  private waitingAlarmCount = 0;

  constructor(
    settings: MqttSettings,
    private deps: {
      host: Pick<ActorHost, 'send'>;
      log: Logger;
      baseUrl: () => string;
      clientId: string;
      now?: () => number;
      /** MQTT_WAITING_ALARMS_MAX unless given (tests). */
      waitingAlarmsMax?: number;
    },
  ) {
    this.topics = { topicPrefix: settings.topicPrefix, discoveryPrefix: settings.discoveryPrefix, baseUrl: deps.baseUrl };
    this.client = mqtt.connect(settings.url, {
      clientId: deps.clientId,
      username: settings.username,
      password: settings.password,
      reconnectPeriod: MQTT_RECONNECT_MS,
      connectTimeout: MQTT_CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
    });
    let connected = false;
    // A broker that stays away fails every reconnect the same way: logged once until it changes or the broker is back.
    let lastError = '';
    this.client.on('connect', () => {
      connected = true;
      lastError = '';
      deps.log.info({ url: redact(settings.url) }, 'connected to the MQTT broker');
    });
    this.client.on('close', () => {
      if (connected) deps.log.warn({ url: redact(settings.url) }, 'MQTT broker connection lost; reconnecting');
      connected = false;
    });
    this.client.on('error', (err) => {
      if (err.message !== lastError) deps.log.warn({ err: err.message }, 'MQTT client error');
      lastError = err.message;
    });
  }

  /** The handlers of the mqtt machine's effects. */
  effects(): MqttEffectHandlers {
    return {
      'mqtt.publish': (call) => {
        this.noteWaiting(call.actorId, call.params.waitingAlarms);
        this.publish(call.actorId, call.context.deviceId, call.params.publications as MqttPublication[]);
      },
      'mqtt.dropped': (call) => {
        for (const id of call.params.ids) this.forget(call.actorId, id);
        this.deps.log.warn({ device: call.context.deviceId, publications: call.params.ids }, 'MQTT alarms dropped: too many waiting for the broker');
      },
    };
  }

  /** Hand each publication not already in flight to MQTT.js; tell the actor once all its messages were acknowledged. */
  publish(actorId: string, deviceId: string, publications: MqttPublication[]): void {
    const now = (this.deps.now ?? Date.now)();
    for (const p of publications) {
      const key = `${actorId}:${p.id}`;
      const since = this.inFlight.get(key);
      if (since !== undefined && now - since < MQTT_IN_FLIGHT_STALE_MS) continue;
      if (since === undefined && this.inFlight.size >= MQTT_IN_FLIGHT_MAX) {
        if (!this.warnedFull) this.deps.log.warn({ max: MQTT_IN_FLIGHT_MAX }, 'MQTT publications in flight at their bound; the rest wait in their actors');
        this.warnedFull = true;
        continue;
      }
      this.inFlight.set(key, now);
      const sends = wireMessages(this.topics, deviceId, p).map((m) => this.client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain }));
      Promise.all(sends).then(
        () => {
          this.inFlight.delete(key);
          this.warnedFull = false;
          this.forget(actorId, p.id);
          this.deps.host.send(actorId, { type: 'mqtt.acked', ids: [p.id] });
        },
        (err: unknown) => {
          this.inFlight.delete(key); // the actor's retry timer offers it again
          this.deps.log.warn({ device: deviceId, publication: p.id, err: String(err) }, 'MQTT publication not acknowledged; retried');
        },
      );
    }
  }

  /** Record an actor's waiting alarms; past MQTT_WAITING_ALARMS_MAX over all, tell it to drop its oldest. */
  private noteWaiting(actorId: string, ids: number[]): void {
    this.waitingAlarmCount += ids.length - (this.waitingAlarms.get(actorId)?.size ?? 0);
    if (ids.length > 0) this.waitingAlarms.set(actorId, new Set(ids));
    else this.waitingAlarms.delete(actorId);
    const over = this.waitingAlarmCount - (this.deps.waitingAlarmsMax ?? MQTT_WAITING_ALARMS_MAX);
    if (over > 0 && ids.length > 0) this.deps.host.send(actorId, { type: 'mqtt.shed', count: Math.min(over, ids.length) });
  }

  /** An acknowledged publication no longer waits. */
  private forget(actorId: string, id: number): void {
    const ids = this.waitingAlarms.get(actorId);
    if (!ids?.delete(id)) return;
    this.waitingAlarmCount--;
    if (ids.size === 0) this.waitingAlarms.delete(actorId);
  }

  /** Alarms waiting over all devices, as this node knows them. */
  get waitingAlarmTotal(): number {
    return this.waitingAlarmCount;
  }

  /** Publications handed to MQTT.js and not yet acknowledged. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Disconnect (what is not acknowledged waits in its actor for the next start). */
  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** A broker URL without its password, for logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
