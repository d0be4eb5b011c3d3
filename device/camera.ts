/**
 * The simulated camera behind the PU client: channels, PTZ heads, configuration, clock, SD card,
 * firmware, battery, alarms, pictures, media hooks and the device log. It answers what Table 9-4
 * asks of a PU (through handlers.ts) and reports its status for Keepalive and DevStatus.
 * @module
 */
import {
  Capabilities,
  CHANNEL_STATE,
  DEVICE_STATE,
  type AlarmType,
  type DevStatusResp,
  type KeepAwakenParams,
  type KeepaliveParams,
  type LogDoneParams,
  type LogUploadAsyncParams,
  type QueryVideoStatusResp,
  type SnapshotParams,
} from '../protocol/index.ts';
import { defaultAlarmState, raiseAlarm, snapshot, type AlarmOutcome, type AlarmState } from './camera-alarms.ts';
import { Battery, BATTERY_DEFAULTS } from './camera-battery.ts';
import { CameraConfig } from './camera-config.ts';
import { Disk, DISK_DEFAULTS } from './camera-disk.ts';
import { DeviceLog } from './camera-logs.ts';
import { CameraMedia, type MediaContext } from './camera-media.ts';
import {
  CAMERA_TIMINGS,
  DEFAULT_CAPABILITIES,
  DEFAULT_FIRMWARE_MODEL,
  DEFAULT_HARDWARE_MODEL,
  macAddr,
  networkDefaults,
  type CameraOptions,
  type CameraTimings,
  type NetworkStatus,
} from './camera-options.ts';
import { PtzHead } from './camera-ptz.ts';
import { Upgrade } from './camera-upgrade.ts';
import { DeviceTime, realClock, type DeviceClock } from './clock.ts';
import { DeviceHttp } from './http.ts';
import { ffmpegJpeg, type JpegSource } from './jpeg.ts';
import { channelNotFound, channelOffline, unsupported } from './vd-fault.ts';
import type { Uplink } from './vd-session.ts';

/** DevStatus `last_upgrade_datetime` of a device never upgraded: its factory date. */
const FACTORY_DATETIME = '2025-01-01T00:00:00';

/** One channel (camera head) and what it is doing. */
interface Channel {
  number: number;
  rebootTimer: unknown;
  streamId: string | undefined;
  recordSession: string | undefined;
  recordCbkUrl?: string | undefined;
  alarm: number;
  awakeUntilMs: number;
  playback: QueryVideoStatusResp;
  ptz: PtzHead;
}

/** The simulated camera. */
export class SimulatedCamera {
  readonly id: string;
  readonly mac: string;
  readonly hardwareModel: string;
  firmwareModel: string;
  readonly time: DeviceTime;
  readonly config: CameraConfig;
  readonly disk: Disk;
  readonly upgrade: Upgrade;
  readonly media: CameraMedia;
  readonly logs: DeviceLog;
  readonly battery: Battery | undefined;
  readonly http: DeviceHttp;
  /** Called when the camera reboots itself (after a firmware upgrade). */
  onReboot: (reason: string) => void = () => {};
  private readonly caps: Capabilities;
  private readonly channelsByNumber = new Map<number, Channel>();
  private readonly clock: DeviceClock;
  private readonly timings: CameraTimings;
  private readonly network: NetworkStatus;
  private readonly jpeg: JpegSource;
  private lastUpgradeAt: number | undefined;
  private link: Uplink | undefined;

  constructor(options: CameraOptions) {
    this.id = options.id;
    this.mac = options.mac;
    this.hardwareModel = options.hardwareModel ?? DEFAULT_HARDWARE_MODEL;
    this.firmwareModel = options.firmwareModel ?? DEFAULT_FIRMWARE_MODEL;
    this.clock = options.clock ?? realClock;
    this.timings = { ...CAMERA_TIMINGS, ...options.timings };
    this.http = options.http ?? new DeviceHttp(undefined);
    this.jpeg = options.jpeg ?? ffmpegJpeg;
    this.network = { ...networkDefaults(options.mac), ...options.network };
    this.caps = Capabilities.parse({
      ...DEFAULT_CAPABILITIES,
      ...options.capabilities,
      alarms: { ...DEFAULT_CAPABILITIES.alarms, ...options.capabilities?.alarms },
    });
    this.http.httpsUploads = this.caps.https;
    if (options.capabilities?.cloud_record === undefined) this.caps.cloud_record = options.media?.onStartRecord !== undefined;
    this.time = new DeviceTime(this.clock, options.clockSkewMs ?? 0, options.tz);
    const numbers = Array.from({ length: Math.max(1, options.channels ?? 1) }, (_, i) => i);
    for (const number of numbers) this.channelsByNumber.set(number, this.newChannel(number));
    this.config = new CameraConfig(numbers, this.caps, this.time, () => this.time.format());
    this.disk = new Disk(this.clock, { ...DISK_DEFAULTS, ...options.disk });
    this.logs = new DeviceLog(this.time, this.http, this.mac);
    this.media = new CameraMedia({ channel: (n, usable) => this.channel(n, usable), context: (n, ended) => this.mediaContext(n, ended) }, options.media);
    this.upgrade = new Upgrade({
      clock: this.clock,
      http: this.http,
      stepMs: this.timings.upgradeStepMs,
      rebootDelayMs: this.timings.upgradeRebootDelayMs,
      firmware: () => this.firmwareModel,
      install: (firmware) => {
        this.firmwareModel = firmware;
        this.lastUpgradeAt = this.time.now();
      },
      reboot: (reason) => this.onReboot(reason),
      log: (line) => this.log(line),
    });
    this.battery = this.caps.battery
      ? new Battery(
          this.clock,
          { ...BATTERY_DEFAULTS, ...options.battery },
          (battery) => this.sendBattery(battery),
          () => this.lowBattery(),
        )
      : undefined;
    this.battery?.start();
  }

  /** Channel numbers, ascending. */
  get channels(): number[] {
    return [...this.channelsByNumber.keys()];
  }

  /** GetCap answer: the capability set (NOTES 9). */
  capabilities(): Capabilities {
    return structuredClone(this.caps);
  }

  /** A channel, checked to exist (err 102) and, when `usable`, to be online and enabled (err 103). */
  channel(number: number, usable = false): Channel {
    const channel = this.channelsByNumber.get(number);
    if (channel === undefined) throw channelNotFound(number);
    if (usable && this.channelState(number) !== CHANNEL_STATE.online)
      throw channelOffline(number, channel.rebootTimer !== undefined ? 'rebooting' : 'disabled');
    return channel;
  }

  /** Keepalive `state` of a channel: 4 when switched off, 0 while rebooting, else 1 (I.2.1). */
  channelState(number: number): number {
    if (!this.config.channelOn(number)) return CHANNEL_STATE.disabled;
    return this.channelsByNumber.get(number)?.rebootTimer !== undefined ? CHANNEL_STATE.offline : CHANNEL_STATE.online;
  }

  /** Keepalive params (I.2.1, NOTES 2): device state, and each channel's state, stream, session and alarm flags. */
  keepalive(): KeepaliveParams {
    return {
      mac_id: this.mac,
      state: this.upgrade.busy ? DEVICE_STATE.upgrading : DEVICE_STATE.online,
      channels: [...this.channelsByNumber.values()].map((c) => ({
        channel: c.number,
        state: this.channelState(c.number) as KeepaliveParams['channels'][number]['state'],
        ...(c.streamId === undefined ? {} : { stream_id: c.streamId }),
        ...(c.recordSession === undefined ? {} : { record_session: c.recordSession }),
        alarm: c.alarm,
      })),
    };
  }

  /** DevStatus answer (I.2.11): every field. */
  devStatus(): DevStatusResp {
    return {
      dev_id: this.id,
      hardware_model: this.hardwareModel,
      firmware_model: this.firmwareModel,
      last_upgrade_datetime: this.lastUpgradeAt === undefined ? FACTORY_DATETIME : this.time.format(this.lastUpgradeAt),
      wifi_ssid: this.network.wifiSsid,
      wifi_signal: this.network.wifiSignal,
      up_bandwidth: this.network.upBandwidth,
      down_bandwidth: this.network.downBandwidth,
      ip_addr: this.network.ipAddr,
      mac_addr: macAddr(this.mac),
      ...(this.battery === undefined ? {} : { battery: this.battery.level }),
    };
  }

  /** The PTZ head of a channel; without the `ptz` capability, err 101. */
  ptz(channel: number): PtzHead {
    const head = this.channel(channel).ptz;
    if (!this.caps.ptz) throw unsupported('this camera has no PTZ');
    return head;
  }

  /** KeepAwaken (I.2.26): stay powered for at least `expired` seconds. */
  keepAwake(params: KeepAwakenParams): void {
    const channel = this.channel(params.channel);
    channel.awakeUntilMs = Math.max(channel.awakeUntilMs, this.time.now() + params.expired * 1_000);
  }

  /** Until when a channel must stay awake, device ms (0: no request). */
  awakeUntil(channel: number): number {
    return this.channel(channel).awakeUntilMs;
  }

  /** RebootChannel (I.2.4): the channel goes offline for a moment; its streams stop. */
  rebootChannel(number: number): void {
    const channel = this.channel(number);
    if (channel.rebootTimer !== undefined) return;
    this.log(`channel ${number} rebooting`);
    void this.media.stopChannel(number);
    channel.ptz.powerOff();
    channel.rebootTimer = this.clock.setTimeout(() => {
      channel.rebootTimer = undefined;
      this.log(`channel ${number} back online`);
    }, this.timings.channelRebootMs);
  }

  /** Snapshot (I.2.22): picture of an online channel, uploaded before the answer. */
  snapshot(params: SnapshotParams): Promise<Record<string, never>> {
    this.channel(params.channel, true);
    return snapshot(this.alarmHost(), params.channel, params.url);
  }

  /**
   * Raise an alarm on a channel; the state defaults to start ("state" types) or pulse ("single").
   * @example await dev.camera.raiseAlarm(3) // motion start on channel 0
   */
  raiseAlarm(type: AlarmType, state: AlarmState = defaultAlarmState(type), options: { channel?: number; desc?: string } = {}): Promise<AlarmOutcome> {
    return raiseAlarm(this.alarmHost(), type, state, options.channel ?? 0, options.desc ?? '');
  }

  /** LogUploadAsync (I.2.29): starts the upload; LogDone follows when it ends. */
  uploadLog(params: LogUploadAsyncParams): void {
    const send = (done: LogDoneParams) => (this.link ? this.link.event('LogDone', done) : this.log(`LogDone ${done.trans_id} not sent: offline`));
    this.clock.setTimeout(() => void this.logs.upload(params, send), 0); // after the answer has left (NOTES 11)
  }

  /** Bind (I.2.3, NOTES 13): report a binding code a user entered; throws when offline. */
  bind(bindId: string): void {
    this.requireLink('Bind').event('Bind', { mac_id: this.mac, bind_id: bindId });
  }

  /** The picture a channel sees now (JPEG). */
  picture(channel: number): Promise<Uint8Array<ArrayBuffer>> {
    const { pan, tilt, zoom } = this.channel(channel).ptz.position();
    const text = `${this.id} ch${channel} ${this.time.format()} pan ${pan.toFixed(0)} tilt ${tilt.toFixed(0)} zoom ${zoom.toFixed(1)}`;
    return this.jpeg({ ...this.config.pictureSize(channel), text });
  }

  /** A connection is up: messages to the platform go through it. */
  attach(uplink: Uplink): void {
    this.link = uplink;
    this.battery?.check();
  }

  /** The connection is gone (only `uplink`'s, when given: a newer connection may be attached already). */
  detach(uplink?: Uplink): void {
    if (uplink === undefined || this.link === uplink) this.link = undefined;
  }

  /** The live connection, if any. */
  get uplink(): Uplink | undefined {
    return this.link;
  }

  /** Power loss: streams and moves stop, alarms and playback clear; configuration and presets stay. */
  powerOff(): void {
    this.detach();
    this.upgrade.powerOff();
    for (const channel of this.channelsByNumber.values()) {
      void this.media.stopChannel(channel.number);
      channel.ptz.powerOff();
      channel.alarm = 0;
      if (channel.rebootTimer !== undefined) this.clock.clearTimeout(channel.rebootTimer);
      channel.rebootTimer = undefined;
    }
  }

  /** Stop every timer (the simulator is shutting down). */
  dispose(): void {
    this.powerOff();
    this.disk.dispose();
    this.battery?.dispose();
  }

  /** A line for the device log (uploaded by LogUploadAsync). */
  log(line: string): void {
    this.logs.append(line);
  }

  private newChannel(number: number): Channel {
    return {
      number,
      rebootTimer: undefined,
      streamId: undefined,
      recordSession: undefined,
      alarm: 0,
      awakeUntilMs: 0,
      playback: { status: 'stopped' },
      ptz: new PtzHead(this.clock),
    };
  }

  private mediaContext(channel: number, ended: () => void): MediaContext {
    return { deviceId: this.id, mac: this.mac, now: () => this.time.now(), log: (line) => this.log(`channel ${channel}: ${line}`), ended };
  }

  private alarmHost() {
    return {
      http: this.http,
      uplink: () => this.link,
      flags: (n: number) => this.channel(n),
      picture: (n: number) => this.picture(n),
      nowS: () => this.time.nowS(),
      log: (line: string) => this.log(line),
    };
  }

  private sendBattery(battery: number): boolean {
    if (this.link === undefined) return false;
    this.link.event('BatteryChange', { battery });
    return true;
  }

  private lowBattery(): void {
    this.raiseAlarm(8).catch((err: unknown) => this.log(`low-power alarm not sent: ${String(err)}`));
  }

  private requireLink(what: string): Uplink {
    if (this.link === undefined) throw new Error(`offline: ${what} not sent`);
    return this.link;
  }
}
