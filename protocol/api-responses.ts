/**
 * What the CU and admin API answers: one zod schema per response body, declared beside each route
 * with `responds()` (routes/responses.ts) and collected into /api/openapi.json. Objects are loose
 * (`z.looseObject`): a field added to an answer is not a breaking change, and a client reads what it
 * knows. tests/routes/openapi-responses.test.ts checks real answers of the platform against the
 * document built from these, so it cannot drift from what is sent unnoticed.
 * @module
 */
import { z } from 'zod';
import { DEVICE_ROLES } from './shares-api.ts';

import { AnyJson, EpochMs, IsoTime, JsonObject } from './api-json.ts';

// ── Errors ──

/** RFC 9457 problem JSON: every error of the API (routes/problem.ts). */
export const Problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('what was wrong, naming the field or the reason'),
  field: z.string().optional().describe('the offending field, when one is to blame'),
});

/** A device's own refusal of an RPC: problem JSON with the Vd `err` (H.627.2 I.1). */
export const RpcRefused = Problem.extend({ err: z.looseObject({ code: z.number().int(), msg: z.string() }) });

// ── Sessions and users ──

/** The signed-in user, as sign-in answers it. */
export const SessionUser = z.looseObject({ id: z.string(), username: z.string(), role: z.string() });

/** `POST /api/session`: a bearer token and its end. */
export const SessionToken = z.looseObject({ token: z.string(), expires_at: IsoTime, user: SessionUser });

/** `POST /api/console/session`: the token goes only into the cookie. */
export const ConsoleSession = z.looseObject({ user: SessionUser, expires_at: IsoTime });

/** `GET /api/me`: who the caller is. */
export const Principal = z.union([
  z.looseObject({ kind: z.literal('admin-token'), role: z.literal('admin') }),
  z.looseObject({
    kind: z.literal('user'),
    role: z.enum(['user', 'admin']),
    userId: z.string(),
    username: z.string(),
    sessionId: z.string().optional(),
    sessionExpiresAt: EpochMs.optional(),
  }),
]);

/** `POST /api/bind-codes`: a one-time code the camera binds with (NOTES 7). */
export const BindCode = z.looseObject({ bind_code: z.string(), expires_at: IsoTime });

/** `POST /api/admin/users`. */
export const UserInfo = z.looseObject({ id: z.string(), username: z.string(), role: z.enum(['user', 'admin']), created_at: IsoTime });

// ── Devices ──

/** A provisioned device (admin views). */
export const DeviceInfo = z.looseObject({
  device_id: z.string(),
  mac_id: z.string(),
  channels: z.array(z.number().int()),
  owner_id: z.string().nullable(),
  created_at: IsoTime,
  actor_id: z.string(),
  state: z.string().nullable(),
});

/** `GET /api/admin/devices`. */
export const DeviceInfoList = z.looseObject({ devices: z.array(DeviceInfo) });

/** A channel's state as the PU last reported it (DevStatus, NOTES 2). */
const ChannelState = z.looseObject({
  channel: z.number().int(),
  state: z.number().int().describe('0 offline, 1 online, 3 error, 4 disabled'),
  alarm: z.number().int().describe('alarm flags, bit 1 << type'),
  stream_id: z.string().optional(),
  record_session: z.string().optional(),
});

/** A device as its owner sees it: provisioning plus what its pu actor knows. */
export const DeviceStatus = z.looseObject({
  device_id: z.string(),
  mac_id: z.string(),
  channels: z.array(z.number().int()),
  owner_id: z.string().nullable(),
  state: z.string().describe("the pu actor's state, e.g. online.ready, offline, hibernating"),
  online: z.boolean(),
  connected: z.boolean(),
  since: EpochMs,
  reason: z.string(),
  last_seen: EpochMs.nullable(),
  asleep: z.boolean(),
  last_heartbeat: EpochMs.nullable(),
  hardware_model: z.string().nullable(),
  firmware_model: z.string().nullable(),
  battery: z.number().nullable(),
  capabilities: JsonObject.nullable().describe("GetCap's answer at the last login; null: unknown"),
  disk: JsonObject.nullable().describe("GetDiskInfo's answer at the last login; null: unknown"),
  channel_states: z.array(ChannelState),
  active_alarms: z.array(z.looseObject({ channel: z.number().int(), type: z.number().int(), since: EpochMs })),
  upgrade: JsonObject.nullable(),
  locked_until: EpochMs.nullable(),
  role: z.enum(DEVICE_ROLES).describe('your role on the device (docs/console.md, "Sharing"): viewer, operator, owner or admin'),
});

/** `GET /api/devices`. */
export const DeviceStatusList = z.looseObject({ devices: z.array(DeviceStatus) });

/** `POST /api/devices/:id/rpc`: the device's answer, plus what the platform added (a snapshot id, a log's trans_id). */
export const RpcAnswer = z.looseObject({
  resp: AnyJson.describe("the device's answer (the method's response schema, H.627.2 Annex I)"),
  snapshot_id: z.string().optional(),
  trans_id: z.string().optional(),
});

/** An alarm as listed. */
export const AlarmInfo = z.looseObject({
  id: z.string(),
  channel: z.number().int(),
  type: z.number().int(),
  state: z.string(),
  desc: z.string().nullable(),
  device_timestamp: z.number().nullable(),
  received_at: IsoTime,
  picture: z.string().nullable().describe('the API path of its picture, when the device uploaded one'),
});

/** `GET /api/devices/:id/alarms`. */
export const AlarmList = z.looseObject({ alarms: z.array(AlarmInfo) });

// ── Live and SD-card playback ──

/** `POST …/live`: where to watch. */
export const LiveTicket = z.looseObject({
  stream_id: z.string(),
  viewer_id: z.string(),
  srt_url: z.string(),
  ws_url: z.string(),
  expires_at: IsoTime,
  state: z.string(),
});

/** `POST …/sdplay`: where to watch an SD-card playback. */
export const SdPlayTicket = z.looseObject({ play_id: z.string(), srt_url: z.string(), ws_url: z.string(), expires_at: IsoTime });

/** An SD-card playback, with the camera's own status when it gave one. */
export const SdPlayView = z.looseObject({
  play_id: z.string(),
  device_id: z.string(),
  channel: z.number().int(),
  state: z.string(),
  reason: z.string(),
  from: z.number(),
  to: z.number(),
  asked_pos: z.number(),
  speed: z.number(),
  viewer: z.string(),
  status: z.string().optional(),
  pos: z.number().optional(),
  failure: z.looseObject({ reason: z.string(), code: z.number().int().optional() }).optional(),
  status_error: z.string().optional(),
});

// ── Recording: protocol/api-responses-recording.ts ──

export * from './api-responses-recording.ts';

// ── Actors, machines, nodes ──

/** An actor as it is now. */
export const ActorView = z.looseObject({
  id: z.string(),
  type: z.string(),
  machineId: z.string(),
  version: z.number().int(),
  seq: z.number().int(),
  status: z.string(),
  value: AnyJson,
  stateKey: z.string(),
  context: JsonObject,
  timers: z.array(z.looseObject({ id: z.string(), due: EpochMs, event: JsonObject })),
  deviceId: z.string().nullable(),
  parentId: z.string().nullable(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
});

/** `GET /api/actors`. */
/** `GET /api/actors`: a page, newest update first, and the cursor of the next (null on the last). */
export const ActorList = z.looseObject({ actors: z.array(ActorView), next: z.string().nullable() });
/** `GET /api/actors/:id/related`: each type's count and first page. */
export const RelatedActors = z.looseObject({
  groups: z.array(z.looseObject({ type: z.string(), count: z.number().int(), actors: z.array(ActorView), next: z.string().nullable() })),
});

/** One step of an actor's history: the event and the state and context after it. */
export const HistoryEntry = z.looseObject({
  seq: z.number().int(),
  at: EpochMs,
  machineVersion: z.number().int(),
  event: z.looseObject({ type: z.string() }),
  value: AnyJson,
  changes: AnyJson,
  context: JsonObject,
  checkpoint: z.boolean(),
});

/** `GET /api/actors/:id/history`. */
export const HistoryPage = z.looseObject({ events: z.array(HistoryEntry) });

/** `GET /api/actors/:id/export`. */
export const HistoryExport = z.looseObject({
  format: z.string(),
  exportedAt: IsoTime,
  actor: ActorView.omit({ timers: true, createdAt: true, updatedAt: true }),
  events: z.array(HistoryEntry),
});

/** `GET /api/actors/:id/replay`. */
export const ReplayVerdict = z.looseObject({
  actorId: z.string(),
  ok: z.boolean(),
  events: z.number().int(),
  mismatches: z.array(z.looseObject({ seq: z.number().int(), event: z.string(), what: z.string(), expected: AnyJson, got: AnyJson })),
  error: z.string().optional(),
  checkedAt: IsoTime,
});

/** `GET /api/machines`. */
export const MachineList = z.looseObject({
  machines: z.array(z.looseObject({ type: z.string(), version: z.number().int(), machineId: z.string(), latest: z.boolean(), diagram: z.string() })),
});

/** A cluster node. */
export const NodeView = z.looseObject({
  id: z.string(),
  state: z.string(),
  actorState: z.string().nullable(),
  epoch: z.number().int(),
  baseUrl: z.string(),
  publicHost: z.string(),
  ports: z.looseObject({ http: z.number().int(), srt: z.number().int() }),
  load: z.looseObject({ pus: z.number(), streams: z.number(), uploads: z.number(), cpu: z.number() }),
  startedAt: EpochMs,
  heartbeatAt: EpochMs,
  leaseUntil: EpochMs,
  live: z.boolean(),
});

/** `GET /api/admin/nodes`. */
export const NodeList = z.looseObject({ nodes: z.array(NodeView) });

/** An event of a camera (docs/console.md, docs/webhooks.md): what `GET /api/events/history` lists and webhooks send. */
export const DeviceEvent = z.looseObject({
  id: z.string(),
  kind: z.string(),
  device_id: z.string(),
  channel: z.number().int().nullable(),
  at: IsoTime,
  data: JsonObject,
});
/** `GET /api/events/history`: a page, newest first, and the `before` cursor of the next (null on the last). */
export const EventPage = z.looseObject({ events: z.array(DeviceEvent), next: z.string().nullable() });

/** A webhook as listed (never its secret). */
export const Webhook = z.looseObject({ id: z.string(), url: z.string(), kinds: z.array(z.string()).nullable(), created_at: IsoTime });
/** `POST /api/webhooks`: the webhook and its secret, shown this once. */
export const WebhookCreated = Webhook.extend({ secret: z.string() });
/** `GET /api/webhooks`. */
export const WebhookList = z.looseObject({ webhooks: z.array(Webhook) });
/** `GET /api/webhooks/:id/deliveries`: each delivery, its attempts and the event sent. */
export const WebhookDeliveries = z.looseObject({
  deliveries: z.array(
    z.looseObject({
      id: z.string(),
      event_id: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      last_status: z.number().int().nullable(),
      last_error: z.string().nullable(),
      next_attempt_at: IsoTime.nullable(),
      created_at: IsoTime,
      delivered_at: IsoTime.nullable(),
      attempt_log: z.array(z.looseObject({ at: IsoTime, status: z.number().int().nullable(), error: z.string().nullable() })),
      event: AnyJson,
    }),
  ),
});

/** `GET /api/admin/streams`: the live streams not ended, newest first (at most STREAM_OVERVIEW_MAX: `truncated`). */
export const StreamOverview = z.looseObject({
  truncated: z.boolean(),
  streams: z.array(
    z.looseObject({
      stream_id: z.string(),
      actor_id: z.string(),
      device_id: z.string(),
      channel: z.number().int(),
      state: z.string(),
      since: EpochMs,
      live_at: EpochMs.nullable(),
      viewers: z.number().int(),
      bitrate_bps: z.number().nullable(),
      bytes: z.number().nullable(),
      stats_at: EpochMs.nullable(),
      reason: z.string(),
    }),
  ),
});
