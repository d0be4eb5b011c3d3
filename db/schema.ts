/**
 * Drizzle schema: the actor store (actors, their event log) and the CMU's own records
 * (devices and users, which hold the secrets that never enter actor context).
 */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, json, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per actor: its latest snapshot and pending timers (fast start, lazy rehydration).
 * Snapshot and log columns are `json`, not `jsonb`: they are written far more than queried
 * inside, and `json` input costs a validation where `jsonb` costs a conversion.
 */
export const actors = pgTable(
  'actors',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    machineId: text('machine_id').notNull(),
    machineVersion: integer('machine_version').notNull(),
    /** Sequence number of the last logged event; the expected-seq check fences stale writers. */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    status: text('status').notNull(),
    /** The state value flattened to a dotted path (`online`, `upgrading.polling`) for filtering. */
    stateKey: text('state_key').notNull(),
    value: json('value').notNull(),
    /** The context as of event `context_seq`; later events' diffs bring it up to `seq` (written every few events). */
    context: json('context').notNull(),
    contextSeq: bigint('context_seq', { mode: 'number' }).notNull().default(0),
    historyValue: json('history_value'),
    /** Pending delayed events: `[{id, due, gen, event}]` with `due` in epoch ms. */
    timers: json('timers').notNull().default(sql`'[]'::json`),
    nextTimerAt: timestamp('next_timer_at', { withTimezone: true, mode: 'date' }),
    deviceId: text('device_id'),
    parentId: text('parent_id'),
    /** The node that may advance this actor (docs/cluster.md), under the epoch of its membership; null: nobody yet. */
    ownerNode: text('owner_node'),
    ownerEpoch: bigint('owner_epoch', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('actors_type_state_idx').on(t.type, t.stateKey),
    // Adoption looks up a dead incarnation's actors whose timers fall due (actors/host/ownership.ts); leaving, its own.
    index('actors_owner_timer_idx').on(t.ownerNode, t.ownerEpoch, t.nextTimerAt),
    index('actors_next_timer_idx').on(t.nextTimerAt).where(sql`${t.nextTimerAt} is not null`),
    index('actors_device_idx').on(t.deviceId),
    index('actors_parent_idx').on(t.parentId),
  ],
);

/** The event log: one row per accepted event, with the state it produced and what changed. */
export const actorEvents = pgTable(
  'actor_events',
  {
    actorId: text('actor_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    machineVersion: integer('machine_version').notNull(),
    event: json('event').notNull(),
    value: json('value').notNull(),
    /** Shallow context diff against the previous row: `{set: {...}, unset: [...]}`. */
    changes: json('changes').notNull(),
    /** Full context on checkpoint rows (seq 0 and every CHECKPOINT_EVERY events), else null. */
    context: json('context'),
    /** For an event another actor sent (actors/host/outbox.ts): its outbox key, which makes a redelivery a duplicate. */
    deliveryKey: text('delivery_key'),
    /** `<node>#<epoch>` of the owner that wrote it (docs/cluster.md): the log shows one writer per epoch. Null outside a cluster. */
    writer: text('writer'),
  },
  (t) => [
    primaryKey({ columns: [t.actorId, t.seq] }),
    // Retention deletes by time: BRIN stays tiny and nearly free to maintain on an append-only log.
    index('actor_events_at_brin').using('brin', t.at),
    // An actor applies a message once: a redelivered one fails here (actors/host/outbox.ts).
    uniqueIndex('actor_events_delivery_key_idx').on(t.actorId, t.deliveryKey).where(sql`${t.deliveryKey} is not null`),
  ],
);

/**
 * Messages between actors not yet delivered: written in the sender's commit, deleted in the commit
 * that logs the receiver's event (or when the receiver ignores it). What is here after a crash is
 * redelivered at start (actors/host/outbox.ts).
 */
export const actorOutbox = pgTable(
  'actor_outbox',
  {
    /** The effect key `<sender>:<seq>:<index>`. */
    key: text('key').primaryKey(),
    senderId: text('sender_id').notNull(),
    /** The sender's seq and the effect's index in its transition: the order of redelivery. */
    senderSeq: bigint('sender_seq', { mode: 'number' }).notNull(),
    position: integer('position').notNull(),
    receiverId: text('receiver_id').notNull(),
    event: json('event').notNull(),
    /** How to make the receiver when it does not exist (actors/host/tell.ts `create`), or null. */
    spawn: json('spawn'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('actor_outbox_order_idx').on(t.createdAt, t.senderId, t.senderSeq, t.position)],
);

/**
 * The cluster's nodes (docs/cluster.md): one row per NODE_ID, its membership epoch (bumped at every join) and its
 * lease, renewed by its heartbeat and judged by the database's clock. Actors name their owner by (id, epoch).
 */
export const clusterNodes = pgTable('cluster_nodes', {
  id: text('id').primaryKey(),
  epoch: bigint('epoch', { mode: 'number' }).notNull(),
  /** joining, active, draining, gone (left), dead (its lease ran out). */
  state: text('state').notNull(),
  /** Where other nodes reach it: `https://PUBLIC_HOST:HTTP_PORT`. */
  baseUrl: text('base_url').notNull(),
  publicHost: text('public_host').notNull(),
  httpPort: integer('http_port').notNull(),
  srtPort: integer('srt_port').notNull(),
  /** Its heartbeat's load: PUs, streams, uploads, CPU. */
  load: json('load').notNull().default(sql`'{}'::json`),
  startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }).notNull(),
});

/** Platform users (CU accounts and admins). */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['user', 'admin'] })
    .notNull()
    .default('user'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  /** Failed sign-ins since the last success (NIST SP 800-63B 5.2.2: a hard lock only after many in a row). */
  failedLogins: integer('failed_logins').notNull().default(0),
  /** Set when `failed_logins` reached the hard-lock threshold: no sign-in before this time. */
  lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
});

/** Provisioned devices (PUs): credentials and ownership; lifecycle lives in the pu actor. */
export const devices = pgTable(
  'devices',
  {
    id: text('id').primaryKey(),
    macId: text('mac_id').notNull().unique(),
    passwordHash: text('password_hash').notNull(),
    /**
     * HMAC-SHA256 of the password under the platform key: checked at login instead of argon2id,
     * which could not keep up with a reconnect storm (README, "Security").
     */
    verifier: text('verifier'),
    /** The password encrypted under the platform key, kept only for devices using the signed login. */
    secretEnc: text('secret_enc'),
    channels: jsonb('channels').notNull().default(sql`'[0]'::jsonb`),
    ownerId: text('owner_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('devices_owner_idx').on(t.ownerId)],
);

/**
 * A device its owner shares with another user, and the role that user has on it (`viewer`: live and playback;
 * `operator`: also PTZ, snapshots, recording on and off). Shares go with the binding: unbinding deletes them.
 */
export const deviceShares = pgTable(
  'device_shares',
  {
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['viewer', 'operator'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.deviceId, t.userId] }), index('device_shares_user_idx').on(t.userId)],
);

/** CU user sessions: bearer tokens (stored as SHA-256 hashes) and their expiry. */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    /** A public id of the session (not a credential): what signed playback URLs are bound to, so they die with it. */
    id: text('id').notNull().unique().default(sql`gen_random_uuid()::text`),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/**
 * Nonces of signed Vd logins already used (docs/protocol.md, "Signed login"): kept until the
 * login's timestamp window has passed, so a replay is refused after a restart too.
 */
export const loginNonces = pgTable(
  'login_nonces',
  {
    deviceId: text('device_id').notNull(),
    nonce: text('nonce').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.deviceId, t.nonce] }), index('login_nonces_expiry_idx').on(t.expiresAt)],
);

/** One-time binding codes a user enters on a device (Bind, NOTES 13). */
export const bindCodes = pgTable('bind_codes', {
  code: text('code').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
  deviceId: text('device_id'),
});

/** Single-use, expiring upload URLs handed to devices (snapshots, logs, alarm pictures, segments). */
export const grants = pgTable(
  'grants',
  {
    token: text('token').primaryKey(),
    kind: text('kind', { enum: ['snapshot', 'log', 'alarm', 'segment'] }).notNull(),
    deviceId: text('device_id').notNull(),
    ref: text('ref').notNull(),
    maxBytes: bigint('max_bytes', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    size: bigint('size', { mode: 'number' }),
  },
  (t) => [index('grants_device_kind_idx').on(t.deviceId, t.kind, t.ref)],
);

/** Alarms reported by devices (AlarmNotify, I.2.16), with their picture when one was uploaded. */
export const alarms = pgTable(
  'alarms',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id').notNull(),
    channel: integer('channel').notNull(),
    type: integer('type').notNull(),
    state: text('state').notNull(),
    desc: text('desc').notNull(),
    deviceTimestamp: bigint('device_timestamp', { mode: 'number' }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    picture: text('picture'),
  },
  (t) => [index('alarms_device_time_idx').on(t.deviceId, t.receivedAt)],
);

/** Device log uploads (LogUploadAsync, LogDone: I.2.29, I.2.30). */
export const deviceLogs = pgTable(
  'device_logs',
  {
    deviceId: text('device_id').notNull(),
    transId: text('trans_id').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    start: text('start').notNull(),
    end: text('end').notNull(),
    status: text('status'),
    size: bigint('size', { mode: 'number' }),
    file: text('file'),
    doneAt: timestamp('done_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.deviceId, t.transId] })],
);

/** Snapshots taken on request (Snapshot, I.2.22). */
export const snapshots = pgTable(
  'snapshots',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id').notNull(),
    channel: integer('channel').notNull(),
    takenAt: timestamp('taken_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    file: text('file'),
    size: bigint('size', { mode: 'number' }),
  },
  (t) => [index('snapshots_device_idx').on(t.deviceId, t.takenAt)],
);

// ── Recording (Vr) and cloud storage (issue #5; docs/recording.md) ──────────────────────────────
// Imported here, beside the tables that use them, so this section stays one additive block.
import { boolean, doublePrecision, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Record sessions: the recording actor's lookup keys and its Vr channel id. The channel id
 * (`/live/cseg/<token>`) is a capability: it lives here, never in actor context (NOTES 16).
 */
export const recordingSessions = pgTable(
  'recording_sessions',
  {
    /** The recording actor's id (`rec:<session_id>`). */
    id: text('id').primaryKey(),
    /** The channelID of the Vr URL: 24 random bytes, base64url. */
    token: text('token').notNull().unique(),
    sessionId: text('session_id').notNull().unique(),
    deviceId: text('device_id').notNull(),
    channel: integer('channel').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Set once the session is stopped: then another session may start on the channel. */
    closedAt: timestamp('closed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('recording_sessions_open_idx').on(t.deviceId, t.channel).where(sql`${t.closedAt} is null`)],
);

/** Per-device recording policy (retention of confirmed segments). */
export const recordingPolicies = pgTable('recording_policies', {
  deviceId: text('device_id').primaryKey(),
  retentionS: integer('retention_s').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** Per-device recording quota, bytes (docs/recording.md, "Quotas"): overrides RECORDING_DEVICE_QUOTA_BYTES; 0 is no quota. */
export const recordingQuotas = pgTable('recording_quotas', {
  deviceId: text('device_id').primaryKey(),
  quotaBytes: bigint('quota_bytes', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * What a device keeps: the bytes and count of its confirmed segments (its `recording_segments` rows), kept by triggers
 * on that table (migrations/0013), so a quota check is one row read whatever the number of segments.
 */
export const recordingUsage = pgTable('recording_usage', {
  deviceId: text('device_id').primaryKey(),
  bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
  segments: integer('segments').notNull().default(0),
});

/**
 * The playback index: one row per confirmed segment, written by the very commit of the segment
 * actor's confirmation (a trigger on `actors`: migrations/0005) and removed with the segment's
 * bytes. The segment actors are the truth (docs/recording.md, "Durability").
 */
export const recordingSegments = pgTable(
  'recording_segments',
  {
    /** The segment actor's id (`seg:<session_id>:<stem>`). */
    id: text('id').primaryKey(),
    recordingId: text('recording_id').notNull(),
    deviceId: text('device_id').notNull(),
    channel: integer('channel').notNull(),
    name: text('name').notNull(),
    /** Device time of the first frame, seconds since the epoch (Vr create `start`). */
    start: doublePrecision('start').notNull(),
    /** Seconds (Vr create `duration`). */
    duration: doublePrecision('duration').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** Vr create `discontinue=1`: its timestamps do not follow the previous segment's. */
    discontinuity: boolean('discontinuity').notNull(),
    /** Where the bytes are in the segment storage (media/cs). */
    fileKey: text('file_key').notNull(),
    /** The store's version of the object the confirmation pinned (a versioned S3 bucket), else null (migrations/0016). */
    fileVersion: text('file_version'),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('recording_segments_channel_start_idx').on(t.deviceId, t.channel, t.start),
    // Quotas remove a device's oldest confirmed segments first (docs/recording.md, "Quotas").
    index('recording_segments_device_confirmed_idx').on(t.deviceId, t.confirmedAt, t.id),
  ],
);

/** Vr `op=stat` reports (I.3.5): segments and seconds the device dropped. */
export const recordingStats = pgTable(
  'recording_stats',
  {
    id: text('id').primaryKey(),
    recordingId: text('recording_id').notNull(),
    deviceId: text('device_id').notNull(),
    channel: integer('channel').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    droppedNb: integer('dropped_nb').notNull(),
    droppedTime: doublePrecision('dropped_time').notNull(),
  },
  (t) => [index('recording_stats_recording_idx').on(t.recordingId, t.receivedAt)],
);

/** The events page and webhooks (docs/webhooks.md): their tables are in their own module. */
export { deviceEvents, webhookDeliveries, webhooks } from './schema-events.ts';
export { detections } from './schema-detections.ts';
