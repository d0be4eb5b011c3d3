/**
 * Vd configuration and capability messages: GetConfig, SetConfig, ResetConfig, GetCap
 * (H.627.2 I.2.19–I.2.21, I.2.28; NOTES 9, 10; OVC dap.md 5.8, 5.13).
 *
 * The configuration document is open: every object in it keeps fields the platform does not know
 * (vendor additions, `extension`), and the fields OVC defines are typed. Everything is optional,
 * because SetConfig sends only what changes and devices omit what they cannot do.
 * @module
 */
import { z } from 'zod';
import {
  ALARM_SENSITIVITY_MAX_PCT,
  ALARM_SENSITIVITY_MIN_PCT,
  AUDIO_OUT_VOLUME_MAX_PCT,
  AUDIO_OUT_VOLUME_MIN_PCT,
  CHANNEL_MAX,
  CONFIG_INT_MAX,
  CONFIG_LIST_MAX,
  DESC_MAX_CHARS,
  KEY_MAX_CHARS,
  LOG_LEVEL_MAX,
  LOG_LEVEL_MIN,
  NAME_MAX_CHARS,
  OSD_FONT_SIZES,
} from './constants.ts';
import { text } from './text.ts';
import { EmptyResp, int, NoParams, Tz } from './vd-common.ts';

const Flag = z.boolean().optional();
const Count = int(0, CONFIG_INT_MAX).optional();
const Name = text(NAME_MAX_CHARS).optional();
/** Characters of `HH:MM:SS`. */
const CLOCK_TIME_CHARS = 8;
/** A wall-clock time `HH:MM:SS`. */
const ClockTime = text(CLOCK_TIME_CHARS).regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, 'expected HH:MM:SS');
/**
 * A vendor's own object (OVC `extension`): any JSON; its keys, strings and depth are bounded by the
 * walk every input goes through (protocol/text.ts), its size by the frame.
 */
const Extension = z.record(text(KEY_MAX_CHARS), z.unknown());
/** Digits of the largest channel number (a `channls` key). */
const CHANNEL_MAX_DIGITS = String(CHANNEL_MAX).length;

/** One alarm detector's settings. */
const AlarmSetting = z.looseObject({ on: Flag, sensitivity: int(ALARM_SENSITIVITY_MIN_PCT, ALARM_SENSITIVITY_MAX_PCT).optional() });

/** One channel's configuration (OVC dap.md 5.8 `channls.<n>`). */
export const ChannelConfig = z.looseObject({
  on: Flag,
  video_encoding: z
    .looseObject({
      encoder: Name,
      quality: z.enum(['ld', 'sd', 'hd', 'fhd']).optional(),
      fps: Count,
      bitrate: Count,
      width: Count,
      height: Count,
      gop: Count,
      encrypt: Flag,
    })
    .optional(),
  audio_encoding: z
    .looseObject({
      encoder: Name,
      sample_rate: Count,
      bitrate: Count,
      bits_per_sample: Count,
      sample_per_frame: Count,
      channel: Count,
    })
    .optional(),
  image: z.looseObject({ horflip: Flag, verflip: Flag }).optional(),
  alarms: z
    .looseObject({
      io: AlarmSetting.optional(),
      face: AlarmSetting.optional(),
      cry: AlarmSetting.optional(),
      voice: AlarmSetting.optional(),
      motion: AlarmSetting.optional(),
      cross: AlarmSetting.optional(),
      body: AlarmSetting.optional(),
    })
    .optional(),
  audio_out_volume: int(AUDIO_OUT_VOLUME_MIN_PCT, AUDIO_OUT_VOLUME_MAX_PCT).optional(),
  trace: Flag,
  switch_schedule: z
    .looseObject({
      on: Flag,
      start_time: ClockTime.optional(),
      shutdown_time: ClockTime.optional(),
      repeat: z
        .array(z.enum(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']))
        .max(CONFIG_LIST_MAX)
        .optional(),
    })
    .optional(),
  osd: z
    .looseObject({
      text: text(DESC_MAX_CHARS).optional(),
      font: z.literal(OSD_FONT_SIZES).optional(),
      pos: z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']).optional(),
    })
    .optional(),
  extension: Extension.optional(),
});
/** One channel's configuration. */
export type ChannelConfig = z.infer<typeof ChannelConfig>;

/** The device configuration document (OVC dap.md 5.8): open, known fields typed (NOTES 10). */
export const ConfigDocument = z.looseObject({
  /** Per-channel configuration keyed by channel number; OVC spells the key `channls`. */
  channls: z.record(text(CHANNEL_MAX_DIGITS).regex(/^\d+$/, 'expected a channel number'), ChannelConfig).optional(),
  /** 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 fatal. */
  log_level: int(LOG_LEVEL_MIN, LOG_LEVEL_MAX).optional(),
  tz: Tz.optional(),
  auto_reboot: z
    .looseObject({
      on: Flag,
      /** Shortest reboot cycle, seconds. */
      cycle: Count,
      start: ClockTime.optional(),
      end: ClockTime.optional(),
      last_reboot: Name,
    })
    .optional(),
  led: Flag,
  extension: Extension.optional(),
});
/** The device configuration document. */
export type ConfigDocument = z.infer<typeof ConfigDocument>;

/** GetConfig request: no params. */
export const GetConfigParams = NoParams;
/** GetConfig request. */
export type GetConfigParams = z.infer<typeof GetConfigParams>;
/** GetConfig answer: the configuration document. */
export const GetConfigResp = ConfigDocument;
/** GetConfig answer. */
export type GetConfigResp = z.infer<typeof GetConfigResp>;
/** SetConfig request: only the fields that change. */
export const SetConfigParams = ConfigDocument;
/** SetConfig request. */
export type SetConfigParams = z.infer<typeof SetConfigParams>;
/** SetConfig answer: the configuration set (H.627.2) or `{}` (OVC); both fit the document. */
export const SetConfigResp = ConfigDocument;
/** SetConfig answer. */
export type SetConfigResp = z.infer<typeof SetConfigResp>;
/** ResetConfig request: no params; the device restores factory settings but keeps its network. */
export const ResetConfigParams = NoParams;
/** ResetConfig request. */
export type ResetConfigParams = z.infer<typeof ResetConfigParams>;
/** ResetConfig answer: `{}`. */
export const ResetConfigResp = EmptyResp;
/** ResetConfig answer. */
export type ResetConfigResp = z.infer<typeof ResetConfigResp>;

// ── GetCap (I.2.28, NOTES 9, OVC dap.md 5.13) ──

const Capable = z.boolean().default(false);

/** The capability set: every flag defaults to false. */
export const Capabilities = z.object({
  ptz: Capable,
  battery: Capable,
  /** Live transport; absent means SRT, the only Vm transport (docs/protocol.md, "Variants accepted from devices"). */
  media_protocol: z.enum(['rtmp', 'srt']).default('srt'),
  audio_out: Capable,
  voice_out: Capable,
  cloud_record: Capable,
  trace: Capable,
  alarms: z
    .object({ io: Capable, face: Capable, cry: Capable, voice: Capable, motion: Capable, body: Capable, cross: Capable })
    .default({ io: false, face: false, cry: false, voice: false, motion: false, body: false, cross: false }),
  /** Without it, every URL the platform sends the device is http (OVC). */
  https: Capable,
  video_encrypt: Capable,
  switch: Capable,
  led: Capable,
  auto_reboot: Capable,
});
/** The capability set. */
export type Capabilities = z.infer<typeof Capabilities>;

/** GetCap request: no params. */
export const GetCapParams = NoParams;
/** GetCap request. */
export type GetCapParams = z.infer<typeof GetCapParams>;
/** GetCap answer: the capability set (OVC dap.md 5.13; H.627.2 lists none, NOTES 9). */
export const GetCapResp = Capabilities;
/** GetCap answer. */
export type GetCapResp = z.infer<typeof GetCapResp>;
