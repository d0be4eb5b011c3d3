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

/**
 * What the console shows of a field: its label, unit, labels of its choices, and whether it is
 * read-only (OVC dap.md 5.8 marks 只读: the device derives it, e.g. from `quality`; a SetConfig may
 * repeat it, not change it, or the device answers err 13). Carried as zod metadata, so it is in the
 * document's JSON Schema (`title`, `readOnly`, `x-unit`, `x-labels`), where the console's form reads it.
 */
export type ConfigFieldMeta = {
  title: string;
  description?: string;
  readOnly?: boolean;
  'x-unit'?: string;
  /** A label per allowed value (an enum's, or an integer code's). */
  'x-labels'?: Record<string, string>;
};

/** A field of the document: optional (devices omit what they cannot do), with what the console shows. */
function field<T extends z.ZodType>(schema: T, meta: ConfigFieldMeta) {
  return schema.meta(meta).optional();
}

const Flag = z.boolean();
const Count = int(0, CONFIG_INT_MAX);
const Name = text(NAME_MAX_CHARS);
/** Characters of `HH:MM:SS`. */
const CLOCK_TIME_CHARS = 8;
/** A wall-clock time `HH:MM:SS`. */
const ClockTime = text(CLOCK_TIME_CHARS).regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, 'expected HH:MM:SS');
/**
 * A vendor's own object (OVC `extension`): any JSON; its keys, strings and depth are bounded by the
 * walk every input goes through (protocol/text.ts), its size by the frame.
 */
const Extension = field(z.record(text(KEY_MAX_CHARS), z.unknown()), { title: 'Vendor extension', description: "the vendor's own settings, as JSON" });
/** Digits of the largest channel number (a `channls` key). */
const CHANNEL_MAX_DIGITS = String(CHANNEL_MAX).length;
/** Read-only, as OVC marks it (只读). */
const RO = { readOnly: true } as const;
const BITS_PER_S = 'bit/s';

/** One alarm detector's settings. */
const AlarmSetting = (title: string) =>
  field(
    z.looseObject({
      on: field(Flag, { title: 'On' }),
      sensitivity: field(int(ALARM_SENSITIVITY_MIN_PCT, ALARM_SENSITIVITY_MAX_PCT), { title: 'Sensitivity', 'x-unit': '%' }),
    }),
    { title },
  );

/** One channel's configuration (OVC dap.md 5.8 `channls.<n>`). */
export const ChannelConfig = z.looseObject({
  on: field(Flag, { title: 'Channel on' }),
  video_encoding: field(
    z.looseObject({
      encoder: field(Name, { title: 'Encoder' }),
      quality: field(z.enum(['ld', 'sd', 'hd', 'fhd']), {
        title: 'Quality',
        'x-labels': { ld: 'Low (640×360)', sd: 'Standard (854×480)', hd: 'HD (1280×720)', fhd: 'Full HD (1920×1080)' },
      }),
      fps: field(Count, { title: 'Frame rate', 'x-unit': 'fps', ...RO }),
      bitrate: field(Count, { title: 'Bit rate', 'x-unit': BITS_PER_S, ...RO }),
      width: field(Count, { title: 'Width', 'x-unit': 'px', ...RO }),
      height: field(Count, { title: 'Height', 'x-unit': 'px', ...RO }),
      gop: field(Count, { title: 'Keyframe interval', 'x-unit': 'frames', ...RO }),
      encrypt: field(Flag, { title: 'Encrypt the video' }),
    }),
    { title: 'Video' },
  ),
  audio_encoding: field(
    z.looseObject({
      encoder: field(Name, { title: 'Encoder' }),
      sample_rate: field(Count, { title: 'Sample rate', 'x-unit': 'Hz', ...RO }),
      bitrate: field(Count, { title: 'Bit rate', 'x-unit': BITS_PER_S, ...RO }),
      bits_per_sample: field(Count, { title: 'Bits per sample', 'x-unit': 'bits', ...RO }),
      sample_per_frame: field(Count, { title: 'Samples per frame', ...RO }),
      channel: field(Count, { title: 'Audio channels', ...RO }),
    }),
    { title: 'Audio' },
  ),
  image: field(z.looseObject({ horflip: field(Flag, { title: 'Flip horizontally' }), verflip: field(Flag, { title: 'Flip vertically' }) }), {
    title: 'Picture',
  }),
  alarms: field(
    z.looseObject({
      io: AlarmSetting('Alarm input (I/O)'),
      face: AlarmSetting('Face detection'),
      cry: AlarmSetting('Crying detection'),
      voice: AlarmSetting('Sound detection'),
      motion: AlarmSetting('Motion detection'),
      cross: AlarmSetting('Line crossing'),
      body: AlarmSetting('Person detection'),
    }),
    { title: 'Alarm detectors' },
  ),
  audio_out_volume: field(int(AUDIO_OUT_VOLUME_MIN_PCT, AUDIO_OUT_VOLUME_MAX_PCT), { title: 'Speaker volume', 'x-unit': '%' }),
  trace: field(Flag, { title: 'Follow moving objects' }),
  switch_schedule: field(
    z.looseObject({
      on: field(Flag, { title: 'On' }),
      start_time: field(ClockTime, { title: 'Switch on at' }),
      shutdown_time: field(ClockTime, { title: 'Switch off at' }),
      repeat: field(z.array(z.enum(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])).max(CONFIG_LIST_MAX), { title: 'On the days' }),
    }),
    { title: 'On/off schedule' },
  ),
  osd: field(
    z.looseObject({
      text: field(text(DESC_MAX_CHARS), { title: 'Text' }),
      font: field(z.literal(OSD_FONT_SIZES), { title: 'Font size', 'x-labels': { '1': 'Small', '2': 'Large' } }),
      pos: field(z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']), {
        title: 'Position',
        'x-labels': { 'top-left': 'Top left', 'top-right': 'Top right', 'bottom-left': 'Bottom left', 'bottom-right': 'Bottom right' },
      }),
    }),
    { title: 'On-screen text' },
  ),
  extension: Extension,
});
/** One channel's configuration. */
export type ChannelConfig = z.infer<typeof ChannelConfig>;

/** The device configuration document (OVC dap.md 5.8): open, known fields typed (NOTES 10). */
export const ConfigDocument = z.looseObject({
  /** Per-channel configuration keyed by channel number; OVC spells the key `channls`. */
  channls: field(z.record(text(CHANNEL_MAX_DIGITS).regex(/^\d+$/, 'expected a channel number'), ChannelConfig), { title: 'Channels' }),
  log_level: field(int(LOG_LEVEL_MIN, LOG_LEVEL_MAX), {
    title: 'Log level',
    'x-labels': { '0': 'Trace', '1': 'Debug', '2': 'Info', '3': 'Warning', '4': 'Error', '5': 'Fatal' },
  }),
  tz: field(Tz, { title: 'Time zone', description: 'offset from UTC', 'x-unit': 'h' }),
  auto_reboot: field(
    z.looseObject({
      on: field(Flag, { title: 'On' }),
      cycle: field(Count, { title: 'Shortest cycle', 'x-unit': 's' }),
      start: field(ClockTime, { title: 'Window starts at' }),
      end: field(ClockTime, { title: 'Window ends at' }),
      last_reboot: field(Name, { title: 'Last reboot', ...RO }),
    }),
    { title: 'Automatic reboot' },
  ),
  led: field(Flag, { title: 'Status light' }),
  extension: Extension,
});
/** The device configuration document. */
export type ConfigDocument = z.infer<typeof ConfigDocument>;

/** A JSON Schema node of the document. */
export type ConfigSchemaNode = {
  type?: string;
  title?: string;
  description?: string;
  readOnly?: boolean;
  'x-unit'?: string;
  'x-labels'?: Record<string, string>;
  properties?: Record<string, ConfigSchemaNode>;
  additionalProperties?: ConfigSchemaNode | boolean;
  items?: ConfigSchemaNode;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
};

/** The document's JSON Schema, with each field's label, unit, choices and read-only flag (the console's form). */
export function configJsonSchema(): ConfigSchemaNode {
  return z.toJSONSchema(ConfigDocument, { io: 'input', unrepresentable: 'any' }) as ConfigSchemaNode;
}

/** The read-only fields, as `<object>.<field>` (`video_encoding.fps`, `auto_reboot.last_reboot`), wherever the object sits. */
export function configReadOnlyFields(node: ConfigSchemaNode = configJsonSchema(), parent = ''): string[] {
  const out: string[] = [];
  const children = { ...node.properties, ...(typeof node.additionalProperties === 'object' ? { '*': node.additionalProperties } : {}) };
  for (const [key, child] of Object.entries(children)) {
    if (child.readOnly) out.push(`${parent}.${key}`);
    out.push(...configReadOnlyFields(child, key));
  }
  return out;
}

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
