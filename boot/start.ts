/**
 * Start and stop one platform process: configuration, TLS, database and migrations, the actor
 * host and its effects, the services, and the HTTPS/WSS server.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'bun';
import type { Config } from '../lib/config.ts';
import { moduleLog, rootLog, type Logger } from '../lib/log.ts';
import { LogLimiter } from '../lib/log-limit.ts';
import { createMetrics, METRICS_DB_TIMEOUT_MS } from '../lib/metrics.ts';
import { loadPlatformKey } from '../lib/secrets.ts';
import { type Db, openDb } from '../db/client.ts';
import { withinMs } from '../db/errors.ts';
import { RPC_TIMEOUT_S } from '../protocol/constants.ts';
import { SEG_MAX_SIZE_MAX_BYTES } from '../protocol/recording-api.ts';
import { ActorHost, type EffectHandlers } from '../actors/host/host.ts';
import { countActorsByState, pruneHistory } from '../actors/host/store.ts';
import { MACHINES } from '../actors/machines/index.ts';
import { CLOSE_DROPPED, CLOSE_GOING_AWAY, VdConnections } from '../services/vd/vd-connections.ts';
import { VdBudgets } from '../services/vd/vd-budget.ts';
import { bindInbound } from '../services/vd/vd-inbound.ts';
import { DeviceAuth } from '../services/devices/device-auth.ts';
import { Devices } from '../services/devices/devices.ts';
import { DeviceAccess } from '../services/devices/access.ts';
import { Shares } from '../services/devices/shares.ts';
import { RpcService } from '../services/devices/rpc.ts';
import { BindCodes } from '../services/devices/bind.ts';
import { LOG_MAX_BYTES, PICTURE_MAX_BYTES, Uploads } from '../services/uploads/uploads.ts';
import { recordUpload } from '../services/uploads/stored.ts';
import { Sessions } from '../services/users/sessions.ts';
import { Users } from '../services/users/users.ts';
import { LiveService } from '../services/live/live.ts';
import { SdPlayService } from '../services/live/sdplay.ts';
import { RecordingService } from '../services/recording/recording.ts';
import { EventFeed } from '../services/console/event-feed.ts';
import { ActorConsole } from '../services/console/actor-console.ts';
import { checkHealth } from '../services/health.ts';
import { Drain } from '../services/cluster/drain.ts';
import { Nodes } from '../services/cluster/nodes.ts';
import { Placement } from '../services/cluster/placement.ts';
import { ClusterDirectory } from '../services/cluster/directory.ts';
import { CLUSTER_LOGIN_FAILED_PATH, CLUSTER_RELEASE_PATH, Forwarder, RELEASE_BATCH_MAX } from '../services/cluster/forward.ts';
import { ClusterFeed } from '../services/cluster/cluster-feed.ts';
import { type AppServices, buildApp } from '../routes/app.ts';
import { websocketAdapter, type SocketData } from '../routes/ws.ts';
import { ensureTls } from './tls.ts';
import { deviceHttpFetch } from './device-http.ts';
import { DeviceUrls } from '../services/devices/device-urls.ts';
import type { PuContext } from '../actors/machines/pu.types.ts';
import { Membership } from '../services/cluster/membership.ts';
import { NodeLife } from '../services/cluster/node-life.ts';
import { PU_ACTOR_PREFIX, puActorId } from '../actors/machines/ids.ts';
import { ensureAdminToken } from './admin-token.ts';
import { acquireDataDirLock } from './lock.ts';
import { HibernationServer } from '../services/hibernation/hibernation-server.ts';
import { hbToken } from '../services/hibernation/hb-token.ts';
import { CLUSTER_HIBERNATION_PATH, type HibernationRelay } from '../services/hibernation/wake.ts';
import { detectionServices, platformEffects } from './effects.ts';
import { MqttPublisher } from '../services/mqtt/publisher.ts';
import { MQTT_MACHINE_TYPE } from '../actors/machines/pu.publish.ts';
import { eventServices } from './events.ts';

export { platformEffects } from './effects.ts';

/** A running platform. */
export interface RunningPlatform {
  server: Server<SocketData>;
  url: string;
  adminToken: string;
  adminTokenGenerated: boolean;
  /** Which database the platform runs on. */
  dbKind: Db['kind'];
  stop(): Promise<void>;
  /** Set what happens when this node is gone (drained: every device left it); until set, it is only logged. */
  onNodeGone(callback: () => void): void;
}

/** Bind address of the HTTPS server (all interfaces; PUBLIC_HOST is only what URLs say). */
export const HTTP_BIND_ADDRESS = '0.0.0.0';
/**
 * Seconds an HTTP request may stay silent (Bun's default of 10 s is shorter than an RPC). A request that may wait for a
 * sleeping camera to wake (a live watch, an RPC) gets its own, longer one (routes/idle-timeout.ts).
 */
export const HTTP_IDLE_TIMEOUT_S = RPC_TIMEOUT_S + 10;
/** The largest body any route takes: a segment or a device log upload. */
export const MAX_REQUEST_BODY_BYTES = Math.max(SEG_MAX_SIZE_MAX_BYTES, LOG_MAX_BYTES, PICTURE_MAX_BYTES);
/** Longest a shutdown waits for the database to take what is pending (platform's choice: supervisors kill at 90 s). */
export const SHUTDOWN_FLUSH_MAX_MS = 30_000;
/** How often history older than HISTORY_RETENTION_DAYS is pruned (and, on PGlite, the tables vacuumed). */
export const HISTORY_PRUNE_INTERVAL_MS = 3600_000;
/** Connections of membership's own pool (heartbeats, deaths): one, never behind the platform's queries. */
export const MEMBERSHIP_POOL_SIZE = 1;
/** Actors untouched this long leave memory (they rehydrate on their next event or timer). */
export const ACTOR_IDLE_EVICT_MS = 10 * 60_000;
/** How often idle actors are looked for. */
export const ACTOR_EVICT_INTERVAL_MS = 60_000;
/** How often expired sessions, upload grants and signed-login nonces are forgotten. */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/** Start the platform described by `cfg`. */
export async function startPlatform(cfg: Config, log: Logger = rootLog): Promise<RunningPlatform> {
  mkdirSync(cfg.dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(cfg.dataDir);
  const tls = await ensureTls(cfg);
  const admin = ensureAdminToken(cfg);
  const key = loadPlatformKey(cfg.platformKeyFile);
  const db = await openDb({ url: cfg.databaseUrl, pgliteDir: cfg.pgliteDir });
  const rateLog = new LogLimiter(log);
  // The public base URL is known once the server listens (HTTP_PORT may be 0): services read it when they make a URL.
  let publicUrl = '';
  const baseUrl = () => publicUrl;
  const vd = new VdConnections(moduleLog('vd', log), new VdBudgets(cfg.vdMessageBudget));
  // Probes are read at scrape time, once everything below exists.
  const metrics = createMetrics({
    vdConnections: () => vd.size,
    live: () => live.figures(),
    actorCounts: () => withinMs(countActorsByState(db), METRICS_DB_TIMEOUT_MS),
  });
  // The one cycle: every service sends the host events, and the host runs the services' effects. The host is built
  // first with an empty effects table, filled below once the services exist; it runs no effect before start().
  const effects: EffectHandlers = {};
  // Membership's own connection: a heartbeat queued behind a login storm's thousands of queries in the shared pool
  // outlived the lease, and a busy node was declared dead by the others (bench cluster, 2 nodes of 6,000 PUs).
  const memberDb = db.kind === 'postgres' ? await openDb({ url: cfg.databaseUrl, migrate: false, poolSize: MEMBERSHIP_POOL_SIZE }) : db;
  const life = new NodeLife({ host: () => host, log: moduleLog('cluster', log) });
  // This node's membership of the cluster (docs/cluster.md): the host writes under its lease, from the moment it joins.
  const membership: Membership = new Membership(
    {
      db: memberDb,
      log: moduleLog('cluster', log),
      adopt: (horizonMs, outboxAgeMs) => host.adopt(horizonMs, outboxAgeMs),
      load: () => ({ pus: vd.size, streams: live.figures().streams, uploads: recording.vr.uploadsInFlight }),
    },
    {
      joined: (epoch) => life.joined(membership.node, epoch, publicUrl),
      nodeDead: (id, epoch) => void life.dead(id, epoch),
      declaredDead: () => {
        vd.closeAll(CLOSE_GOING_AWAY, 'this node lost its cluster membership: ask Vs again');
        host.reset();
      },
      // Cut off from the database past its lease (docs/cluster.md, "Partitions and pauses"): others own its devices'
      // actors now; Reschedule (I.2.6) sends each device through Vs to a healthy node, a close the ones that stay.
      shedDevices: (how) => {
        if (how === 'close') return vd.closeAll(CLOSE_GOING_AWAY, 'this node lost its lease: ask Vs again');
        for (const conn of vd.connections()) vd.event(conn.deviceId, 'Reschedule', {});
      },
    },
  );
  const host = new ActorHost({
    db,
    machines: MACHINES,
    effects,
    log: moduleLog('host', log),
    metrics: metrics.commit,
    owner: membership,
    deviceRoot: puActorId,
    enabled: cfg.mqtt ? [MQTT_MACHINE_TYPE] : [],
    // The node a device left holds stale copies of its actors: told, it drops them and closes its socket of the device.
    onTaken: async (node, ids) => {
      for (let i = 0; i < ids.length; i += RELEASE_BATCH_MAX)
        await forward.tellNode(node, CLUSTER_RELEASE_PATH, { actors: ids.slice(i, i + RELEASE_BATCH_MAX) });
    },
    // A pu actor taken over by another node (its device logged in there): this node's socket of it is stale.
    onFenced: (id) => id.startsWith(PU_ACTOR_PREFIX) && vd.close(id.slice(PU_ACTOR_PREFIX.length), CLOSE_DROPPED, 'device served by another node'),
  });
  const auth = new DeviceAuth(
    {
      db,
      host,
      log,
      rateLog,
      // A failed login for a device another node serves is counted there (its pu actor's lock).
      countElsewhere: (deviceId, reason, ip) =>
        forward.tellOwner(puActorId(deviceId), CLUSTER_LOGIN_FAILED_PATH, { device_id: deviceId, reason, ...(ip ? { ip } : {}) }),
    },
    key,
  );
  // The cluster (docs/cluster.md): owners of device requests, and the other nodes' transitions for the consoles.
  const nodeTls = { insecure: cfg.clusterTlsInsecure, ca: cfg.tlsCert ? tls.cert : undefined };
  const directory = new ClusterDirectory({ db });
  const forward = new Forwarder({ db, key, log: moduleLog('cluster', log), selfNode: () => membership.node, directory, tls: nodeTls });
  const clusterFeed = new ClusterFeed({ directory, host, key, log: moduleLog('cluster', log), selfNode: () => membership.node, tls: nodeTls });
  const access = new DeviceAccess({ db });
  const feed = new EventFeed({ db, host, log, access, upstream: db.kind === 'postgres' ? clusterFeed : undefined });
  const stored = recordUpload({ db, feed });
  // Callback URLs are http for a device without https (GetCap), on the plain device listener (boot/device-http.ts).
  let deviceHttpUrl: string | undefined;
  const deviceUrls = new DeviceUrls({
    httpsBase: baseUrl,
    httpBase: () => deviceHttpUrl,
    capabilitiesOf: async (id) => ((await host.get(puActorId(id)))?.context as Partial<PuContext> | undefined)?.capabilities,
    rateLog,
  });
  const deviceBaseUrl = (id: string, https?: boolean) => deviceUrls.base(id, https);
  const uploads: Uploads = new Uploads({ db, log, cfg, deviceBaseUrl }, (g, file, size) => stored(g, file, size, uploads.root));
  const rpc = new RpcService({ db, host, rateLog, uploads, vd, cfg });
  const sessions = new Sessions({ db, log, rateLog, throttle: auth.throttle });
  const live = new LiveService({ db, host, log, rateLog, cfg, vd, baseUrl });
  const sdplay = new SdPlayService({ db, host, cfg, vd, live, baseUrl });
  const bind = new BindCodes({ db, host, log, rateLog, live });
  const recording = new RecordingService({ db, host, log, cfg, metrics, vd, key, sessions, access, baseUrl, deviceBaseUrl });
  // A drained node's process stops when it is gone; what stopping means is the caller's (main.ts), set by onNodeGone.
  let nodeGone = () => log.warn({ node: membership.node }, 'node gone (drained), but nothing is set to stop the process');
  const drain = new Drain({
    db,
    log: moduleLog('cluster', log),
    vd,
    self: () => ({ id: membership.node, epoch: membership.epoch() }),
    onExit: () => nodeGone(),
  });
  const devices = new Devices({ db, host, log, key, auth, uploadsRoot: uploads.root, access });
  const shares = new Shares({ db, host, log, live });
  const eventing = eventServices({ db, log: moduleLog('events', log), key, cfg });
  // Sleeping devices' heartbeats (issue #22): announced by Vs and GetServerInfo with this node's address.
  const hibernation = new HibernationServer(
    {
      ...{ host, findDevice: (id: string) => devices.findByIdentity(id), key, log: moduleLog('hibernation', log), rateLog, nodeId: () => membership.node },
      tellOwner: (deviceId, event) => forward.tellOwner(puActorId(deviceId), CLUSTER_HIBERNATION_PATH, { device_id: deviceId, event }),
    },
    { hostname: HTTP_BIND_ADDRESS, port: cfg.hibernationPort, offlineAfterMs: cfg.hibernationOfflineMs },
  );
  const wake = { server: hibernation, forward, selfNode: () => membership.node, log: moduleLog('hibernation', log) };
  // Home Assistant over MQTT (docs/mqtt.md): the node that owns a device's actors publishes for it.
  const mqtt = cfg.mqtt && new MqttPublisher(cfg.mqtt, { host, log: moduleLog('mqtt', log), baseUrl, clientId: `h627-${randomUUID().slice(0, 8)}` });
  const detection = detectionServices({ db, host, rpc, devices, recording, live, pictures: uploads, metrics, cfg, log: moduleLog('detection', log) });
  Object.assign(effects, platformEffects({ rpc, vd, live, sdplay, recording, drain, wake, mqtt: mqtt || undefined, detection }, moduleLog('host', log)));
  const hibernationAt = {
    host: cfg.publicHost,
    port: () => hibernation.port,
    wake: (deviceId: string) => hibernation.wake(deviceId),
    relayed: (deviceId: string, event: HibernationRelay['event']) => hibernation.relayed(deviceId, event),
    released: (actorIds: readonly string[]) => hibernation.released(actorIds),
  };
  const services: AppServices = {
    log,
    rateLog,
    adminToken: admin.token,
    metricsToken: cfg.metricsToken,
    publicHost: cfg.publicHost,
    baseUrl,
    host,
    health: () => checkHealth({ db, log, membership }),
    metrics,
    vd,
    auth,
    inbound: bindInbound({
      ...{ db, host, cfg, vd, uploads, bind },
      hibernation: { address: () => `${hostname}:${hibernation.port}`, token: (deviceId) => hbToken(key, deviceId) },
    }),
    devices,
    shares,
    users: new Users({ db, log }),
    actors: new ActorConsole({ db, host }),
    rpc,
    uploads,
    bind,
    sessions,
    live,
    sdplay,
    recording,
    feed,
    nodes: new Nodes({ db, host }),
    placement: new Placement({
      db,
      get nodeId() {
        return membership.node;
      },
      self: () => ({ host: cfg.publicHost, port: Number(new URL(baseUrl()).port) }),
    }),
    forward,
    clusterFeed,
    hibernation: hibernationAt,
    events: eventing.events,
    webhooks: eventing.webhooks,
    detection,
  };
  const hostname = cfg.publicHost.includes(':') ? `[${cfg.publicHost}]` : cfg.publicHost;
  const app = buildApp(services);
  // Listening first (HTTP_PORT may be 0, and the node's address is part of its membership); until the node has
  // joined and its host started, every request is answered 503 with a Retry-After.
  let ready = false;
  const server = Bun.serve<SocketData>({
    hostname: HTTP_BIND_ADDRESS,
    port: cfg.httpPort,
    tls: { cert: tls.cert, key: tls.key },
    // Longer than the RPC timeout: an API call waits up to 20 s for the device's answer (longer for a wake: idle-timeout.ts).
    idleTimeout: HTTP_IDLE_TIMEOUT_S,
    // Bun refuses (413) any body larger than the largest the platform takes (routes limit each kind tighter).
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    fetch: (req, srv) => (ready ? app.fetch(req, srv) : Response.json({ info: 'starting: retry shortly' }, { status: 503, headers: { 'Retry-After': '1' } })),
    websocket: websocketAdapter(moduleLog('ws', log)),
  });
  publicUrl = `https://${hostname}:${server.port}`;
  const deviceHttp =
    cfg.deviceHttpPort === undefined
      ? undefined
      : Bun.serve({
          hostname: HTTP_BIND_ADDRESS,
          port: cfg.deviceHttpPort,
          idleTimeout: HTTP_IDLE_TIMEOUT_S,
          maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
          fetch: deviceHttpFetch(app, () => ready),
        });
  if (deviceHttp) {
    deviceHttpUrl = `http://${hostname}:${deviceHttp.port}`;
    log.info({ url: deviceHttpUrl }, 'plain-HTTP device listener open (callbacks of devices without https)');
  }
  const port = server.port ?? cfg.httpPort;
  await live.start();
  sdplay.start();
  const nodeId = cfg.nodeId ?? `${cfg.publicHost}:${port}`;
  await membership.join({ id: nodeId, baseUrl: publicUrl, publicHost: cfg.publicHost, httpPort: port, srtPort: live.srtPort });
  await eventing.start(host);
  const armed = await host.start();
  recording.start();
  for (const s of [live, sdplay, detection]) await s.sweepStale(nodeId); // in order: a detector's feed joins a new stream
  hibernation.start();
  ready = true;
  await membership.activate();
  await life.started(nodeId);
  const housekeeping = setInterval(() => {
    sessions.prune().catch(() => {});
    uploads.prune().catch(() => {});
    bind.prune().catch(() => {});
    auth.pruneNonces().catch(() => {});
  }, HOUSEKEEPING_INTERVAL_MS);
  // Hourly: history past its retention is pruned, then, on PGlite, autovacuum's work is done (see
  // Db.vacuum): without it the pruned rows' space would never be reused.
  const pruneHistoryNow = () =>
    pruneHistory(db, Date.now() - cfg.historyRetentionMs)
      .then(
        (n) => n > 0 && log.info({ rows: n, days: cfg.historyRetentionMs / 86_400_000 }, 'old actor history pruned'),
        (err) => log.warn({ err: String(err) }, 'history pruning failed'),
      )
      .then(() => uploads.pruneStored(Date.now() - cfg.deviceFilesRetentionMs))
      .then(
        (n) => n > 0 && log.info({ rows: n, days: cfg.deviceFilesRetentionMs / 86_400_000 }, 'old alarms, snapshots and device logs pruned'),
        (err) => log.warn({ err: String(err) }, 'pruning of alarms, snapshots and device logs failed'),
      )
      .then(() => db.vacuum())
      .then(
        (v) => v && log.info({ tables: v.tables, ms: Math.round(v.ms) }, 'embedded database vacuumed'),
        (err) => log.warn({ err: String(err) }, 'vacuum of the embedded database failed'),
      );
  const historyPruning = setInterval(pruneHistoryNow, HISTORY_PRUNE_INTERVAL_MS);
  // Actors nothing happened to for a while (a confirmed segment waiting days for its retention
  // timer, a device gone quiet) leave memory; their timers stay armed and bring them back.
  const eviction = setInterval(() => {
    const evicted = host.evictIdle(ACTOR_IDLE_EVICT_MS);
    if (evicted > 0) log.debug({ evicted }, 'idle actors evicted');
  }, ACTOR_EVICT_INTERVAL_MS);
  log.info(
    { db: db.kind, node: nodeId, epoch: membership.epoch(), timers: armed.timers, tlsCert: tls.certPath, tlsGenerated: tls.generated },
    'platform started',
  );
  let stopped: Promise<void> | undefined;
  return {
    server,
    url: publicUrl,
    adminToken: admin.token,
    adminTokenGenerated: admin.generated,
    dbKind: db.kind,
    onNodeGone: (callback) => {
      nodeGone = callback;
    },
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(housekeeping);
        clearInterval(eviction);
        clearInterval(historyPruning);
        clusterFeed.stop();
        metrics.stop();
        rateLog.stop();
        server.stop(false); // stop accepting; requests in flight finish
        deviceHttp?.stop(false);
        hibernation.stop();
        vd.closeAll(CLOSE_GOING_AWAY, 'platform shutting down');
        await Bun.sleep(50); // let the close events reach the actors before the final flush
        await life.left(membership.node);
        // Write everything pending; a database that stays away must not keep the process from stopping: what is
        // still unwritten then was never acknowledged to anyone (answers wait for their commits).
        const flushed = await Promise.race([host.stop().then(() => true), Bun.sleep(SHUTDOWN_FLUSH_MAX_MS).then(() => false)]);
        if (!flushed) log.error({ waitedMs: SHUTDOWN_FLUSH_MAX_MS }, 'shutdown: the database did not take the pending writes in time; stopping without them');
        // Everything written: the node leaves, and its actors are free for the others at once (else when its lease ends).
        if (flushed) await membership.leave().catch((err) => log.warn({ err: String(err) }, 'leaving the cluster failed; the lease will run out'));
        else membership.stopTimers();
        await recording.stop();
        await Promise.all([live.stop(), detection.stop()]);
        if (mqtt) await mqtt.stop();
        await eventing.stop();
        server.stop(true);
        if (memberDb !== db) await memberDb.close();
        await db.close();
        releaseLock();
        log.info('platform stopped');
      })()),
  };
}
