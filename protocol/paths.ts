/**
 * Ids that name things in URLs and on disk, and the path parameters of every route that takes
 * one. An id here is either made by the platform (random tokens, UUIDs, stream ids, segment
 * names: each schema is exactly the platform's own form) or chosen by an operator and validated
 * like a file-safe name (device ids). Routes validate their path with these
 * (`validate('param', DevicePath)`), so a malformed id is a 400 naming the parameter and never
 * reaches the database or a file name. docs/protocol.md, "Ids and path parameters".
 * @module
 */
import { NODE_ID_PATTERN } from '../lib/config.ts';
import { z } from 'zod';
import { ACTOR_ID_MAX_CHARS, CHANNEL_MAX, DEVICE_ID_MAX_CHARS, NAME_MAX_CHARS } from './constants.ts';
import { text } from './text.ts';
import { Channel, TransIdText } from './vd-common.ts';

/**
 * A device id: 1-64 ASCII letters, digits, `.`, `_`, `-` and `:`, beginning with a letter or a
 * digit. So never `.`, `..`, a hidden name, a path (`/`, `\`), a space or a control character; MAC
 * style ids (`a0:b1:c2:d3:e4:f5`) and OVC's 16-digit ids fit.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A device id as provisioned, in `login_code` (Table 9-3) and in API paths. */
export const DeviceId = text(DEVICE_ID_MAX_CHARS, 1).regex(
  DEVICE_ID_PATTERN,
  `expected a device id: 1-${DEVICE_ID_MAX_CHARS} letters, digits, ".", "_", "-" or ":", beginning with a letter or digit`,
);

/** Base64url characters for `bytes` random bytes, unpadded (RFC 4648 §5). */
function base64urlChars(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** A base64url token of exactly `bytes` random bytes, as `randomToken(bytes)` makes it. */
function base64urlToken(bytes: number, what: string) {
  const chars = base64urlChars(bytes);
  return text(chars).regex(new RegExp(`^[A-Za-z0-9_-]{${chars}}$`), `expected ${what}: ${chars} base64url characters`);
}

/** Random bytes of a record session id (services/recording/recording.ts SESSION_ID_BYTES). */
export const RECORD_SESSION_ID_BYTES = 12;
/** Random bytes of a Vr channel id (services/recording/recording.ts CHANNEL_TOKEN_BYTES; NOTES 16). */
export const VR_CHANNEL_ID_BYTES = 24;
/** Random bytes of an upload token (lib/secrets.ts randomToken's default). */
export const UPLOAD_TOKEN_BYTES = 24;
/** Random bytes of a live stream id, written in hex (services/live/live.ts STREAM_ID_BYTES). */
export const STREAM_ID_BYTES = 8;

/** A record session id: base64url of RECORD_SESSION_ID_BYTES random bytes (16 characters). */
export const RecordSessionId = base64urlToken(RECORD_SESSION_ID_BYTES, 'a record session id');
/** A Vr channel id (`/live/cseg/<channelID>`): base64url of VR_CHANNEL_ID_BYTES random bytes (32 characters). */
export const VrChannelId = base64urlToken(VR_CHANNEL_ID_BYTES, 'a Vr channel id');
/** An upload token (`/upload/<token>`): base64url of UPLOAD_TOKEN_BYTES random bytes (32 characters). */
export const UploadToken = base64urlToken(UPLOAD_TOKEN_BYTES, 'an upload token');

/** Hex digits of a stream id. */
const STREAM_ID_HEX = STREAM_ID_BYTES * 2;
/** A live stream id: STREAM_ID_BYTES random bytes in lower-case hex (16 digits). */
export const StreamId = text(STREAM_ID_HEX).regex(new RegExp(`^[0-9a-f]{${STREAM_ID_HEX}}$`), `expected a stream id of ${STREAM_ID_HEX} hex digits`);

/** A segment name as the platform makes it: `<start ms>-<4 to 12 base36>.ts` (services/recording/recording-urls.ts SEGMENT_NAME). */
export const SEGMENT_NAME_PATTERN = /^(\d{1,16}-[0-9a-z]{4,12})\.ts$/;
/** Longest platform segment name: 16 digits, `-`, 12 characters, `.ts`. */
const PLATFORM_SEGMENT_NAME_CHARS = 32;
/** A segment name in a signed segment URL (`/cs/up/<session>/<name>`, `/cs/seg/…`). */
export const SegmentName = text(PLATFORM_SEGMENT_NAME_CHARS).regex(SEGMENT_NAME_PATTERN, 'expected a segment name <start ms>-<base36>.ts');

/** Characters of a UUID in its canonical form. */
const UUID_CHARS = 36;
/** A UUID as `crypto.randomUUID()` makes it (alarm and snapshot ids); any case, read in lower case. */
export const Uuid = text(UUID_CHARS)
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a UUID')
  .transform((id) => id.toLowerCase());

/** Longest actor type (`pu`, `stream`, `rec`, `seg`…). Platform's choice. */
export const ACTOR_TYPE_MAX_CHARS = 32;
/** An actor type: lower-case letters, digits, `_` and `-`. */
export const ActorType = text(ACTOR_TYPE_MAX_CHARS, 1).regex(/^[a-z][a-z0-9_-]*$/, 'expected an actor type');
/**
 * An actor id: `<type>:<key>` (`pu:<device id>`, `rec:<session>`, `seg:<session>:<stem>`,
 * `stream:<hex>`): keys are made of device ids, base64url and hex tokens and segment stems, so
 * ASCII letters, digits, `.`, `_`, `-` and `:`; at most ACTOR_ID_MAX_CHARS. A database key only.
 */
export const ActorId = text(ACTOR_ID_MAX_CHARS, 1).regex(/^[a-z][a-z0-9_-]*:[A-Za-z0-9._:-]+$/, 'expected an actor id <type>:<key>');

/** Digits of the highest channel number. */
const CHANNEL_MAX_DIGITS = String(CHANNEL_MAX).length;
/** A channel number in a path: the device's own number (NOTES 1), decimal digits, up to CHANNEL_MAX. */
export const ChannelParam = text(CHANNEL_MAX_DIGITS).regex(/^\d+$/, 'expected a channel number').transform(Number).pipe(Channel);

/** Digits of a machine version in a path. */
const MACHINE_VERSION_DIGITS = 6;
/** A machine version in a path (`/api/machines/:type/:version/diagram.svg`). */
export const MachineVersionParam = text(MACHINE_VERSION_DIGITS)
  .regex(new RegExp(`^\\d{1,${MACHINE_VERSION_DIGITS}}$`), 'expected a version number')
  .transform(Number);

/** A console file name (`/assets/<name>`): `[name]-[hash].[ext]` as the console build writes it. */
export const AssetName = text(NAME_MAX_CHARS, 1).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a console file name');

/** Longest node id (NODE_ID, lib/config.ts). */
export const NODE_ID_MAX_CHARS = 100;
/** A cluster node's id as NODE_ID takes it: letters, digits, dots, dashes, colons, brackets (`10.0.0.1:8443`, `[::1]:8443`). */
export const NodeId = text(NODE_ID_MAX_CHARS, 1).regex(NODE_ID_PATTERN, 'expected a node id: letters, digits, dots, dashes, colons or brackets');

// ── Path parameters, one object per route shape (Hono hands `param` targets an object) ──

/** `/api/devices/:id`, `/api/admin/devices/:id`, `/api/devices/:id/…`. */
export const DevicePath = z.object({ id: DeviceId });
/** `/api/admin/nodes/:id/…`. */
export const NodePath = z.object({ id: NodeId });
/** `/api/devices/:id/channels/:ch/…`. */
export const ChannelPath = z.object({ id: DeviceId, ch: ChannelParam });
/** `/api/devices/:id/alarms/:alarmId/picture`. */
export const AlarmPath = z.object({ id: DeviceId, alarmId: Uuid });
/** `/api/devices/:id/snapshots/:sid`. */
export const SnapshotPath = z.object({ id: DeviceId, sid: Uuid });
/** `/api/devices/:id/logs/:transId`: `trans_id` as text (NOTES 11). */
export const LogPath = z.object({ id: DeviceId, transId: TransIdText });
/** `/api/actors/:id`, `/api/actors/:id/history|export|replay`. */
export const ActorPath = z.object({ id: ActorId });
/** `/api/machines/:type/:version/diagram.svg`. */
export const MachinePath = z.object({ type: ActorType, version: MachineVersionParam });
/** `/assets/:name` (the console's files). */
export const AssetPath = z.object({ name: AssetName });
/** `POST /live/cseg/:channelId` (Vr, NOTES 16). */
export const VrChannelPath = z.object({ channelId: VrChannelId });
/** `PUT /cs/up/:session/:name` and `GET /cs/seg/:session/:name` (signed segment URLs). */
export const SegmentPath = z.object({ session: RecordSessionId, name: SegmentName });
/** `PUT /upload/:token` (snapshots, logs, alarm pictures). */
export const UploadPath = z.object({ token: UploadToken });
/** `/media/live/:streamId` (live MPEG-TS over WebSocket). */
export const MediaLivePath = z.object({ streamId: StreamId });
/** `/api/devices/:id/channels/:ch/sdplay/:sid` (a playback of the SD card: its id has a stream id's form). */
export const SdPlayPath = z.object({ id: DeviceId, ch: ChannelParam, sid: StreamId });
/** `/media/sd/:playId` (an SD-card playback's MPEG-TS over WebSocket). */
export const MediaSdPath = z.object({ playId: StreamId });
