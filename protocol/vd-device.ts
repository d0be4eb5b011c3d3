/**
 * Vd device management messages: heartbeat, server info, binding, reboot, reschedule, firmware,
 * time, status, power (H.627.2 I.2.1–I.2.11, I.2.26, I.2.27).
 * @module
 */
import { z } from 'zod';
import {
  BANDWIDTH_MAX_BPS,
  BATTERY_MAX_PCT,
  BATTERY_MIN_PCT,
  CHANNEL_STATE,
  CHANNELS_MAX,
  DEVICE_SECONDS_MAX_S,
  DEVICE_STATE,
  HB_INTERVAL_MAX_S,
  HB_TOKEN_MAX_CHARS,
  HOST_MAX_CHARS,
  PORT_MAX,
  UINT32_MAX,
  UPGRADE_PROGRESS_MAX_PCT,
  UPGRADE_PROGRESS_MIN_PCT,
  WIFI_SIGNAL_MAX,
  WIFI_SIGNAL_MIN,
} from './constants.ts';
import { text } from './text.ts';
import { Channel, DateTime, DeviceDateTime, EmptyResp, int, MacId, NoParams, optional, OptionalText, optionalText, Text, Tz, Url } from './vd-common.ts';

/** Device `state`: 1 online, 2 upgrading, 3 error (I.2.1). */
export const DeviceState = z.literal(Object.values(DEVICE_STATE));
/** Channel `state`: 0 offline, 1 online, 3 error, 4 disabled (I.2.1). */
export const ChannelState = z.literal(Object.values(CHANNEL_STATE));
/** A battery level in percent (I.2.11, I.2.27). */
export const Battery = int(BATTERY_MIN_PCT, BATTERY_MAX_PCT);

// ── Keepalive (I.2.1, NOTES 2) ──

/** One channel's status in a Keepalive. */
export const KeepaliveChannel = z.object({
  channel: Channel,
  state: ChannelState,
  /** The stream the channel is pushing (PushLive's `stream_id`); absent, null or '' when not pushing. */
  stream_id: OptionalText,
  /** The record session the channel is recording (StartRecord's `session_id`); absent when not recording. */
  record_session: OptionalText,
  /** Alarm flags: type t is bit `1 << t` (NOTES 2); a 32-bit mask. */
  alarm: optional(int(0, UINT32_MAX)),
});
/** One channel's status in a Keepalive. */
export type KeepaliveChannel = z.infer<typeof KeepaliveChannel>;

/** Keepalive request: the PU's periodic status report. */
export const KeepaliveParams = z.object({ mac_id: MacId, state: DeviceState, channels: z.array(KeepaliveChannel).max(CHANNELS_MAX) });
/** Keepalive request. */
export type KeepaliveParams = z.infer<typeof KeepaliveParams>;
/** Keepalive answer: `{}` (the I.2.1 "Response content" cell documents `alarm`, NOTES 2). */
export const KeepaliveResp = EmptyResp;
/** Keepalive answer. */
export type KeepaliveResp = z.infer<typeof KeepaliveResp>;

// ── GetServerInfo (I.2.2, NOTES 7) ──

const HOST_PORT = /^(\S+):(\d{1,5})$/;
/** Characters of `:65535` after the host. */
const PORT_SUFFIX_MAX_CHARS = 6;

/** True when `text` is `host:port` with a port in range. */
function isHostPort(text: string): boolean {
  const port = HOST_PORT.exec(text)?.[2];
  return port !== undefined && Number(port) <= PORT_MAX;
}

/** A server address `host:port` (GetServerInfo `hibernation`). */
export const HostPort = text(HOST_MAX_CHARS + PORT_SUFFIX_MAX_CHARS, 1).refine(isHostPort, 'expected host:port');

/** GetServerInfo request: `{mac_id, state}` (H.627.2) or no params (OVC). */
export const GetServerInfoParams = z.object({ mac_id: MacId, state: optional(DeviceState) }).optional();
/** GetServerInfo request. */
export type GetServerInfoParams = z.infer<typeof GetServerInfoParams>;
/** GetServerInfo answer: hibernation server, heartbeat interval, hibernation token. */
export const GetServerInfoResp = z.object({
  /** Hibernation server `IP:port`; absent, null or '' when hibernation is not available. */
  hibernation: optionalText(HostPort),
  /** Heartbeat interval in seconds; HB_INTERVAL_DEFAULT_S when absent. */
  hb_interval: optional(int(1, HB_INTERVAL_MAX_S)),
  /** Hibernation token, at most HB_TOKEN_MAX_CHARS characters. */
  hb_token: optional(text(HB_TOKEN_MAX_CHARS)),
});
/** GetServerInfo answer. */
export type GetServerInfoResp = z.infer<typeof GetServerInfoResp>;

// ── Bind, RebootChannel, RebootDevice, Reschedule, UpgradeFirmware (I.2.3–I.2.7) ──

/** Bind event: the one-time binding code a CU user entered on the PU (NOTES 13). */
export const BindParams = z.object({ mac_id: MacId, bind_id: Text });
/** Bind event. */
export type BindParams = z.infer<typeof BindParams>;
/** RebootChannel event. */
export const RebootChannelParams = z.object({ channel: Channel });
/** RebootChannel event. */
export type RebootChannelParams = z.infer<typeof RebootChannelParams>;
/** RebootDevice event: no params. */
export const RebootDeviceParams = NoParams;
/** RebootDevice event. */
export type RebootDeviceParams = z.infer<typeof RebootDeviceParams>;
/** Reschedule event: no params; the PU calls Vs again. */
export const RescheduleParams = NoParams;
/** Reschedule event. */
export type RescheduleParams = z.infer<typeof RescheduleParams>;
/** UpgradeFirmware event: the firmware version to install and where to download it. */
export const UpgradeFirmwareParams = z.object({ firmware_model: Text, url: Url });
/** UpgradeFirmware event. */
export type UpgradeFirmwareParams = z.infer<typeof UpgradeFirmwareParams>;

// ── QueryUpgrade (I.2.8) ──

/** OVC dap.md misspells "downloading"; devices built from it may send the typo. */
const OVC_DOWNLOADING_TYPO = 'donwloading';

/** Upgrade status; OVC's "donwloading" is read as "downloading". */
export const UpgradeStatus = z
  .enum(['notstart', 'downloading', 'installing', 'done', 'error', OVC_DOWNLOADING_TYPO])
  .transform((status) => (status === OVC_DOWNLOADING_TYPO ? 'downloading' : status));

/** QueryUpgrade request: no params. */
export const QueryUpgradeParams = NoParams;
/** QueryUpgrade request. */
export type QueryUpgradeParams = z.infer<typeof QueryUpgradeParams>;
/** QueryUpgrade answer: status, progress percent and the firmware version. */
export const QueryUpgradeResp = z.object({
  upgrade_status: UpgradeStatus,
  progress: int(UPGRADE_PROGRESS_MIN_PCT, UPGRADE_PROGRESS_MAX_PCT),
  firmware_model: Text,
});
/** QueryUpgrade answer. */
export type QueryUpgradeResp = z.infer<typeof QueryUpgradeResp>;

// ── Settime, QueryTime (I.2.9, I.2.10, NOTES 6) ──

/** Settime request: the time, optional zone, and the deviation (s) within which the PU keeps its clock. */
export const SettimeParams = z.object({ datetime: DateTime, tz: optional(Tz), offset: int(0, DEVICE_SECONDS_MAX_S) });
/** Settime request. */
export type SettimeParams = z.infer<typeof SettimeParams>;
/** Settime answer: `{}`. */
export const SettimeResp = EmptyResp;
/** Settime answer. */
export type SettimeResp = z.infer<typeof SettimeResp>;
/** QueryTime request: no params. */
export const QueryTimeParams = NoParams;
/** QueryTime request. */
export type QueryTimeParams = z.infer<typeof QueryTimeParams>;
/** QueryTime answer: the device's local time and zone (TZ_DEFAULT_H when absent). */
export const QueryTimeResp = z.object({ datetime: DeviceDateTime, tz: optional(Tz) });
/** QueryTime answer. */
export type QueryTimeResp = z.infer<typeof QueryTimeResp>;

// ── DevStatus (I.2.11, NOTES 12) ──

/** DevStatus request: no params. */
export const DevStatusParams = NoParams;
/** DevStatus request. */
export type DevStatusParams = z.infer<typeof DevStatusParams>;
/** DevStatus answer: identity, versions and network status of the PU. */
export const DevStatusResp = z.object({
  dev_id: Text,
  hardware_model: Text,
  firmware_model: Text,
  last_upgrade_datetime: DeviceDateTime,
  /** Absent or '' when not on Wi-Fi. */
  wifi_ssid: OptionalText,
  /** Percent or dBm, as the device reports it (docs/protocol.md "Other readings"). */
  wifi_signal: optional(int(WIFI_SIGNAL_MIN, WIFI_SIGNAL_MAX)),
  /** Bits per second; absent when unknown. */
  up_bandwidth: optional(int(0, BANDWIDTH_MAX_BPS)),
  /** Bits per second; absent when unknown. */
  down_bandwidth: optional(int(0, BANDWIDTH_MAX_BPS)),
  ip_addr: OptionalText,
  mac_addr: OptionalText,
  battery: optional(Battery),
});
/** DevStatus answer. */
export type DevStatusResp = z.infer<typeof DevStatusResp>;

// ── KeepAwaken, BatteryChange (I.2.26, I.2.27, NOTES 5) ──

/** KeepAwaken request: keep the channel powered for at least `expired` seconds. */
export const KeepAwakenParams = z.object({ channel: Channel, expired: int(0, DEVICE_SECONDS_MAX_S) });
/** KeepAwaken request. */
export type KeepAwakenParams = z.infer<typeof KeepAwakenParams>;
/** KeepAwaken answer: `{}`. */
export const KeepAwakenResp = EmptyResp;
/** KeepAwaken answer. */
export type KeepAwakenResp = z.infer<typeof KeepAwakenResp>;
/** BatteryChange event, PU → platform (NOTES 5): the battery level in percent. */
export const BatteryChangeParams = z.object({ battery: Battery });
/** BatteryChange event. */
export type BatteryChangeParams = z.infer<typeof BatteryChangeParams>;
