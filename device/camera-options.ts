/**
 * What a simulated camera is built with, and the simulator's defaults (capabilities, models,
 * timings, network) for everything not given.
 * @module
 */
import { Capabilities } from '../protocol/index.ts';
import type { BatteryOptions } from './camera-battery.ts';
import type { DiskOptions } from './camera-disk.ts';
import type { MediaHooks } from './camera-media.ts';
import type { DeviceClock } from './clock.ts';
import type { DeviceHttp } from './http.ts';
import type { JpegSource } from './jpeg.ts';

/** Timings of the simulated hardware, ms. */
export interface CameraTimings {
  /** A RebootChannel keeps the channel offline this long. */
  channelRebootMs: number;
  /** One 10 % step of a firmware upgrade. */
  upgradeStepMs: number;
  /** Pause between upgrade `done` and the reboot. */
  upgradeRebootDelayMs: number;
}
/** Defaults: a few seconds each, so a platform can watch the phases. Simulator's choice. */
export const CAMERA_TIMINGS: CameraTimings = { channelRebootMs: 3_000, upgradeStepMs: 500, upgradeRebootDelayMs: 1_000 };

/** Network facts DevStatus reports (I.2.11). */
export interface NetworkStatus {
  wifiSsid: string;
  wifiSignal: number;
  upBandwidth: number;
  downBandwidth: number;
  ipAddr: string;
}

/** Capability overrides; unspecified ones take the simulator's defaults. */
export type CapabilityOverrides = Partial<Omit<Capabilities, 'alarms'>> & { alarms?: Partial<Capabilities['alarms']> };

/** A PTZ indoor camera with motion, human and sound detection, mains powered. Simulator's choice. */
export const DEFAULT_CAPABILITIES: Capabilities = Capabilities.parse({
  ptz: true,
  battery: false,
  media_protocol: 'srt',
  audio_out: true,
  https: true,
  switch: true,
  led: true,
  alarms: { motion: true, body: true, voice: true },
});

/** What a camera is built with. */
export interface CameraOptions {
  id: string;
  mac: string;
  /** Number of channels, numbered 0..N-1 (NOTES 1). */
  channels?: number;
  hardwareModel?: string;
  firmwareModel?: string;
  capabilities?: CapabilityOverrides;
  clock?: DeviceClock;
  /** How far the device clock starts from the injected clock, ms (Vs SyncTime corrects it). */
  clockSkewMs?: number;
  tz?: number;
  timings?: Partial<CameraTimings>;
  battery?: Partial<BatteryOptions>;
  disk?: Partial<DiskOptions>;
  media?: MediaHooks;
  http?: DeviceHttp;
  jpeg?: JpegSource;
  network?: Partial<NetworkStatus>;
}

/** The hardware model when none is given. */
export const DEFAULT_HARDWARE_MODEL = 'H627-SIM-PTZ';
/** The firmware version when none is given. */
export const DEFAULT_FIRMWARE_MODEL = '1.0.0';

/** `a0b1c2d3e4f5` → `A0:B1:C2:D3:E4:F5`, as cameras print it; other identities as given. */
export function macAddr(mac: string): string {
  return /^[0-9a-f]{12}$/i.test(mac) ? mac.toUpperCase().match(/../g)!.join(':') : mac;
}

/** A home Wi-Fi network, with an address derived from the MAC so N devices differ. */
export function networkDefaults(mac: string): NetworkStatus {
  const hex = mac.replace(/[^0-9a-f]/gi, '').padStart(4, '0');
  const host = (Number.parseInt(hex.slice(-2), 16) % 253) + 2;
  const subnet = Number.parseInt(hex.slice(-4, -2), 16) || 1;
  return { wifiSsid: 'h627-lab', wifiSignal: 78, upBandwidth: 4_000_000, downBandwidth: 20_000_000, ipAddr: `192.168.${subnet}.${host}` };
}
