/**
 * Vd media messages: live push, cloud recording, alarms, snapshot and playback
 * (H.627.2 I.2.12–I.2.16, I.2.22–I.2.25).
 * @module
 */
import { z } from 'zod';
import { ALARM_TYPE_MAX, ALARM_TYPE_MIN, CBK_URL_MAX_BYTES, DESC_MAX_CHARS, EPOCH_MS_MAX, EPOCH_S_MAX, SD_PLAY_SPEEDS, URL_MAX_BYTES } from './constants.ts';
import { MAX_BITRATE_MAX_BPS, PRERECORD_MAX_S, SEG_DURATION_MAX_S, SEG_MAX_COUNT_MAX, SEG_MAX_SIZE_MAX_BYTES } from './recording-api.ts';
import { text } from './text.ts';
import { Channel, EmptyResp, int, optional, optionalText, OptionalUrl, Text, url, Url } from './vd-common.ts';

/** A bit rate in bit/s; 0 means no limit (OVC dap.md LivePublish); at most the platform's MAX_BITRATE_MAX_BPS. */
const MaxBitrate = int(0, MAX_BITRATE_MAX_BPS);

// ── PushLive, StopLive (I.2.12, I.2.13, NOTES 17) ──

/** PushLive request: push the channel to `url` (SRT, with the stream id in it) as `stream_id`. */
export const PushLiveParams = z.object({ channel: Channel, url: Url, stream_id: Text, max_bitrate: MaxBitrate });
/** PushLive request. */
export type PushLiveParams = z.infer<typeof PushLiveParams>;
/** PushLive answer: `{}` (pushing, or already pushing that stream). */
export const PushLiveResp = EmptyResp;
/** PushLive answer. */
export type PushLiveResp = z.infer<typeof PushLiveResp>;
/** StopLive request. */
export const StopLiveParams = z.object({ stream_id: Text, channel: Channel });
/** StopLive request. */
export type StopLiveParams = z.infer<typeof StopLiveParams>;
/** StopLive answer: `{}` (stopped, or no such stream). */
export const StopLiveResp = EmptyResp;
/** StopLive answer. */
export type StopLiveResp = z.infer<typeof StopLiveResp>;

// ── StartRecord, StopRecord (I.2.14, I.2.15, NOTES 16) ──

/** The Vr URL a recording channel calls: at most CBK_URL_MAX_BYTES bytes of UTF-8. */
export const CbkUrl = url(CBK_URL_MAX_BYTES);

/** StartRecord request: record the channel in segments and upload them through `cbk_url` (Vr). */
export const StartRecordParams = z.object({
  session_id: Text,
  channel: Channel,
  max_bitrate: MaxBitrate,
  /** Segment duration, seconds. */
  seg_duration: int(1, SEG_DURATION_MAX_S),
  /** Largest segment, bytes. */
  seg_max_size: int(1, SEG_MAX_SIZE_MAX_BYTES),
  /** Segments cached in memory at most. */
  seg_max_count: int(1, SEG_MAX_COUNT_MAX),
  /** Non-zero: alarm pre-recording of that many seconds (OVC). */
  prerecord_seconds: optional(int(0, PRERECORD_MAX_S)),
  /** First segment's timestamp, seconds since the epoch; <= 0 means "use the device clock". */
  start_ts: z.number().min(-EPOCH_S_MAX).max(EPOCH_S_MAX),
  cbk_url: CbkUrl,
});
/** StartRecord request. */
export type StartRecordParams = z.infer<typeof StartRecordParams>;
/** StartRecord answer: `{}`. */
export const StartRecordResp = EmptyResp;
/** StartRecord answer. */
export type StartRecordResp = z.infer<typeof StartRecordResp>;
/** StopRecord request. */
export const StopRecordParams = z.object({ session_id: Text, channel: Channel });
/** StopRecord request. */
export type StopRecordParams = z.infer<typeof StopRecordParams>;
/** StopRecord answer: `{}` (stopped, or no such session). */
export const StopRecordResp = EmptyResp;
/** StopRecord answer. */
export type StopRecordResp = z.infer<typeof StopRecordResp>;

// ── AlarmNotify (I.2.16, NOTES 18) ──

/** AlarmNotify `state`: start/end for "state" types, pulse for "single" ones (any is accepted). */
export const AlarmState = z.enum(['start', 'end', 'pulse']);

/**
 * AlarmNotify request: an alarm on a channel at `timestamp` (seconds since the epoch; a device
 * that writes milliseconds is not refused, see docs/protocol.md "Platform limits").
 */
export const AlarmNotifyParams = z.object({
  channel: Channel,
  timestamp: int(0, EPOCH_MS_MAX),
  type: int(ALARM_TYPE_MIN, ALARM_TYPE_MAX),
  state: AlarmState,
  desc: text(DESC_MAX_CHARS),
});
/** AlarmNotify request. */
export type AlarmNotifyParams = z.infer<typeof AlarmNotifyParams>;
/** AlarmNotify answer: where to upload the alarm picture, if one is wanted. */
export const AlarmNotifyResp = z.object({ pic_upload_url: OptionalUrl });
/** AlarmNotify answer. */
export type AlarmNotifyResp = z.infer<typeof AlarmNotifyResp>;

// ── Snapshot (I.2.22, NOTES 19) ──

/** Snapshot request: upload a picture of the channel to `url`, then answer. */
export const SnapshotParams = z.object({ channel: Channel, url: Url });
/** Snapshot request. */
export type SnapshotParams = z.infer<typeof SnapshotParams>;
/** Snapshot answer: `{}`, sent once the picture is uploaded. */
export const SnapshotResp = EmptyResp;
/** Snapshot answer. */
export type SnapshotResp = z.infer<typeof SnapshotResp>;

// ── PlayVideo, CtrlVideo, QueryVideoStatus (I.2.23–I.2.25; the project's extension: docs/sd-playback.md) ──

/** A seconds-since-the-epoch position in a recording (as StartRecord `start_ts`, I.2.14). */
const EpochS = int(0, EPOCH_S_MAX);
/** The slowest and fastest of {@link SD_PLAY_SPEEDS}. */
const SPEED_MIN = SD_PLAY_SPEEDS[0];
const SPEED_MAX = SD_PLAY_SPEEDS[SD_PLAY_SPEEDS.length - 1] as number;
/** A playback speed, one of {@link SD_PLAY_SPEEDS}. */
export const SdPlaySpeed = z
  .number()
  .min(SPEED_MIN)
  .max(SPEED_MAX)
  .refine((v) => (SD_PLAY_SPEEDS as readonly number[]).includes(v), `speed must be one of ${SD_PLAY_SPEEDS.join(', ')}`);

/**
 * PlayVideo event: play the file at `url` on the channel. For the camera's own SD-card recordings
 * (docs/sd-playback.md) `url` is the SRT destination, as PushLive's (NOTES 17), and the extension
 * fields name the stream and the time range to play, seconds since the epoch.
 */
export const PlayVideoParams = z
  .object({ channel: Channel, url: Url, stream_id: optional(Text), start_ts: optional(EpochS), end_ts: optional(EpochS) })
  .refine((p) => p.start_ts === undefined || p.end_ts === undefined || p.end_ts > p.start_ts, { message: 'end_ts must be after start_ts', path: ['end_ts'] });
/** PlayVideo event. */
export type PlayVideoParams = z.infer<typeof PlayVideoParams>;
/**
 * CtrlVideo event: stop, pause or resume playing (I.2.24: "stop/pause/resume supported currently");
 * the extension adds `seek` to `pos` (seconds since the epoch), `speed` to `speed`, and the
 * playback's `stream_id`.
 */
export const CtrlVideoParams = z
  .object({
    channel: Channel,
    op: z.enum(['stop', 'pause', 'resume', 'seek', 'speed']),
    /** The playback meant (PlayVideo's `stream_id`): a camera ignores a control for a playback it no longer plays. */
    stream_id: optional(Text),
    pos: optional(EpochS),
    speed: optional(SdPlaySpeed),
  })
  .refine((p) => p.op !== 'seek' || p.pos !== undefined, { message: 'seek needs pos', path: ['pos'] })
  .refine((p) => p.op !== 'speed' || p.speed !== undefined, { message: 'speed needs speed', path: ['speed'] });
/** CtrlVideo event. */
export type CtrlVideoParams = z.infer<typeof CtrlVideoParams>;
/** QueryVideoStatus request. */
export const QueryVideoStatusParams = z.object({ channel: Channel });
/** QueryVideoStatus request. */
export type QueryVideoStatusParams = z.infer<typeof QueryVideoStatusParams>;
/**
 * QueryVideoStatus answer: play status and, while playing, the file's URL; the extension adds the
 * position (`pos`, seconds since the epoch) and the speed, both optional (a camera may not say).
 */
export const QueryVideoStatusResp = z.object({
  status: z.enum(['stopped', 'pausing', 'playing']),
  url: optionalText(text(URL_MAX_BYTES, 1)),
  pos: optional(EpochS),
  speed: optional(SdPlaySpeed),
});
/** QueryVideoStatus answer. */
export type QueryVideoStatusResp = z.infer<typeof QueryVideoStatusResp>;
