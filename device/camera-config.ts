/**
 * The camera's configuration document (GetConfig, SetConfig, ResetConfig; H.627.2 I.2.19–I.2.21,
 * NOTES 10): OVC's shape (dap.md 5.8), built from the capability set, merged field by field.
 * @module
 */
import { configReadOnlyFields, TZ_DEFAULT_H, VD_ERR, type Capabilities, type ConfigDocument } from '../protocol/index.ts';
import type { DeviceTime } from './clock.ts';
import { channelNotFound, VdFault } from './vd-fault.ts';

/** A JSON object. */
type Json = Record<string, unknown>;

/** Picture sizes and rates of OVC's four quality levels (dap.md 5.8 `video_encoding.quality`). */
export const QUALITY_PRESETS = {
  ld: { width: 640, height: 360, fps: 15, bitrate: 500_000 },
  sd: { width: 854, height: 480, fps: 20, bitrate: 1_000_000 },
  hd: { width: 1280, height: 720, fps: 25, bitrate: 2_000_000 },
  fhd: { width: 1920, height: 1080, fps: 25, bitrate: 4_000_000 },
} as const;
/** Quality of a channel after a reset. */
const DEFAULT_QUALITY = 'hd';
/** Alarm detector sensitivity after a reset, percent (OVC dap.md 5.8: 0–100). */
const DEFAULT_SENSITIVITY_PCT = 50;
/** Speaker volume after a reset, percent. */
const DEFAULT_VOLUME_PCT = 60;
/** Log level after a reset: 2 = info (OVC dap.md 5.8 log_level). */
const DEFAULT_LOG_LEVEL = 2;
/** Auto-reboot cycle after a reset: a week, in seconds (OVC's example). */
const DEFAULT_AUTO_REBOOT_CYCLE_S = 604_800;
/** The only encoders the simulated camera has (OVC: "目前仅支持h264" / "aac"). */
const SUPPORTED = { 'video_encoding.encoder': ['h264'], 'audio_encoding.encoder': ['aac'] } as const;
/** Fields OVC marks read-only (只读), per channel or at the top: a SetConfig may repeat them, not change them (the catalog's `readOnly`). */
const READ_ONLY = new Set(configReadOnlyFields());

/** One channel's factory configuration; optional parts follow the capability set. */
function channelDefaults(caps: Capabilities): Json {
  const preset = QUALITY_PRESETS[DEFAULT_QUALITY];
  const alarms = Object.fromEntries(
    Object.entries(caps.alarms)
      .filter(([, on]) => on)
      .map(([name]) => [name, { on: true, sensitivity: DEFAULT_SENSITIVITY_PCT }]),
  );
  return {
    on: true,
    video_encoding: { encoder: 'h264', quality: DEFAULT_QUALITY, ...preset, gop: preset.fps * 2, encrypt: false },
    audio_encoding: { encoder: 'aac', sample_rate: 16_000, bitrate: 32_000, bits_per_sample: 16, sample_per_frame: 1024, channel: 1 },
    image: { horflip: false, verflip: false },
    alarms,
    ...(caps.audio_out ? { audio_out_volume: DEFAULT_VOLUME_PCT } : {}),
    ...(caps.trace ? { trace: false } : {}),
    ...(caps.switch ? { switch_schedule: { on: false, start_time: '08:00:00', shutdown_time: '20:00:00', repeat: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] } } : {}),
    osd: { text: '', font: 1, pos: 'top-left' },
    extension: {},
  };
}

/** The camera's configuration: read, merged, reset. */
export class CameraConfig {
  private doc: Json;

  constructor(
    private readonly channels: readonly number[],
    private readonly caps: Capabilities,
    private readonly time: DeviceTime,
    private readonly bootedAt: () => string,
  ) {
    this.doc = this.defaults();
  }

  /** GetConfig answer: the whole document (I.2.19). */
  get(): ConfigDocument {
    return structuredClone({ ...this.doc, tz: this.time.tz }) as ConfigDocument;
  }

  /**
   * SetConfig (I.2.20): merge the changed fields. An unknown channel is err 102, a field the device
   * does not have, a read-only field changed or an unsupported value err 13, a value of the wrong
   * shape err 12. Answers the resulting document ("Configuration set").
   */
  set(patch: ConfigDocument): ConfigDocument {
    const next = structuredClone(this.doc);
    merge(next, patch as Json, []);
    if (typeof patch.tz === 'number') this.time.tz = patch.tz;
    this.doc = next;
    return this.get();
  }

  /** ResetConfig (I.2.21): factory settings. */
  reset(): void {
    this.doc = this.defaults();
    this.time.tz = TZ_DEFAULT_H;
  }

  /** One channel's current configuration. */
  channel(channel: number): Json {
    return ((this.doc['channls'] as Json)[String(channel)] ?? {}) as Json;
  }

  /** False when the channel is switched off (`channls.<n>.on`), so it reports state 4 "disabled". */
  channelOn(channel: number): boolean {
    return this.channel(channel)['on'] !== false;
  }

  /** The channel's picture size, from its video encoding. */
  pictureSize(channel: number): { width: number; height: number } {
    const video = (this.channel(channel)['video_encoding'] ?? {}) as Json;
    return { width: Number(video['width'] ?? QUALITY_PRESETS.ld.width), height: Number(video['height'] ?? QUALITY_PRESETS.ld.height) };
  }

  private defaults(): Json {
    return {
      channls: Object.fromEntries(this.channels.map((channel) => [String(channel), channelDefaults(this.caps)])),
      log_level: DEFAULT_LOG_LEVEL,
      tz: TZ_DEFAULT_H,
      ...(this.caps.auto_reboot
        ? { auto_reboot: { on: false, cycle: DEFAULT_AUTO_REBOOT_CYCLE_S, start: '02:00:00', end: '04:00:00', last_reboot: this.bootedAt() } }
        : {}),
      ...(this.caps.led ? { led: true } : {}),
      extension: {},
    };
  }
}

/** Merge `patch` into `target` in place, checking every field against the device's document. */
function merge(target: Json, patch: Json, path: string[]): void {
  for (const [key, value] of Object.entries(patch)) {
    const at = [...path, key];
    if (path.length === 1 && path[0] === 'channls' && !(key in target)) throw channelNotFound(Number(key));
    if (key === 'extension' && isObject(value)) {
      target[key] = { ...(isObject(target[key]) ? target[key] : {}), ...value }; // vendor-defined: open
      continue;
    }
    if (!(key in target)) throw new VdFault(VD_ERR.UNSUPPORTED_CONFIG, `unsupported configuration: ${at.join('.')}`);
    mergeField(target, key, value, at);
  }
}

function mergeField(target: Json, key: string, value: unknown, at: string[]): void {
  const current = target[key];
  const name = at.join('.');
  if (isObject(current)) {
    if (!isObject(value)) throw new VdFault(VD_ERR.PARAMETER, `${name}: expected an object`);
    merge(current, value, at);
    if (key === 'video_encoding' && typeof value['quality'] === 'string') applyQuality(current);
    return;
  }
  if (Array.isArray(current) !== Array.isArray(value) || typeof current !== typeof value)
    throw new VdFault(VD_ERR.PARAMETER, `${name}: expected ${Array.isArray(current) ? 'an array' : typeof current}`);
  const local = at.slice(-2).join('.');
  if (READ_ONLY.has(local) && JSON.stringify(current) !== JSON.stringify(value)) throw new VdFault(VD_ERR.UNSUPPORTED_CONFIG, `${name} is read-only`);
  const allowed: readonly string[] | undefined = SUPPORTED[local as keyof typeof SUPPORTED];
  if (allowed !== undefined && !allowed.includes(String(value)))
    throw new VdFault(VD_ERR.UNSUPPORTED_CONFIG, `${name}: ${JSON.stringify(value)} is not supported (supported: ${allowed.join(', ')})`);
  target[key] = structuredClone(value);
}

/** A new quality level changes the read-only size, rate and bit rate that follow from it. */
function applyQuality(video: Json): void {
  const preset = QUALITY_PRESETS[video['quality'] as keyof typeof QUALITY_PRESETS];
  if (preset !== undefined) Object.assign(video, preset, { gop: preset.fps * 2 });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
