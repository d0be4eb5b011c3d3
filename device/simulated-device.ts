/**
 * A simulated PU: the client machine driven with real HTTPS and WebSocket, and a simulated camera
 * behind it. The API tests and load runs use.
 * @module
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { CameraOptions } from './camera-options.ts';
import { SimulatedCamera } from './camera.ts';
import { realClock, type DeviceClock } from './clock.ts';
import { DeviceHttp, type DeviceTls, type FetchLike } from './http.ts';
import { silentLogger, type DeviceLogger } from './logger.ts';
import { createPuClientMachine, type PuClientContext, type PuClientMachine, type PuClientSnapshot, type VsOutcome } from './pu-client.machine.ts';
import { puClientState, type PuClientState } from './pu-client.rules.ts';
import type { VdTraffic } from './vd-session.ts';
import { vdSocketLogic } from './vd-link.ts';
import { getServerAddr } from './vs-client.ts';
import { Sleeper, type SleepOptions } from './battery-sleep.ts';
import { normalizeMac } from '../protocol/identity.ts';

/** The `sdk` value of Table 9-3 this SDK sends. */
export const SDK_VERSION = 'h627-device-sdk/0.1.0';
/** Entries kept in `received` and `sent` (oldest dropped), so long load runs stay bounded. Simulator's choice. */
export const TRAFFIC_LOG_MAX_ENTRIES = 1_000;
/** Default `waitFor` timeout, ms. */
export const WAIT_FOR_DEFAULT_MS = 10_000;

/** What a simulated device is built with. Camera options (capabilities, timings, media…) pass through. */
export interface SimulatedDeviceOptions extends Omit<CameraOptions, 'id' | 'mac' | 'clock' | 'http'> {
  /** Vs base URL, e.g. `https://127.0.0.1:8443`. */
  server: string;
  id: string;
  password: string;
  mac: string;
  tls?: DeviceTls;
  /** Clock for every timer (XState's SimulatedClock in tests). */
  clock?: DeviceClock;
  /** Uniform [0, 1) draws for the reconnect backoff. */
  random?: () => number;
  sdk?: string;
  /** Log in with login_ts/login_nonce/login_sig instead of login_passwd. */
  signedLogin?: boolean;
  /** Heartbeat interval that overrides GetServerInfo's, seconds. */
  hbOverrideS?: number;
  /** How long a reboot keeps the device down, ms. */
  bootMs?: number;
  fetch?: FetchLike;
  /** Open the Vd socket (default: Bun's WebSocket with `tls`); a seam for unit tests. */
  openSocket?: (url: string) => WebSocket;
  /** Where state-change lines go (default: nowhere; the CLI writes JSON lines). */
  logger?: DeviceLogger;
  /** A battery camera that sleeps when idle and wakes on TOWAKEUP (device/battery-sleep.ts). */
  sleep?: SleepOptions;
}

/** A platform message as the device received it, with the answer it gave. */
export interface ReceivedMessage {
  /** Device clock, ms. */
  at: number;
  kind: 'request' | 'event' | 'invalid';
  name?: string;
  seq?: number;
  params?: unknown;
  answer?: { resp: unknown } | { err: { code: number; msg: string } };
  reason?: string;
}

/** A frame the device sent. */
export type SentMessage = VdTraffic & { at: number };

/** A state change. */
export interface StateChange {
  device: string;
  state: PuClientState;
  previous: PuClientState;
  reason: string;
  context: PuClientContext;
}

type Listeners = { state: (change: StateChange) => void; message: (message: ReceivedMessage) => void; sent: (message: SentMessage) => void };

/**
 * A simulated camera that schedules through Vs, logs in over Vd and answers the platform.
 * @example
 * const dev = new SimulatedDevice({ server: platform.url, id: 'cam-1', password: 'pw', mac: 'a0b1c2d3e4f5', tls: { rejectUnauthorized: false } })
 * await dev.start(); await dev.waitFor('online'); await dev.camera.raiseAlarm(3); await dev.stop()
 */
export class SimulatedDevice {
  readonly id: string;
  readonly mac: string;
  readonly camera: SimulatedCamera;
  /** Platform requests and events, newest last, with the answers given. */
  readonly received: ReceivedMessage[] = [];
  /** Frames sent to the platform, newest last. */
  readonly sent: SentMessage[] = [];
  private readonly actor: Actor<PuClientMachine>;
  private readonly listeners: { [K in keyof Listeners]: Set<Listeners[K]> } = { state: new Set(), message: new Set(), sent: new Set() };
  private readonly awaitingAnswer = new Map<number, ReceivedMessage>();
  private readonly logger: DeviceLogger;
  private label: PuClientState = 'stopped';
  /** The hibernation server and token GetServerInfo last gave. */
  private hibernation: { address: string; token: string } | undefined;
  /** Sleeps when idle (a battery camera), if asked to. */
  readonly sleeper: Sleeper | undefined;

  constructor(options: SimulatedDeviceOptions) {
    const clock = options.clock ?? realClock;
    const http = new DeviceHttp(options.tls, options.fetch);
    this.id = options.id;
    this.mac = options.mac;
    this.logger = options.logger ?? silentLogger;
    this.camera = new SimulatedCamera({ ...options, clock, http });
    this.camera.onReboot = (reason) => this.actor.send({ type: 'device.reboot', reason });
    const machine = createPuClientMachine(options.random).provide({
      actors: {
        vsSchedule: fromPromise<VsOutcome, { mac: string }>(async ({ input }) => {
          const resp = await getServerAddr(http, options.server, input.mac);
          return { resp, deviceNowMs: this.camera.time.now() };
        }),
        vdSocket: vdSocketLogic({
          camera: this.camera,
          password: options.password,
          signedLogin: options.signedLogin ?? false,
          sdk: options.sdk ?? SDK_VERSION,
          http,
          clock,
          onTraffic: (traffic) => this.record(traffic),
          log: (line) => this.note(line),
          ...(options.openSocket ? { openSocket: options.openSocket } : {}),
          onServerInfo: (resp) => {
            this.hibernation = resp.hibernation && resp.hb_token ? { address: resp.hibernation, token: resp.hb_token } : undefined;
          },
        }),
      },
      actions: {
        'clock.set': (_, params) => {
          this.camera.time.adjust(params.syncTimeMs - params.deviceNowMs);
          this.note(`clock reset from Vs SyncTime (was off by ${((params.deviceNowMs - params.syncTimeMs) / 1_000).toFixed(1)} s)`);
        },
        'device.powerOff': () => this.camera.powerOff(),
      },
    });
    const input = {
      deviceId: options.id,
      mac: options.mac,
      ...(options.hbOverrideS ? { hbOverrideS: options.hbOverrideS } : {}),
      ...(options.bootMs === undefined ? {} : { bootMs: options.bootMs }),
    };
    this.actor = createActor(machine, { clock, input });
    this.actor.subscribe((snapshot) => this.onSnapshot(snapshot));
    this.actor.start();
    this.sleeper = options.sleep ? this.sleepWhenIdle(options.sleep) : undefined;
  }

  /** A battery camera: sleeps when nothing keeps it awake, wakes on TOWAKEUP. */
  private sleepWhenIdle(opts: SleepOptions): Sleeper {
    const camera = this.camera;
    const sleeper = new Sleeper(
      {
        mac: normalizeMac(this.mac) ?? this.id,
        hibernation: () => this.hibernation,
        online: () => this.label === 'online',
        busy: () =>
          camera
            .keepalive()
            .channels.some(
              (c) => c.stream_id || c.record_session || camera.media.hooks.sdCard?.has(c.channel) || camera.awakeUntil(c.channel) > camera.time.now(),
            ),
        powerDown: () => {
          camera.battery?.sleep(true);
          this.actor.send({ type: 'device.stop' });
        },
        powerUp: () => {
          camera.battery?.sleep(false);
          this.actor.send({ type: 'device.start' });
        },
        log: (line) => this.note(line),
      },
      opts,
    );
    this.on('message', () => sleeper.touch());
    return sleeper;
  }

  /** The device's state in one word. */
  get state(): PuClientState {
    return this.label;
  }

  /** The client machine's snapshot. */
  get snapshot(): PuClientSnapshot {
    return this.actor.getSnapshot();
  }

  /** The client machine's context (failures, backoff, heartbeat interval, logins…). */
  get context(): PuClientContext {
    return this.snapshot.context;
  }

  /** Power on: schedule through Vs, then log in. Resolves at once; `waitFor('online')` to wait. */
  async start(): Promise<void> {
    this.camera.battery?.start();
    this.actor.send({ type: 'device.start' });
  }

  /** Power off: the connection closes and every timer stops. `start` may follow. */
  async stop(): Promise<void> {
    this.actor.send({ type: 'device.stop' });
    this.sleeper?.dispose();
    this.camera.dispose();
  }

  /** Reboot as if the power button was pressed. */
  reboot(reason = 'power cycle'): void {
    this.actor.send({ type: 'device.reboot', reason });
  }

  /** Report a binding code (Bind, I.2.3); throws when offline. */
  bind(bindId: string): void {
    this.camera.bind(bindId);
  }

  /**
   * Resolve when the device reaches a state, or a predicate over it holds; reject after `timeoutMs`.
   * @example await dev.waitFor((d) => d.received.some((m) => m.name === 'PushLive'), 5_000)
   */
  waitFor(target: PuClientState | ((device: SimulatedDevice) => boolean), timeoutMs = WAIT_FOR_DEFAULT_MS): Promise<void> {
    const holds = typeof target === 'function' ? () => target(this) : () => this.label === target;
    if (holds()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const offs = [this.on('state', check), this.on('message', check), this.on('sent', check)];
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.id}: waitFor(${typeof target === 'function' ? 'predicate' : target}) timed out after ${timeoutMs} ms in state ${this.label}`));
      }, timeoutMs);
      function done() {
        clearTimeout(timer);
        for (const off of offs) off();
      }
      function check() {
        if (!holds()) return;
        done();
        resolve();
      }
    });
  }

  /** Listen to state changes, received messages or sent frames; returns the unsubscribe function. */
  on<K extends keyof Listeners>(event: K, listener: Listeners[K]): () => void {
    const set = this.listeners[event] as Set<Listeners[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  private onSnapshot(snapshot: PuClientSnapshot): void {
    const state = puClientState(snapshot);
    if (state === this.label) return;
    const change: StateChange = { device: this.id, state, previous: this.label, reason: snapshot.context.reason, context: snapshot.context };
    this.label = state;
    this.camera.log(`state ${state}: ${change.reason}`);
    const { failures, backoffMs, hbIntervalS } = snapshot.context;
    const extra = state === 'backoff' ? { failures, backoff_s: backoffMs / 1_000 } : state === 'online' ? { hb_interval_s: hbIntervalS } : {};
    this.logger({ time: new Date(this.camera.time.now()).toISOString(), device: this.id, state, previous: change.previous, reason: change.reason, ...extra });
    for (const listener of this.listeners.state) listener(change);
  }

  /** Keep a frame in `received`/`sent` and tell listeners. */
  private record(traffic: VdTraffic): void {
    const at = this.camera.time.now();
    if (traffic.direction === 'out') {
      const sent: SentMessage = { ...traffic, at };
      push(this.sent, sent);
      const asked = traffic.seq === undefined ? undefined : this.awaitingAnswer.get(traffic.seq);
      if (asked !== undefined && (traffic.kind === 'response' || traffic.kind === 'error')) {
        asked.answer = traffic.kind === 'response' ? { resp: traffic.resp } : { err: traffic.err! };
        this.awaitingAnswer.delete(traffic.seq!);
      }
      for (const listener of this.listeners.sent) listener(sent);
      return;
    }
    if (traffic.kind === 'response' || traffic.kind === 'error') return; // answers to our own requests
    const message: ReceivedMessage = { at, kind: traffic.kind === 'request' ? 'request' : traffic.kind === 'event' ? 'event' : 'invalid' };
    for (const key of ['name', 'seq', 'params', 'reason'] as const) if (traffic[key] !== undefined) Object.assign(message, { [key]: traffic[key] });
    push(this.received, message);
    if (message.kind !== 'event' && message.seq !== undefined) this.awaitingAnswer.set(message.seq, message);
    this.camera.log(`received ${message.kind} ${message.name ?? ''}${message.seq === undefined ? '' : ` seq ${message.seq}`}`);
    for (const listener of this.listeners.message) listener(message);
  }

  /** A note: into the device log (not a state change). */
  private note(line: string): void {
    this.camera.log(line);
  }
}

function push<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > TRAFFIC_LOG_MAX_ENTRIES) list.splice(0, list.length - TRAFFIC_LOG_MAX_ENTRIES);
}
