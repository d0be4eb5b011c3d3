/**
 * Bodies and queries of the platform's own HTTP API (admin, CU, read API): the single source of
 * their types and of /api/openapi.json. Path parameters: protocol/paths.ts.
 * @module
 */
import { z } from 'zod';
import { ACTOR_ID_MAX_CHARS, CHANNELS_MAX, DEVICE_ID_MAX_CHARS, EPOCH_MS_MAX, KEY_MAX_CHARS, VD_NAME_MAX_CHARS } from './constants.ts';
import { normalizeMac } from './identity.ts';
import { ACTOR_TYPE_MAX_CHARS, DeviceId, StreamId } from './paths.ts';
import { text } from './text.ts';
import { Channel, TransId } from './vd-common.ts';
import { LogUploadAsyncParams } from './vd-maint.ts';
import { SnapshotParams } from './vd-media.ts';

/** Shortest password the platform accepts for a device or a user (platform's choice). */
export const PASSWORD_MIN_CHARS = 8;
/** Longest password accepted (bounds hashing work; platform's choice). */
export const PASSWORD_MAX_CHARS = 256;
/** Longest user name (platform's choice). */
export const USERNAME_MAX_CHARS = 64;
/** Longest actor state filter (a state path such as `online.streaming`). Platform's choice. */
export const STATE_FILTER_MAX_CHARS = 128;
/** Largest page of a list (actors, alarms). Platform's choice. */
export const LIST_PAGE_MAX = 1000;
/** Default page of a list of alarms. */
export const LIST_PAGE_DEFAULT = 100;
/** Largest offset into the actor list. Platform's choice: far beyond any deployment's actors. */
export const LIST_OFFSET_MAX = 10_000_000;
/** Largest actor event sequence number (a bigint column read as a JavaScript number). */
export const ACTOR_SEQ_MAX = Number.MAX_SAFE_INTEGER;

/** Characters of a MAC address written in any common notation (with separators: 17), with room for spaces. */
const MAC_TEXT_MAX_CHARS = 32;

/** A MAC address in any common notation, normalised to 12 lower-case hex digits. */
export const MacAddress = text(MAC_TEXT_MAX_CHARS).transform((given, ctx) => {
  const mac = normalizeMac(given);
  if (mac !== undefined) return mac;
  ctx.issues.push({ code: 'custom', message: 'expected a MAC address such as a0:b1:c2:d3:e4:f5', input: given });
  return z.NEVER;
});

/** A password as given to the API (only ever stored as an argon2id hash). */
export const Password = text(PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS);

/** `POST /api/admin/devices`: provision a PU. */
export const ProvisionDevice = z.object({
  device_id: DeviceId,
  password: Password,
  mac_id: MacAddress,
  channels: z
    .array(Channel)
    .min(1)
    .max(CHANNELS_MAX)
    .refine((list) => new Set(list).size === list.length, 'channel numbers must be unique')
    .optional(),
  /**
   * Allow the signed login (docs/protocol.md): the platform then keeps the password encrypted
   * under its key, because it must compute the HMAC itself. Off by default.
   */
  signed_login: z.boolean().default(false),
});
/** A provisioning request. */
export type ProvisionDevice = z.infer<typeof ProvisionDevice>;

/**
 * A user name: letters, digits and `. _ @ -`, beginning with a letter or a digit (so never `.` or `..`, which a URL
 * path cannot carry as one segment: `/api/admin/users/:username/unlock`).
 */
export const UserName = text(USERNAME_MAX_CHARS, 1).regex(
  /^[A-Za-z0-9][A-Za-z0-9._@-]*$/,
  'expected letters, digits and . _ @ -, beginning with a letter or digit',
);

/** `POST /api/admin/users`: create a user. */
export const CreateUser = z.object({
  username: UserName,
  password: Password,
  role: z.enum(['user', 'admin']).default('user'),
});
/** A user creation request. */
export type CreateUser = z.infer<typeof CreateUser>;

/** An integer query parameter from `min` to `max` (query values are text: read as numbers). */
const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Digits of a whole epoch millisecond in an actor list cursor (EPOCH_MS_MAX has 13). */
const CURSOR_MS_MAX_DIGITS = 13;
/** An actor list cursor as sent: `<updated, whole epoch ms>:<actor id>` (the `next` of the previous page). */
export const ActorCursorText = text(CURSOR_MS_MAX_DIGITS + 1 + ACTOR_ID_MAX_CHARS)
  .regex(new RegExp(`^\\d{1,${CURSOR_MS_MAX_DIGITS}}:.+$`), 'expected the `next` of a previous page (<epoch ms>:<actor id>)')
  .transform((s) => {
    const at = s.indexOf(':');
    return { updatedMs: Number(s.slice(0, at)), id: s.slice(at + 1) };
  });

/** `GET /api/actors` filters and paging (keyset: pass the previous page's `next` as `cursor`). */
export const ActorListQuery = z
  .object({
    type: text(ACTOR_TYPE_MAX_CHARS).optional(),
    state: text(STATE_FILTER_MAX_CHARS).optional(),
    device: text(DEVICE_ID_MAX_CHARS).optional(),
    parent: text(ACTOR_ID_MAX_CHARS).optional(),
    /** The actors related to this one: its children, and for a pu actor every actor of its device. */
    related: text(ACTOR_ID_MAX_CHARS, 1).optional(),
    /** Actors updated at or after this instant, milliseconds since the epoch. */
    since: queryInt(0, EPOCH_MS_MAX).optional(),
    /** Actors updated at or before this instant (its whole millisecond), milliseconds since the epoch. */
    until: queryInt(0, EPOCH_MS_MAX).optional(),
    limit: queryInt(1, LIST_PAGE_MAX).optional(),
    offset: queryInt(0, LIST_OFFSET_MAX).optional(),
    cursor: ActorCursorText.optional(),
  })
  .refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, { message: 'since must not be after until', path: ['until'] })
  .refine((q) => q.offset === undefined || q.cursor === undefined, { message: 'give either offset or cursor, not both', path: ['cursor'] });

/** Largest page of each type's related actors. Platform's choice: a page a person reads. */
export const RELATED_PAGE_MAX = 100;
/** Default page of each type's related actors. */
export const RELATED_PAGE_DEFAULT = 10;

/** `GET /api/actors/:id/related`: how many of each type, and the first `limit` of each. */
export const RelatedQuery = z.object({ limit: queryInt(1, RELATED_PAGE_MAX).default(RELATED_PAGE_DEFAULT) });

/** Largest page of actor history. */
export const HISTORY_PAGE_MAX = 1000;
/** Default page of actor history. */
export const HISTORY_PAGE_DEFAULT = 100;

/** `GET /api/actors/:id/history` paging: events with seq > after, at most limit. */
export const HistoryQuery = z.object({
  after: queryInt(-1, ACTOR_SEQ_MAX).default(-1),
  limit: queryInt(1, HISTORY_PAGE_MAX).default(HISTORY_PAGE_DEFAULT),
});

/** `POST /api/session`: sign in. */
export const SignIn = z.object({ username: text(USERNAME_MAX_CHARS, 1), password: text(PASSWORD_MAX_CHARS, 1) });

/** `POST /api/devices/:id/rpc`: one platform → PU message of Table 9-4, an RPC (`req`) or an event. */
export const RpcBody = z
  .object({
    req: text(VD_NAME_MAX_CHARS, 1).optional(),
    event: text(VD_NAME_MAX_CHARS, 1).optional(),
    /** The message's params, checked against the catalog by name (protocol/vd.ts) before they are sent. */
    params: z.record(text(KEY_MAX_CHARS), z.unknown()).optional(),
  })
  .refine((b) => (b.req === undefined) !== (b.event === undefined), { message: 'give exactly one of req or event', path: ['req'] });

/**
 * LogUploadAsync params as an API caller gives them (`RpcBody.params`): the platform fills `url`,
 * and `trans_id` when absent. Validate with this before anything is stored or granted: `trans_id`
 * is then a bounded, file-safe token (NOTES 11).
 */
export const LogUploadAsyncCallParams = LogUploadAsyncParams.omit({ url: true }).extend({ trans_id: TransId.optional() });
/** Snapshot params as an API caller gives them: the platform fills `url`; `channel` defaults to 0. */
export const SnapshotCallParams = SnapshotParams.omit({ url: true }).extend({ channel: Channel.optional() });

/** Paging of lists (alarms…). */
export const ListQuery = z.object({
  limit: queryInt(1, LIST_PAGE_MAX).default(LIST_PAGE_DEFAULT),
  /** Alarms received before this instant, milliseconds since the epoch. */
  before: queryInt(0, EPOCH_MS_MAX).optional(),
});

/** Lowest and highest live bitrate a viewer may ask for, kbit/s (platform's choice). */
export const LIVE_BITRATE_MIN_KBPS = 64;
export const LIVE_BITRATE_MAX_KBPS = 50_000;

/** `POST /api/devices/:id/channels/:ch/live`: watch a channel live. */
export const LiveRequest = z.object({
  /** PushLive `max_bitrate`, kbit/s, when the stream is started by this request. */
  max_bitrate: z.int().min(LIVE_BITRATE_MIN_KBPS).max(LIVE_BITRATE_MAX_KBPS).optional(),
});

/** `DELETE /api/devices/:id/channels/:ch/live?stream_id=…`: stop watching. */
export const LiveLeaveQuery = z.object({ stream_id: StreamId });
