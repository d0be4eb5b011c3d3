/**
 * Platform configuration: read once from the environment and validated by zod.
 * A bad variable stops the process with a one-line error naming it (exit 2).
 */
import { z } from 'zod';
import { join, resolve } from 'node:path';

/**
 * The defaults that belong to the layers above (the spec's heartbeat, the stream machine's linger, the Vd budget):
 * given by the caller (boot/config.ts) so that lib/ imports nothing of ours above it.
 */
export interface ConfigDefaults {
  /** HB_INTERVAL_S when unset, seconds (H.627.2 I.2.2). */
  hbIntervalS: number;
  /** LIVE_LINGER_S when unset, in ms. */
  liveLingerMs: number;
  /** HIBERNATION_OFFLINE_S when unset: a sleeping device's silence before it is offline (OVC hibernation.md 2.2). */
  hibernationOfflineS: number;
  /** VD_MESSAGES_PER_S and VD_MESSAGE_BURST when unset. */
  vdMessageBudget: { ratePerS: number; burst: number };
  /** SRT_LISTENER_DORMANT_S when unset, in ms (the MDU's). */
  srtListenerDormantMs: number;
}

/** Default of LIVE_VIEWERS_PER_USER: a family's phones and a wall of cameras (platform's choice). */
export const LIVE_VIEWERS_PER_USER_DEFAULT = 16;

/**
 * A node id (NODE_ID; `/api/admin/nodes/:id`): up to 100 letters, digits, dots, dashes, colons and brackets, starting
 * with a letter, a digit or `[` (`node-1`, `10.0.0.1:8443`, `[::1]:8443`): never `.` or `..`, which a URL path would fold.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9[][A-Za-z0-9._:\-[\]]{0,99}$/;

/** Default HTTPS/WSS port for Vs, Vd, Vr, the API and the console. */
export const DEFAULT_HTTP_PORT = 8443;
/** Default days of actor history kept. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 90;
/** Default days alarms, snapshots and device logs are kept (platform's choice: a month of events to look back on). */
export const DEFAULT_DEVICE_FILES_RETENTION_DAYS = 30;
/** Default UDP port of the SRT listener (Vm). */
export const DEFAULT_SRT_PORT = 9710;
/** Default TCP port of the hibernation server (issue #22; beside SRT's). */
export const DEFAULT_HIBERNATION_PORT = 9711;
/** Default seconds a request to a sleeping camera waits for it to wake and log in (issue #22; platform's choice). */
export const DEFAULT_WAKE_TIMEOUT_S = 20;
/**
 * The longest WAKE_TIMEOUT_S: a wake, then an RPC (20 s) and the answer's margin, must fit in the idle timeout Bun allows
 * a request (255 s; routes/idle-timeout.ts).
 */
export const WAKE_TIMEOUT_MAX_S = 200;

const portNumber = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be an integer port`)
    .min(0, `${name} must be between 0 and 65535`)
    .max(65535, `${name} must be between 0 and 65535`);
const port = (name: string, fallback: number) => portNumber(name).default(fallback);

/** Default MQTT_TOPIC_PREFIX: the first level of every camera's topics (docs/mqtt.md). */
export const DEFAULT_MQTT_TOPIC_PREFIX = 'h627';
/** Default EVENTS_RETENTION_DAYS (platform's choice). */
export const DEFAULT_EVENTS_RETENTION_DAYS = 90;
/** Default WEBHOOK_RETRY_BASE_S: 10 s, 20 s, 40 s… (platform's choice). */
export const DEFAULT_WEBHOOK_RETRY_BASE_S = 10;
/** Default MQTT_DISCOVERY_PREFIX: Home Assistant's own default discovery prefix. */
export const DEFAULT_MQTT_DISCOVERY_PREFIX = 'homeassistant';
/** Longest MQTT topic prefix accepted (platform's choice; MQTT 3.1.1 allows 65,535 bytes for a whole topic). */
export const MQTT_PREFIX_MAX_CHARS = 100;

/** A topic prefix: levels of letters, digits, `_` and `-` separated by `/`, no wildcard, no empty level. */
const topicPrefix = (name: string, fallback: string) =>
  z
    .string()
    .max(MQTT_PREFIX_MAX_CHARS, `${name} must be at most ${MQTT_PREFIX_MAX_CHARS} characters`)
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, `${name} must be topic levels of letters, digits, _ or - separated by /`)
    .default(fallback);

const pgUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), 'DATABASE_URL must be a postgres:// or postgresql:// URL');

/** The environment variables the platform reads (README, "Configuration"), with their defaults. */
export const envSchema = (d: ConfigDefaults) =>
  z.object({
    DATA_DIR: z.string().min(1, 'DATA_DIR must not be empty').default('./data'),
    DATABASE_URL: pgUrl.optional(),
    HTTP_PORT: port('HTTP_PORT', DEFAULT_HTTP_PORT),
    SRT_PORT: port('SRT_PORT', DEFAULT_SRT_PORT),
    /** Seconds with no live stream granted or connected after which the SRT listener closes until the next grant; 0: never. */
    SRT_LISTENER_DORMANT_S: z.coerce
      .number({ error: 'SRT_LISTENER_DORMANT_S must be a number of seconds' })
      .min(0, 'SRT_LISTENER_DORMANT_S must be >= 0')
      .max(86_400, 'SRT_LISTENER_DORMANT_S must be at most 86400')
      .default(d.srtListenerDormantMs / 1000),
    /** Plain-HTTP listener for the callbacks of devices without https (GetCap, NOTES 9); unset: none (boot/device-http.ts). */
    DEVICE_HTTP_PORT: portNumber('DEVICE_HTTP_PORT').optional(),
    /** TCP port of the hibernation server (sleeping devices' heartbeats, OVC hibernation.md); 0: any free port. */
    HIBERNATION_PORT: port('HIBERNATION_PORT', DEFAULT_HIBERNATION_PORT),
    /** Seconds without a hibernation heartbeat after which a sleeping device is offline (OVC: 135); lower in tests. */
    HIBERNATION_OFFLINE_S: z.coerce
      .number({ error: 'HIBERNATION_OFFLINE_S must be a number of seconds' })
      .min(1, 'HIBERNATION_OFFLINE_S must be at least 1')
      .max(86_400, 'HIBERNATION_OFFLINE_S must be at most 86400')
      .default(d.hibernationOfflineS),
    /** Seconds a request to a sleeping camera waits for it to wake and log in. */
    WAKE_TIMEOUT_S: z.coerce
      .number({ error: 'WAKE_TIMEOUT_S must be a number of seconds' })
      .min(1, 'WAKE_TIMEOUT_S must be at least 1')
      .max(WAKE_TIMEOUT_MAX_S, `WAKE_TIMEOUT_S must be at most ${WAKE_TIMEOUT_MAX_S}`)
      .default(DEFAULT_WAKE_TIMEOUT_S),
    PUBLIC_HOST: z
      .string()
      .regex(/^[A-Za-z0-9.\-:[\]]+$/, 'PUBLIC_HOST must be a host name or IP address')
      .default('127.0.0.1'),
    /** This node's name in a cluster (docs/deploy.md); default `PUBLIC_HOST:HTTP_PORT`. */
    NODE_ID: z
      .string()
      .regex(NODE_ID_PATTERN, 'NODE_ID must be 1-100 letters, digits, dots, dashes, colons or brackets, starting with a letter, digit or [')
      .optional(),
    /** Where alarm pictures, snapshots and device logs are kept: in a cluster, a mount every node shares (docs/deploy.md). */
    FILES_DIR: z.string().min(1, 'FILES_DIR must not be empty').optional(),
    /** The platform key every node of a cluster shares (signed logins, Vr tokens, node-to-node calls). */
    PLATFORM_KEY_FILE: z.string().min(1, 'PLATFORM_KEY_FILE must not be empty').optional(),
    /** `1`: node-to-node HTTPS accepts any certificate (nodes with their own self-signed ones; docs/cluster.md). */
    CLUSTER_TLS_INSECURE: z.enum(['0', '1'], { error: 'CLUSTER_TLS_INSECURE must be 0 or 1' }).default('0'),
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    /** Heartbeat interval handed to devices in GetServerInfo (I.2.2); the spec's default is 10 s. */
    HB_INTERVAL_S: z.coerce
      .number({ error: 'HB_INTERVAL_S must be a number of seconds' })
      .int('HB_INTERVAL_S must be whole seconds')
      .min(1, 'HB_INTERVAL_S must be at least 1')
      .max(3600, 'HB_INTERVAL_S must be at most 3600')
      .default(d.hbIntervalS),
    /** Seconds a live stream stays up after its last viewer left (issue #4: 30 s by default). */
    LIVE_LINGER_S: z.coerce
      .number({ error: 'LIVE_LINGER_S must be a number of seconds' })
      .min(0, 'LIVE_LINGER_S must be >= 0')
      .max(3600, 'LIVE_LINGER_S must be at most 3600')
      .default(d.liveLingerMs / 1000),
    /** Days of actor history kept (older rows are pruned, keeping the last checkpoint before the cutoff). */
    HISTORY_RETENTION_DAYS: z.coerce
      .number({ error: 'HISTORY_RETENTION_DAYS must be a number of days' })
      .min(1, 'HISTORY_RETENTION_DAYS must be at least 1')
      .max(36500, 'HISTORY_RETENTION_DAYS must be at most 36500')
      .default(DEFAULT_HISTORY_RETENTION_DAYS),
    /** Days alarms (with their pictures), snapshots and device logs are kept. */
    DEVICE_FILES_RETENTION_DAYS: z.coerce
      .number({ error: 'DEVICE_FILES_RETENTION_DAYS must be a number of days' })
      .min(1, 'DEVICE_FILES_RETENTION_DAYS must be at least 1')
      .max(36500, 'DEVICE_FILES_RETENTION_DAYS must be at most 36500')
      .default(DEFAULT_DEVICE_FILES_RETENTION_DAYS),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Bearer token `/metrics` asks for; unset: /metrics is open (keep it off the public network then). */
    METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
    /** A device's Vd message budget: messages per second sustained, and the burst (services/vd/vd-budget.ts). */
    VD_MESSAGES_PER_S: z.coerce
      .number({ error: 'VD_MESSAGES_PER_S must be a number' })
      .min(0.1, 'VD_MESSAGES_PER_S must be at least 0.1')
      .max(100_000, 'VD_MESSAGES_PER_S must be at most 100000')
      .default(d.vdMessageBudget.ratePerS),
    VD_MESSAGE_BURST: z.coerce
      .number({ error: 'VD_MESSAGE_BURST must be a number' })
      .int('VD_MESSAGE_BURST must be whole messages')
      .min(1, 'VD_MESSAGE_BURST must be at least 1')
      .max(1_000_000, 'VD_MESSAGE_BURST must be at most 1000000')
      .default(d.vdMessageBudget.burst),
    /** Live viewers one user (or the admin token) may hold at once, across all streams (services/live/live.ts). */
    LIVE_VIEWERS_PER_USER: z.coerce
      .number({ error: 'LIVE_VIEWERS_PER_USER must be a number' })
      .int('LIVE_VIEWERS_PER_USER must be a whole number')
      .min(1, 'LIVE_VIEWERS_PER_USER must be at least 1')
      .max(10_000, 'LIVE_VIEWERS_PER_USER must be at most 10000')
      .default(LIVE_VIEWERS_PER_USER_DEFAULT),
    /** MQTT broker for Home Assistant (docs/mqtt.md); unset: no MQTT. */
    MQTT_URL: z
      .string()
      .refine((v) => /^mqtts?:\/\/[^/\s]+\/?$/.test(v), 'MQTT_URL must be mqtt://host[:port] or mqtts://host[:port]')
      .optional(),
    MQTT_USERNAME: z.string().optional(),
    MQTT_PASSWORD: z.string().optional(),
    MQTT_TOPIC_PREFIX: topicPrefix('MQTT_TOPIC_PREFIX', DEFAULT_MQTT_TOPIC_PREFIX),
    MQTT_DISCOVERY_PREFIX: topicPrefix('MQTT_DISCOVERY_PREFIX', DEFAULT_MQTT_DISCOVERY_PREFIX),
    /** Days device events (the events page, webhook deliveries) are kept (docs/webhooks.md). */
    EVENTS_RETENTION_DAYS: z.coerce
      .number({ error: 'EVENTS_RETENTION_DAYS must be a number of days' })
      .min(1, 'EVENTS_RETENTION_DAYS must be at least 1')
      .max(36500, 'EVENTS_RETENTION_DAYS must be at most 36500')
      .default(DEFAULT_EVENTS_RETENTION_DAYS),
    /** `1`: webhook receivers' certificates are not checked (tests, self-signed receivers; docs/webhooks.md). */
    WEBHOOK_INSECURE_TLS: z.enum(['0', '1'], { error: 'WEBHOOK_INSECURE_TLS must be 0 or 1' }).default('0'),
    /** `1`: webhooks may target loopback and private addresses (tests, receivers on the platform's own network). */
    WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1'], { error: 'WEBHOOK_ALLOW_PRIVATE must be 0 or 1' }).default('0'),
    /** A PEM file of CAs webhook receivers' certificates may also chain to. */
    WEBHOOK_CA_FILE: z.string().min(1).optional(),
    /** Seconds before a failed webhook delivery's first retry; each next one waits twice as long. */
    WEBHOOK_RETRY_BASE_S: z.coerce
      .number({ error: 'WEBHOOK_RETRY_BASE_S must be a number of seconds' })
      .min(0.1, 'WEBHOOK_RETRY_BASE_S must be at least 0.1')
      .max(3600, 'WEBHOOK_RETRY_BASE_S must be at most 3600')
      .default(DEFAULT_WEBHOOK_RETRY_BASE_S),
    /** Detector workers (Bun Workers, one model each) and the node's detection budget in frames/s (docs/detection.md). */
    DETECT_WORKERS: z.coerce
      .number({ error: 'DETECT_WORKERS must be a number' })
      .int('DETECT_WORKERS must be a whole number')
      .min(1, 'DETECT_WORKERS must be at least 1')
      .max(DETECT_WORKERS_MAX, `DETECT_WORKERS must be at most ${DETECT_WORKERS_MAX}`)
      .default(DETECT_WORKERS_DEFAULT),
    DETECT_NODE_FPS: z.coerce
      .number({ error: 'DETECT_NODE_FPS must be a number' })
      .min(0.1, 'DETECT_NODE_FPS must be at least 0.1')
      .max(DETECT_NODE_FPS_MAX, `DETECT_NODE_FPS must be at most ${DETECT_NODE_FPS_MAX}`)
      .default(DETECT_NODE_FPS_DEFAULT),
    /** Days detection events are kept (docs/detection.md); their pictures follow DEVICE_FILES_RETENTION_DAYS. */
    DETECTIONS_RETENTION_DAYS: z.coerce
      .number({ error: 'DETECTIONS_RETENTION_DAYS must be a number of days' })
      .min(1, 'DETECTIONS_RETENTION_DAYS must be at least 1')
      .max(36500, 'DETECTIONS_RETENTION_DAYS must be at most 36500')
      .default(DEFAULT_DETECTIONS_RETENTION_DAYS),
  });

/** Detector workers per node by default: one (tfjs-wasm has no threads under Bun: a worker is a core); at most 16. */
export const DETECT_WORKERS_DEFAULT = 1;
export const DETECT_WORKERS_MAX = 16;
/** Frames per second a node detects, all cameras together (~4.5/s a core measured; docs/detection.md); at most 100. */
export const DETECT_NODE_FPS_DEFAULT = 4;
export const DETECT_NODE_FPS_MAX = 100;
/** Default DETECTIONS_RETENTION_DAYS: as long as their pictures (DEVICE_FILES_RETENTION_DAYS' default). */
export const DEFAULT_DETECTIONS_RETENTION_DAYS = DEFAULT_DEVICE_FILES_RETENTION_DAYS;

/** Resolved configuration. */
export type Config = ReturnType<typeof resolveConfig>;

/** Thrown by {@link parseConfig} with a message naming the offending variable. */
export class ConfigError extends Error {}

/** Parse an environment record into a {@link Config}; throws {@link ConfigError}. boot/config.ts gives the defaults. */
export function parseConfig(env: Record<string, string | undefined>, defaults: ConfigDefaults) {
  // Empty strings count as unset, as a shell `VAR= bun run start` intends.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema(defaults).safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${name}: ${issue.message}`);
  }
  if (Boolean(parsed.data.TLS_CERT) !== Boolean(parsed.data.TLS_KEY)) {
    throw new ConfigError(`invalid ${parsed.data.TLS_CERT ? 'TLS_KEY' : 'TLS_CERT'}: TLS_CERT and TLS_KEY must be set together`);
  }
  return resolveConfig(parsed.data);
}

function resolveConfig(e: z.infer<ReturnType<typeof envSchema>>) {
  const dataDir = resolve(e.DATA_DIR);
  return {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    pgliteDir: join(dataDir, 'pg'),
    httpPort: e.HTTP_PORT,
    srtPort: e.SRT_PORT,
    srtListenerDormantMs: e.SRT_LISTENER_DORMANT_S * 1000,
    deviceHttpPort: e.DEVICE_HTTP_PORT,
    hibernationPort: e.HIBERNATION_PORT,
    hibernationOfflineMs: e.HIBERNATION_OFFLINE_S * 1000,
    wakeTimeoutMs: e.WAKE_TIMEOUT_S * 1000,
    publicHost: e.PUBLIC_HOST,
    /** Unset: `PUBLIC_HOST:port` once the server listens (HTTP_PORT may be 0). */
    nodeId: e.NODE_ID,
    filesDir: e.FILES_DIR ? resolve(e.FILES_DIR) : join(dataDir, 'files'),
    platformKeyFile: e.PLATFORM_KEY_FILE ? resolve(e.PLATFORM_KEY_FILE) : join(dataDir, 'secret-key'),
    clusterTlsInsecure: e.CLUSTER_TLS_INSECURE === '1',
    tlsCert: e.TLS_CERT,
    tlsKey: e.TLS_KEY,
    tlsDir: join(dataDir, 'tls'),
    adminToken: e.ADMIN_TOKEN,
    adminTokenFile: join(dataDir, 'admin-token'),
    logLevel: e.LOG_LEVEL,
    hbIntervalS: e.HB_INTERVAL_S,
    liveLingerMs: e.LIVE_LINGER_S * 1000,
    historyRetentionMs: e.HISTORY_RETENTION_DAYS * 86_400_000,
    deviceFilesRetentionMs: e.DEVICE_FILES_RETENTION_DAYS * 86_400_000,
    metricsToken: e.METRICS_TOKEN,
    vdMessageBudget: { ratePerS: e.VD_MESSAGES_PER_S, burst: e.VD_MESSAGE_BURST },
    liveViewersPerUser: e.LIVE_VIEWERS_PER_USER,
    mqtt: e.MQTT_URL
      ? {
          url: e.MQTT_URL,
          username: e.MQTT_USERNAME,
          password: e.MQTT_PASSWORD,
          topicPrefix: e.MQTT_TOPIC_PREFIX,
          discoveryPrefix: e.MQTT_DISCOVERY_PREFIX,
        }
      : undefined,
    eventsRetentionMs: e.EVENTS_RETENTION_DAYS * 86_400_000,
    webhooks: {
      insecureTls: e.WEBHOOK_INSECURE_TLS === '1',
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === '1',
      caFile: e.WEBHOOK_CA_FILE,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_S * 1000,
    },
    detection: { workers: e.DETECT_WORKERS, budgetFps: e.DETECT_NODE_FPS },
    detectionsRetentionMs: e.DETECTIONS_RETENTION_DAYS * 86_400_000,
  };
}
