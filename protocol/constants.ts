/**
 * Every number H.627.2 fixes, named with its unit and cited by clause, plus the few numbers the
 * platform chooses itself (marked "platform's choice"). Decisions: docs/protocol.md.
 * @module
 */

// ── Vs scheduling and reconnection (9.3.1) ─────────────────────────────────────────────────────

/** The PU resets its clock when |SyncTime − local time| exceeds this. */
export const TIME_SYNC_THRESHOLD_S = 10; // H.627.2 9.3.1.1 step 3
/** After the N-th failed try (N ≤ BACKOFF_LINEAR_MAX_TRIES) the PU sleeps uniformly in [0, 5·N] s. */
export const BACKOFF_STEP_S = 5; // H.627.2 9.3.1.3 rule 1
/** Tries up to which the backoff grows linearly. */
export const BACKOFF_LINEAR_MAX_TRIES = 12; // H.627.2 9.3.1.3 rule 1 ("N ≤ 12")
/** Sleep after every failed try beyond BACKOFF_LINEAR_MAX_TRIES. */
export const BACKOFF_FLAT_S = 60; // H.627.2 9.3.1.3 rule 2
/** The PU calls Vs again once its consecutive reconnect failures exceed this ("more than 15"). */
export const RESCHEDULE_AFTER_FAILED_TRIES = 15; // H.627.2 9.3.1.2 item 1
/** Vs `SyncTime` is in microseconds since the Unix epoch: this many per second. */
export const SYNC_TIME_US_PER_S = 1_000_000; // NOTES 4, OVC dev_dispatcher.md 2.1
/** Vs `SyncTime` units per millisecond (JavaScript clocks count milliseconds). */
export const SYNC_TIME_US_PER_MS = 1_000; // NOTES 4

// ── Vd heartbeat and RPC (9.3.2, I.2.1, I.2.2) ──────────────────────────────────────────────────

/** Heartbeat interval when GetServerInfo returns no `hb_interval`. */
export const HB_INTERVAL_DEFAULT_S = 10; // H.627.2 I.2.2
/** A PU is offline when nothing arrived from it for this many heartbeat intervals. */
export const OFFLINE_AFTER_HB_INTERVALS = 3; // NOTES 3 (OVC dap.md 5.1: 30 s at 10 s heartbeats)
/** Longest `hb_token` in GetServerInfo's answer. */
export const HB_TOKEN_MAX_CHARS = 16; // H.627.2 I.2.2
/** An RPC unanswered for this long has failed. */
export const RPC_TIMEOUT_S = 20; // NOTES "Message framing" (OVC dap.md 2.2)

// ── Vd field ranges (Appendix I) ─────────────────────────────────────────────────────────────────

/** Longest StartRecord `cbk_url`, counted in UTF-8 bytes. */
export const CBK_URL_MAX_BYTES = 256; // H.627.2 I.2.14
/** Slowest PTZ speed (CtrlPTZ move ops). */
export const PTZ_SPEED_MIN = 0; // H.627.2 I.2.17
/** Fastest PTZ speed. */
export const PTZ_SPEED_MAX = 100; // H.627.2 I.2.17
/** PTZ speed when a move op carries no `value`. */
export const PTZ_SPEED_DEFAULT = 50; // H.627.2 I.2.17
/** Smallest PTZ single step (CtrlPTZ `*_step` ops). */
export const PTZ_STEP_MIN = 0; // H.627.2 I.2.17
/** Largest PTZ single step. */
export const PTZ_STEP_MAX = 100; // H.627.2 I.2.17
/** PTZ step when a step op carries no `value`. */
export const PTZ_STEP_DEFAULT = 0; // H.627.2 I.2.17
/** Lowest PTZ preset id. */
export const PTZ_PRESET_MIN = 0; // H.627.2 I.2.17, I.2.18
/** Highest PTZ preset id. */
export const PTZ_PRESET_MAX = 255; // H.627.2 I.2.17, I.2.18
/** Battery level floor, percent. */
export const BATTERY_MIN_PCT = 0; // H.627.2 I.2.11, I.2.27
/** Battery level ceiling, percent. */
export const BATTERY_MAX_PCT = 100; // H.627.2 I.2.11, I.2.27
/** Upgrade progress floor, percent. */
export const UPGRADE_PROGRESS_MIN_PCT = 0; // H.627.2 I.2.8
/** Upgrade progress ceiling, percent. */
export const UPGRADE_PROGRESS_MAX_PCT = 100; // H.627.2 I.2.8
/** Lowest alarm type value. */
export const ALARM_TYPE_MIN = 2; // H.627.2 I.2.16
/** Highest alarm type value. */
export const ALARM_TYPE_MAX = 12; // H.627.2 I.2.16
/** Time zone a device assumes when Settime/QueryTime carry no `tz`: hours east of UTC. */
export const TZ_DEFAULT_H = 8; // NOTES 6 (OVC dap.md SyncTime: "默认为+8")

// ── OVC configuration document (NOTES 10, OVC dap.md 5.8) ───────────────────────────────────────

/** Alarm detection sensitivity floor, percent. */
export const ALARM_SENSITIVITY_MIN_PCT = 0; // OVC dap.md 5.8 alarms.*.sensitivity
/** Alarm detection sensitivity ceiling, percent. */
export const ALARM_SENSITIVITY_MAX_PCT = 100; // OVC dap.md 5.8 alarms.*.sensitivity
/** Speaker volume floor, percent. */
export const AUDIO_OUT_VOLUME_MIN_PCT = 0; // OVC dap.md 5.8 audio_out_volume
/** Speaker volume ceiling, percent. */
export const AUDIO_OUT_VOLUME_MAX_PCT = 100; // OVC dap.md 5.8 audio_out_volume
/** Most verbose device log level (0 trace). */
export const LOG_LEVEL_MIN = 0; // OVC dap.md 5.8 log_level
/** Least verbose device log level (5 fatal). */
export const LOG_LEVEL_MAX = 5; // OVC dap.md 5.8 log_level
/** OSD font sizes: 1 small, 2 large. */
export const OSD_FONT_SIZES = [1, 2] as const; // OVC dap.md 5.8 osd.font

// ── Codes and states (9.3.2.1, I.2.1, I.2.31) ───────────────────────────────────────────────────

/** Vd `err.code` values with a fixed meaning. */
export const VD_ERR = {
  /** Internal error. */
  INTERNAL: 1, // NOTES "Message framing" (OVC dap.md 4.3)
  /** The stream is too large. */
  STREAM_TOO_LARGE: 11, // H.627.2 I.2.12, I.2.14
  /** Parameter error. */
  PARAMETER: 12, // H.627.2 I.2.12, I.2.14, I.2.20
  /** Unsupported configuration. */
  UNSUPPORTED_CONFIG: 13, // H.627.2 I.2.20
  /** Unsupported RPC method. */
  UNSUPPORTED_METHOD: 101, // H.627.2 I.2.12, I.2.14
  /** The channel does not exist. */
  CHANNEL_NOT_FOUND: 102, // H.627.2 I.2.20
  /** The channel is offline. */
  CHANNEL_OFFLINE: 103, // NOTES "Message framing" (OVC dap.md 4.3)
  /** Bad input (first code of the 400–499 range). */
  BAD_INPUT: 400, // H.627.2 Table 9-1
  /** Server error (first code of the 500–599 range). */
  SERVER_ERROR: 500, // H.627.2 Table 9-1
} as const;

/** First `err.code` of the "user input error" range. */
export const VD_ERR_CLIENT_MIN = 400; // H.627.2 Table 9-1
/** Last `err.code` of the "user input error" range. */
export const VD_ERR_CLIENT_MAX = 499; // H.627.2 Table 9-1
/** First `err.code` of the "server error" range. */
export const VD_ERR_SERVER_MIN = 500; // H.627.2 Table 9-1
/** Last `err.code` of the "server error" range. */
export const VD_ERR_SERVER_MAX = 599; // H.627.2 Table 9-1

/** Device `state` in Keepalive and GetServerInfo. */
export const DEVICE_STATE = { online: 1, upgrading: 2, error: 3 } as const; // H.627.2 I.2.1, I.2.2
/** Channel `state` in Keepalive (2 is not assigned). */
export const CHANNEL_STATE = { offline: 0, online: 1, error: 3, disabled: 4 } as const; // H.627.2 I.2.1
/**
 * Playback speeds a camera is asked for (the project's extension of CtrlVideo, I.2.24: the steps of
 * common NVR and camera apps; docs/sd-playback.md): down to a quarter of real time, up to 16 times.
 */
export const SD_PLAY_SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;
/** SD card `state` in GetDiskInfo. */
export const DISK_STATE = { normal: 0, no_card: 1, exception: 2, formatting: 3 } as const; // H.627.2 I.2.31

/** How an alarm type is reported: `state` types as start/end pairs, `single` ones as pulse. */
export type AlarmKind = 'state' | 'single';

/** Alarm types of AlarmNotify, keyed by type value, with their name and kind. */
export const ALARM_TYPES = {
  2: { name: 'external', kind: 'state' },
  3: { name: 'motion', kind: 'state' },
  4: { name: 'tripwire', kind: 'single' }, // "mixed net", OVC 拌网
  5: { name: 'cry', kind: 'state' },
  6: { name: 'face', kind: 'state' },
  7: { name: 'sound', kind: 'state' },
  8: { name: 'low_power', kind: 'single' },
  9: { name: 'lock_picking', kind: 'single' },
  10: { name: 'bell_ring', kind: 'single' },
  11: { name: 'human', kind: 'state' },
  12: { name: 'pir_motion', kind: 'state' },
} as const satisfies Record<number, { name: string; kind: AlarmKind }>; // H.627.2 I.2.16, NOTES 18

/** An alarm type value (2–12). */
export type AlarmType = keyof typeof ALARM_TYPES;

/**
 * Keepalive `channels[].alarm` bit for alarm type `type`: bits count from 0, so type t is `1 << t`.
 * @example alarmFlagMask(3) // 8: motion detection
 */
export function alarmFlagMask(type: AlarmType): number {
  return 1 << type; // NOTES 2 (OVC dap.md 5.1: "每一位（从0开始计数）")
}

/** Alarm types whose bit is set in a Keepalive `alarm` flags value. */
export function alarmTypesInFlags(flags: number): AlarmType[] {
  return alarmTypeValues().filter((type) => (flags & alarmFlagMask(type)) !== 0);
}

/** All alarm type values, ascending. */
export function alarmTypeValues(): AlarmType[] {
  return Object.keys(ALARM_TYPES).map(Number) as AlarmType[];
}

// ── Not spec numbers: the platform's own choices (docs/protocol.md "Platform limits") ──────────

/** Largest Vd frame accepted, in bytes. Platform's choice: an NVR's GetConfig fits with room. */
export const VD_MAX_FRAME_BYTES = 64 * 1024;
/** Largest Vr form body accepted, in bytes. Platform's choice: a create is about 200 bytes. */
export const VR_MAX_FORM_BYTES = 4 * 1024;
/** Longest device identity that is not a MAC address. Platform's choice (OVC ids are 16 digits). */
export const DEVICE_ID_MAX_CHARS = 64;
/** Longest actor id (`<type>:<key>`) or actor filter. Platform's choice: a segment actor's id is about 50. */
export const ACTOR_ID_MAX_CHARS = 256;
/** Westernmost time zone accepted in `tz`, hours. Platform's choice: real UTC offsets. */
export const TZ_MIN_H = -12;
/** Easternmost time zone accepted in `tz`, hours. Platform's choice: real UTC offsets (Kiribati). */
export const TZ_MAX_H = 14;
/** Highest TCP/UDP port number (a transport fact, not an H.627.2 number). */
export const PORT_MAX = 65_535;

// ── Input bounds: the platform's own choices (docs/protocol.md "Platform limits") ──────────────
// Every string, number and array of the catalog is bounded by one of these (or by a spec number
// above). They are generous for real devices and fit what the database stores.

/** Largest value of a PostgreSQL `integer` (int4) column: channel, alarm type, dropped_nb, retention. */
export const INT4_MAX = 2_147_483_647; // PostgreSQL "integer": 4 bytes, signed
/** Smallest value of a PostgreSQL `integer` (int4) column. */
export const INT4_MIN = -2_147_483_648; // PostgreSQL "integer"
/** Largest 32-bit unsigned value: the widest bit mask a device's C SDK holds (Keepalive `alarm`). */
export const UINT32_MAX = 4_294_967_295;
/**
 * Latest instant accepted in a timestamp, seconds since the epoch: 2100-01-01T00:00:00Z.
 * Platform's choice: far beyond the life of any device, and well inside bigint and exact doubles.
 */
export const EPOCH_S_MAX = 4_102_444_800;
/** EPOCH_S_MAX in milliseconds (API instants, and device timestamps written in milliseconds). */
export const EPOCH_MS_MAX = EPOCH_S_MAX * 1000;
/** Latest Vs `SyncTime`: EPOCH_S_MAX in microseconds (4.1e15, below 2^53). */
export const SYNC_TIME_MAX_US = EPOCH_S_MAX * SYNC_TIME_US_PER_S;
/**
 * Highest channel number. Platform's choice: a device numbers its own channels (NOTES 1), 0 or 1
 * upwards, or 101, 201… per head (Hikvision's style, 25601 for the 256th); 16 bits hold every
 * such scheme, and the int4 columns hold 16 bits.
 */
export const CHANNEL_MAX = 65_535;
/** Most channels one PU has (an NVR): Keepalive `channels`, provisioning. Platform's choice. */
export const CHANNELS_MAX = 256;
/**
 * Longest id, name or short text a device reports or the platform sends: `stream_id`,
 * `session_id`, `record_session`, `bind_id`, `dev_id`, models and versions, SSID, addresses,
 * encoder names. Platform's choice: eight times the longest seen (an OVC id is 16 digits).
 */
export const NAME_MAX_CHARS = 128;
/** Longest URL, counted in UTF-8 bytes. Platform's choice: the de facto limit of browsers and servers. */
export const URL_MAX_BYTES = 2048;
/** Longest free text a device writes (AlarmNotify `desc`, OSD text). Platform's choice. */
export const DESC_MAX_CHARS = 1024;
/** Longest host name in Vs answers and `hibernation` (RFC 1035: 253 characters). */
export const HOST_MAX_CHARS = 253;
/** Longest `{"info"}` text of a Vs or Vr failure. Platform's choice: one line naming a few fields. */
export const INFO_MAX_CHARS = 1024;
/** Longest Vd message name (`req`, `event`); Table 9-4's longest has 16 characters. Platform's choice. */
export const VD_NAME_MAX_CHARS = 64;
/** Longest `err.msg` kept from a device's failed answer; longer ones are cut. Platform's choice. */
export const VD_ERR_MSG_MAX_CHARS = 1024;
/** Longest object key anywhere in a message (field names, configuration keys). Platform's choice. */
export const KEY_MAX_CHARS = 128;
/**
 * Deepest nesting of objects and arrays in any message. Platform's choice: the configuration
 * document nests five levels; PostgreSQL's jsonb parser has a stack limit of its own.
 */
export const JSON_DEPTH_MAX = 32;
/** Longest `trans_id` (NOTES 11). Platform's choice. */
export const TRANS_ID_MAX_CHARS = 64;
/** Largest `trans_id` in its integer form (H.627.2 I.2.29 says int): exact in a double. */
export const TRANS_ID_INT_MAX = Number.MAX_SAFE_INTEGER;
/** Longest Vr segment name a device sends back (the platform's are at most 33 characters). */
export const SEGMENT_NAME_MAX_CHARS = 64;
/** Longest decimal number in a Vr form or a query (digits, point and fraction). Platform's choice. */
export const DECIMAL_MAX_CHARS = 32;
/** Highest heartbeat interval the platform hands out (GetServerInfo `hb_interval`), seconds. */
export const HB_INTERVAL_MAX_S = 3600;
/** Widest Wi-Fi signal reading: dBm (about −100 to 0), percent, or a 0–255 RSSI scale all fit. */
export const WIFI_SIGNAL_MIN = -255;
/** See WIFI_SIGNAL_MIN. */
export const WIFI_SIGNAL_MAX = 255;
/** Fastest link a device may report (DevStatus bandwidths), bit/s: 100 Gbit/s. Platform's choice. */
export const BANDWIDTH_MAX_BPS = 100_000_000_000;
/** Largest SD card (GetDiskInfo `total`, `free`), MB: SDUC's ceiling of 128 TB. */
export const DISK_SIZE_MAX_MB = 128 * 1024 * 1024;
/** Largest log a device may report uploading (LogDone `size`): 1 TiB. Platform's choice. */
export const LOG_SIZE_MAX_BYTES = 2 ** 40;
/** Longest KeepAwaken `expired` and Settime `offset`, seconds: one day. Platform's choice. */
export const DEVICE_SECONDS_MAX_S = 24 * 3600;
/**
 * Largest number in the open configuration document (bitrates, sizes, counts, cycles): a C `int`,
 * what a device's SDK holds. Platform's choice: the document is stored as JSON and re-sent as is.
 */
export const CONFIG_INT_MAX = INT4_MAX;
/** Most entries in a list of the configuration document (`repeat` weekdays has 7). Platform's choice. */
export const CONFIG_LIST_MAX = 64;
/** Most P2P sessions a Vs answer may ask a device to serve (OVC `MaxP2PSession`). Platform's choice. */
export const VS_COUNT_MAX = 65_535;
