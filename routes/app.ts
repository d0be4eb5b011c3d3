/** The platform's HTTP application: health, metrics, and the API sub-apps, with one error shape. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../lib/log.ts';
import type { LogLimiter } from '../lib/log-limit.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { ActorHost } from '../actors/host/host.ts';
import type { Health } from '../services/health.ts';
import type { VdConnections } from '../services/vd/vd-connections.ts';
import type { Inbound } from '../services/vd/vd-inbound.ts';
import type { DeviceAuth } from '../services/devices/device-auth.ts';
import type { Devices } from '../services/devices/devices.ts';
import type { Shares } from '../services/devices/shares.ts';
import type { RpcService } from '../services/devices/rpc.ts';
import type { BindCodes } from '../services/devices/bind.ts';
import type { Uploads } from '../services/uploads/uploads.ts';
import type { Users } from '../services/users/users.ts';
import type { Sessions } from '../services/users/sessions.ts';
import type { ActorConsole } from '../services/console/actor-console.ts';
import type { EventFeed } from '../services/console/event-feed.ts';
import type { LiveService } from '../services/live/live.ts';
import type { SdPlayService } from '../services/live/sdplay.ts';
import type { RecordingService } from '../services/recording/recording.ts';
import type { Nodes } from '../services/cluster/nodes.ts';
import type { Placement } from '../services/cluster/placement.ts';
import type { Forwarder } from '../services/cluster/forward.ts';
import type { ClusterFeed } from '../services/cluster/cluster-feed.ts';
import { nodeForwarding } from './forward.ts';
import { clusterRoutes } from './cluster.routes.ts';
import { adminRoutes } from './admin.routes.ts';
import { nodeRoutes } from './nodes.routes.ts';
import { actorRoutes } from './actors.routes.ts';
import { authenticate, metricsGuard, type AuthEnv, type TokenResolver } from './auth.ts';
import { problem, problemHandler, UNAVAILABLE_HEADERS } from './problem.ts';
import { refuseUnstorableUrl } from './validate.ts';
import { deviceRoutes } from './devices.routes.ts';
import { sessionRoutes } from './session.routes.ts';
import { vsRoutes } from './vs.routes.ts';
import { vdRoutes } from './vd.routes.ts';
import { uploadRoutes } from './upload.routes.ts';
import { vrRoutes } from './vr.routes.ts';
import { authenticateOnce, recordingRoutes, segmentMediaRoutes, usageRoutes } from './recording.routes.ts';
import { liveRoutes } from './live.routes.ts';
import { streamRoutes } from './streams.routes.ts';
import { sdMediaRoutes, sdPlayRoutes } from './sdplay.routes.ts';
import { mediaRoutes } from './media.routes.ts';
import { shareRoutes } from './shares.routes.ts';
import { actorToolRoutes, consolePageRoutes, consoleSessionRoutes, machineRoutes } from './console.routes.ts';
import { eventRoutes } from './events.routes.ts';
import { openApiHandler } from './openapi.ts';
import { apiDocsRoutes } from './api-docs.routes.ts';
import type { DetectionService } from '../services/detection/detections.ts';
import { detectionListRoutes, detectionSettingRoutes } from './detection.routes.ts';
import { responds } from './responses.ts';
import pkg from '../package.json' with { type: 'json' };
import { UPLOAD_PATH } from '../services/uploads/uploads.ts';
import { CS_UPLOAD_PATH } from '../services/recording/recording-urls.ts';
import { VR_PATH_PREFIX } from '../protocol/vr.ts';
import type { HibernationRelay } from '../services/hibernation/wake.ts';
import type { DeviceEvents } from '../services/events/events.ts';
import type { Webhooks } from '../services/webhooks/webhooks.ts';
import { historyRoutes } from './history.routes.ts';
import { webhookRoutes } from './webhooks.routes.ts';

/** Largest JSON body the API reads (platform's choice). */
export const API_BODY_MAX_BYTES = 64 * 1024;
/** Path prefixes whose routes limit their bodies themselves (streamed uploads, Vr forms). */
const OWN_BODY_LIMIT = [`${UPLOAD_PATH}/`, `${CS_UPLOAD_PATH}/`, VR_PATH_PREFIX];

/** What the routes route to: one platform's services, built by the composition root (boot/start.ts). */
export interface AppServices {
  log: Logger;
  /** The log for lines outsiders can cause (a device's bad frames, refused logins): one summary per repeated line. */
  rateLog: LogLimiter;
  /** The admin bearer token (ADMIN_TOKEN or generated). */
  adminToken: string;
  /** The bearer token /metrics asks for; unset, /metrics is open. */
  metricsToken: string | undefined;
  /** The host name devices are told to connect to (Vs `PassDomain`). */
  publicHost: string;
  /** Public base URL, e.g. `https://127.0.0.1:8443` (known once the server listens). */
  baseUrl(): string;
  /** The actor host: routes hand events to actors, and read the machines' registry. */
  host: Pick<ActorHost, 'send' | 'sendSoon' | 'registry' | 'takeOver' | 'release'>;
  health(): Promise<Health>;
  metrics: Pick<Metrics, 'registry'>;
  vd: VdConnections;
  auth: Pick<DeviceAuth, 'login' | 'countFailure'>;
  /** The handlers of PU → platform messages (services/vd/vd-inbound.ts). */
  inbound: Inbound;
  devices: Devices;
  /** Sharing and unbinding devices. */
  shares: Pick<Shares, 'list' | 'share' | 'unshare' | 'unbind'>;
  users: Users;
  actors: ActorConsole;
  rpc: Pick<RpcService, 'call' | 'callDeadlineMs'>;
  uploads: Pick<Uploads, 'receive'>;
  bind: Pick<BindCodes, 'issue'>;
  sessions: Sessions;
  /** Live media: the MDU, streams and viewers. */
  live: LiveService;
  /** Playing cameras' SD-card recordings over the live path. */
  sdplay: SdPlayService;
  /** Record sessions, Vr, segment storage and playback. */
  recording: RecordingService;
  /** The consoles' live feed (`GET /api/events`). */
  feed: EventFeed;
  /** The cluster's nodes and their drain (`/api/admin/nodes`). */
  nodes: Pick<Nodes, 'list' | 'drain'>;
  /** Which node Vs gives a device (services/cluster/placement.ts). */
  placement: Pick<Placement, 'choose'>;
  /** Node-signed requests checked, device requests sent to their owner node (docs/cluster.md); unset: one node. */
  forward?: Pick<Forwarder, 'check' | 'databaseAway' | 'actorOf' | 'route' | 'proxy'>;
  /** This node's transitions exported to the other nodes' consoles; unset: one node. */
  clusterFeed?: Pick<ClusterFeed, 'exportStream'>;
  /** The hibernation server Vs announces (host and port, I.1); unset: none offered. */
  hibernation?: {
    host: string;
    port(): number;
    wake(deviceId: string): boolean;
    /** A relayed hibernation event for a pu this node owns, and actors another node took over (HibernationServer). */
    relayed(deviceId: string, event: HibernationRelay['event']): void;
    released(actorIds: readonly string[]): void;
  };
  /** Device events: the events page's history (docs/webhooks.md). */
  events: Pick<DeviceEvents, 'list'>;
  /** Users' webhooks and their deliveries. */
  webhooks: Pick<Webhooks, 'create' | 'list' | 'remove' | 'deliveries'>;
  /** Detection settings and events (docs/detection.md). */
  detection: DetectionService;
}

/** Build the app for a running platform. */
export function buildApp(p: AppServices) {
  const resolveUser: TokenResolver = (t) => p.sessions.resolve(t);
  const app = new Hono();
  app.onError(problemHandler(p.log));
  app.notFound((c) => problem(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    const level = c.res.status >= 500 ? 'warn' : 'debug';
    p.log[level]({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'http');
  });
  // Defence in depth: no path or query that decodes to a NUL or a lone surrogate reaches a route.
  app.use(refuseUnstorableUrl);
  // Before the body limits: a forwarded body streams through, and its owner node limits it.
  if (p.forward) app.use(nodeForwarding(p.forward, p.log, Math.max(p.rpc.callDeadlineMs(), p.live.watchWaitMs())));

  // Every body is limited before it is read, chunked ones included (issue #19): here at API_BODY_MAX_BYTES, except
  // the endpoints that stream with limits of their own (uploads: their grant's or segment's size; Vr: its form's).
  const bodies = bodyLimit({ maxSize: API_BODY_MAX_BYTES, onError: (c) => problem(c, 413, `body larger than ${API_BODY_MAX_BYTES} bytes`) });
  app.use((c, next) => (OWN_BODY_LIMIT.some((prefix) => c.req.path.startsWith(prefix)) ? next() : bodies(c, next)));

  app.get('/healthz', async (c) => {
    const h = await p.health();
    if (h.ok) return c.json({ status: 'ok', db: h.db });
    return c.json({ status: 'unavailable', db: h.db, error: h.error ?? 'database unreachable' }, 503, UNAVAILABLE_HEADERS);
  });
  app.get('/metrics', metricsGuard(p), async (c) => c.body(await p.metrics.registry.metrics(), 200, { 'Content-Type': p.metrics.registry.contentType }));

  // Device-facing interfaces (H.627.2): Vs, Vd, and the upload URLs handed to devices.
  app.route('/', vsRoutes(p));
  app.route('/', vdRoutes(p));
  app.route('/', uploadRoutes(p));
  // Vr (H.627.2 9.3.4) and the segment storage's upload and signed playback URLs.
  app.route('/', vrRoutes(p));
  app.route('/', segmentMediaRoutes(p));
  app.route('/', mediaRoutes(p));
  app.route('/', sdMediaRoutes(p));
  if (p.clusterFeed) app.route('/', clusterRoutes(p.clusterFeed, p.auth, p.host, p.hibernation));

  const api = new Hono<AuthEnv>();
  api.use(bodyLimit({ maxSize: API_BODY_MAX_BYTES, onError: (c) => problem(c, 413, `body larger than ${API_BODY_MAX_BYTES} bytes`) }));
  api.route('/', sessionRoutes(p));
  // Each protected sub-app gets its own authentication, scoped to its prefix.
  const guarded = (sub: Hono<AuthEnv>) => new Hono<AuthEnv>().use(authenticate(p, resolveUser)).route('/', sub);
  api.route('/admin', guarded(adminRoutes(p)));
  api.route('/admin/nodes', guarded(nodeRoutes(p)));
  api.route('/admin/streams', guarded(streamRoutes(p)));
  api.route('/actors', guarded(actorRoutes(p)));
  api.route('/devices', guarded(deviceRoutes(p)));
  api.route('/devices', new Hono<AuthEnv>().use(authenticateOnce(authenticate(p, resolveUser))).route('/', recordingRoutes(p)));
  api.route('/devices', new Hono<AuthEnv>().use(authenticateOnce(authenticate(p, resolveUser))).route('/', liveRoutes(p)));
  api.route('/devices', new Hono<AuthEnv>().use(authenticateOnce(authenticate(p, resolveUser))).route('/', sdPlayRoutes(p)));
  api.route('/devices', new Hono<AuthEnv>().use(authenticateOnce(authenticate(p, resolveUser))).route('/', shareRoutes(p)));
  api.route('/devices', new Hono<AuthEnv>().use(authenticateOnce(authenticate(p, resolveUser))).route('/', detectionSettingRoutes(p)));
  api.route('/detections', guarded(detectionListRoutes(p)));
  api.route('/recording-usage', guarded(usageRoutes(p)));
  // The web console (docs/console.md): cookie sessions, the live feed, diagrams, actor tools, pages.
  api.route('/console', consoleSessionRoutes(p));
  api.route('/events', guarded(eventRoutes(p, p.feed)));
  // After `/events`, whose guard (it covers `/events/*`) has then authenticated the request once already.
  api.route('/events/history', new Hono<AuthEnv>().use(authenticateOnce(authenticate(p, resolveUser))).route('/', historyRoutes(p)));
  api.route('/webhooks', guarded(webhookRoutes(p)));
  api.route('/machines', guarded(machineRoutes(p)));
  api.route('/actors', actorToolRoutes(p, authenticate(p, resolveUser)));
  api.get(
    '/openapi.json',
    responds(200, 'application/json'),
    openApiHandler(app, {
      title: 'h627 CU and admin API',
      version: pkg.version,
      description: 'Generated from the zod schemas the routes validate with and answer with (routes/openapi.ts).',
    }),
  );
  app.route('/api', api);
  app.route('/', apiDocsRoutes()); // the API reference page over /api/openapi.json
  app.route('/', consolePageRoutes());
  return app;
}
