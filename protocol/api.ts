/**
 * Bodies and queries of the platform's own HTTP API (admin, CU, read API): the single source of
 * their types and of /api/openapi.json.
 * @module
 */
import { z } from 'zod'
import { Channel } from './vd-common.ts'
import { DEVICE_ID_MAX_CHARS } from './constants.ts'
import { normalizeMac } from './identity.ts'

/** Shortest password the platform accepts for a device or a user (platform's choice). */
export const PASSWORD_MIN_CHARS = 8
/** Longest password accepted (bounds hashing work; platform's choice). */
export const PASSWORD_MAX_CHARS = 256
/** Longest user name (platform's choice). */
export const USERNAME_MAX_CHARS = 64
/** Most channels one PU may be provisioned with (an NVR; platform's choice). */
export const CHANNELS_MAX = 256

/** A device id as used in `login_code` (Table 9-3): printable ASCII without spaces or slashes. */
export const DeviceId = z
  .string()
  .min(1)
  .max(DEVICE_ID_MAX_CHARS)
  .regex(/^[\x21-\x2e\x30-\x7e]+$/, 'expected printable ASCII without spaces or "/"')

/** A MAC address in any common notation, normalised to 12 lower-case hex digits. */
export const MacAddress = z.string().transform((text, ctx) => {
  const mac = normalizeMac(text)
  if (mac !== undefined) return mac
  ctx.issues.push({ code: 'custom', message: 'expected a MAC address such as a0:b1:c2:d3:e4:f5', input: text })
  return z.NEVER
})

/** A password as given to the API (only ever stored as an argon2id hash). */
export const Password = z.string().min(PASSWORD_MIN_CHARS).max(PASSWORD_MAX_CHARS)

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
})
/** A provisioning request. */
export type ProvisionDevice = z.infer<typeof ProvisionDevice>

/** `POST /api/admin/users`: create a user. */
export const CreateUser = z.object({
  username: z
    .string()
    .min(1)
    .max(USERNAME_MAX_CHARS)
    .regex(/^[A-Za-z0-9._@-]+$/, 'expected letters, digits and . _ @ -'),
  password: Password,
  role: z.enum(['user', 'admin']).default('user'),
})
/** A user creation request. */
export type CreateUser = z.infer<typeof CreateUser>

/** `GET /api/actors` filters. */
export const ActorListQuery = z.object({
  type: z.string().max(32).optional(),
  state: z.string().max(128).optional(),
  device: z.string().max(DEVICE_ID_MAX_CHARS).optional(),
  parent: z.string().max(256).optional(),
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
})

/** Largest page of actor history. */
export const HISTORY_PAGE_MAX = 1000
/** Default page of actor history. */
export const HISTORY_PAGE_DEFAULT = 100

/** `GET /api/actors/:id/history` paging: events with seq > after, at most limit. */
export const HistoryQuery = z.object({
  after: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(HISTORY_PAGE_DEFAULT),
})

/** `POST /api/session`: sign in. */
export const SignIn = z.object({ username: z.string().min(1).max(USERNAME_MAX_CHARS), password: z.string().min(1).max(PASSWORD_MAX_CHARS) })

/** `POST /api/devices/:id/rpc`: one platform → PU message of Table 9-4, an RPC (`req`) or an event. */
export const RpcBody = z
  .object({
    req: z.string().min(1).max(64).optional(),
    event: z.string().min(1).max(64).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((b) => (b.req === undefined) !== (b.event === undefined), { message: 'give exactly one of req or event', path: ['req'] })

/** Paging of lists (alarms…). */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(0).optional(),
})

/** Lowest and highest live bitrate a viewer may ask for, kbit/s (platform's choice). */
export const LIVE_BITRATE_MIN_KBPS = 64
export const LIVE_BITRATE_MAX_KBPS = 50_000

/** `/api/devices/:id/channels/:ch/…` path parameters. */
export const ChannelPath = z.object({ id: z.string().min(1), ch: z.coerce.number().int().min(0) })

/** `POST /api/devices/:id/channels/:ch/live`: watch a channel live. */
export const LiveRequest = z.object({
  /** PushLive `max_bitrate`, kbit/s, when the stream is started by this request. */
  max_bitrate: z.int().min(LIVE_BITRATE_MIN_KBPS).max(LIVE_BITRATE_MAX_KBPS).optional(),
})

/** `DELETE /api/devices/:id/channels/:ch/live?stream_id=…`: stop watching. */
export const LiveLeaveQuery = z.object({ stream_id: z.string().regex(/^[0-9a-f]{16}$/, 'expected a stream id of 16 hex digits') })
