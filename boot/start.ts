/**
 * Start and stop one platform process: configuration, TLS, database and migrations, the actor
 * host and its effects, the services, and the HTTPS/WSS server.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { isUnder } from '../lib/safe-path.ts';
import { and, eq } from 'drizzle-orm';
import type { Server } from 'bun';
import type { Config } from '../lib/config.ts';
import { moduleLog, rootLog, type Logger } from '../lib/log.ts';
import { openDb } from '../db/client.ts';
import { alarms, deviceLogs, snapshots } from '../db/schema.ts';
import { ActorHost, type EffectHandlers } from '../actors/host/host.ts';
import { actorSendEffect } from './actor-send.ts';
import { MACHINES } from '../actors/machines/index.ts';
import { pruneHistory } from '../actors/host/store.ts';
import { createMetrics } from '../lib/metrics.ts';
import { buildApp } from '../routes/app.ts';
import { websocketAdapter, type SocketData } from '../routes/ws.ts';
import { ensureTls } from './tls.ts';
import { ensureAdminToken } from './admin-token.ts';
import type { Platform } from '../services/context.ts';
import { acquireDataDirLock } from './lock.ts';
import { loadPlatformKey } from '../lib/secrets.ts';
import { RPC_TIMEOUT_S } from '../protocol/constants.ts';
import { CLOSE_DROPPED, CLOSE_GOING_AWAY, VdConnections } from '../services/vd/vd-connections.ts';
import { VdBudgets } from '../services/vd/vd-budget.ts';
import { LogLimiter } from '../lib/log-limit.ts';
import { DeviceAuth } from '../services/devices/device-auth.ts';
import { RpcService } from '../services/devices/rpc.ts';
import { LOG_MAX_BYTES, PICTURE_MAX_BYTES, Uploads, type Grant } from '../services/uploads/uploads.ts';
import { SEG_MAX_SIZE_MAX_BYTES } from '../protocol/recording-api.ts';
import { BindCodes } from '../services/devices/bind.ts';
import { Sessions } from '../services/users/sessions.ts';
import { RecordingService } from '../services/recording/recording.ts';
import { EventFeed } from '../services/console/event-feed.ts';
import { LiveService } from '../services/live/live.ts';

/** A running platform. */
export interface RunningPlatform {
  platform: Platform;
  server: Server<SocketData>;
  url: string;
  adminTokenGenerated: boolean;
  stop(): Promise<void>;
}

/** Bind address of the HTTPS server (all interfaces; PUBLIC_HOST is only what URLs say). */
export const HTTP_BIND_ADDRESS = '0.0.0.0';
/** Seconds an HTTP request may stay silent (Bun's default of 10 s is shorter than an RPC). */
export const HTTP_IDLE_TIMEOUT_S = RPC_TIMEOUT_S + 10;
/** The largest body any route takes: a segment or a device log upload. */
export const MAX_REQUEST_BODY_BYTES = Math.max(SEG_MAX_SIZE_MAX_BYTES, LOG_MAX_BYTES, PICTURE_MAX_BYTES);
/** Longest a shutdown waits for the database to take what is pending (platform's choice: supervisors kill at 90 s). */
export const SHUTDOWN_FLUSH_MAX_MS = 30_000;
/** How often history older than HISTORY_RETENTION_DAYS is pruned (and, on PGlite, the tables vacuumed). */
export const HISTORY_PRUNE_INTERVAL_MS = 3600_000;
/** Actors untouched this long leave memory (they rehydrate on their next event or timer). */
export const ACTOR_IDLE_EVICT_MS = 10 * 60_000;
/** How often idle actors are looked for. */
export const ACTOR_EVICT_INTERVAL_MS = 60_000;
/** How often expired sessions, upload grants and signed-login nonces are forgotten. */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/** Record a finished device upload where it belongs. */
async function stored(p: Platform, g: Grant, file: string, size: number): Promise<void> {
  const { orm } = p.db;
  if (g.kind === 'snapshot') await orm.update(snapshots).set({ file, size }).where(eq(snapshots.id, g.ref));
  else if (g.kind === 'alarm') {
    await orm.update(alarms).set({ picture: file }).where(eq(alarms.id, g.ref));
    p.feed.alarmPicture(g.deviceId, g.ref); // the consoles showing its alarm load it
  } else if (g.kind === 'log') {
    // A log uploaded again (LogUploadAsync repeated with its trans_id) replaces the earlier file.
    const where = and(eq(deviceLogs.deviceId, g.deviceId), eq(deviceLogs.transId, g.ref));
    const [before] = await orm.select({ file: deviceLogs.file }).from(deviceLogs).where(where);
    await orm.update(deviceLogs).set({ file, size }).where(where);
    if (before?.file && before.file !== file && isUnder(p.uploads.root, before.file)) rmSync(before.file, { force: true });
  }
}

/** Start the platform described by `cfg`. */
export async function startPlatform(cfg: Config, log: Logger = rootLog): Promise<RunningPlatform> {
  mkdirSync(cfg.dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(cfg.dataDir);
  const tls = await ensureTls(cfg);
  const admin = ensureAdminToken(cfg);
  const key = loadPlatformKey(cfg.dataDir);
  const db = await openDb({ url: cfg.databaseUrl, pgliteDir: cfg.pgliteDir });
  // The services and the host reference each other through `p`, filled in below.
  const p = { cfg, db, log, rateLog: new LogLimiter(log), key, adminToken: admin.token, baseUrl: '' } as Platform;
  const metrics = createMetrics(db, { vdConnections: () => p.vd?.size ?? 0, live: () => p.live?.figures() ?? { streams: 0, viewers: 0, bitrateBps: 0 } });
  p.metrics = metrics;
  p.live = new LiveService(p);
  const effects: EffectHandlers = {
    'vd.send': (call) => p.rpc.send(call),
    'vd.close': (call) => p.vd.close(String(call.context.deviceId), CLOSE_DROPPED, String(call.params.reason)),
    'actor.send': actorSendEffect(() => p.host, moduleLog('host', log)),
    ...RecordingService.effects(p),
    ...p.live.effects(),
  };
  p.host = new ActorHost({ db, machines: MACHINES, effects, log: moduleLog('host', log), metrics: metrics.commit });
  p.vd = new VdConnections(moduleLog('vd', log), new VdBudgets(cfg.vdMessageBudget));
  p.auth = new DeviceAuth(p, key);
  p.rpc = new RpcService(p);
  p.uploads = new Uploads(p, (g, file, size) => stored(p, g, file, size));
  p.bind = new BindCodes(p);
  p.feed = new EventFeed(p);
  p.sessions = new Sessions(p);
  p.recording = new RecordingService(p);
  const armed = await p.host.start();
  p.recording.start();
  await p.live.start();
  const app = buildApp(p);
  const server = Bun.serve<SocketData>({
    hostname: HTTP_BIND_ADDRESS,
    port: cfg.httpPort,
    tls: { cert: tls.cert, key: tls.key },
    // Longer than the RPC timeout: an API call waits up to 20 s for the device's answer.
    idleTimeout: HTTP_IDLE_TIMEOUT_S,
    // Bun refuses (413) any body larger than the largest the platform takes (routes limit each kind tighter).
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    fetch: (req, srv) => app.fetch(req, srv),
    websocket: websocketAdapter(moduleLog('ws', log)),
  });
  const host = cfg.publicHost.includes(':') ? `[${cfg.publicHost}]` : cfg.publicHost;
  p.baseUrl = `https://${host}:${server.port}`;
  const housekeeping = setInterval(() => {
    p.sessions.prune().catch(() => {});
    p.uploads.prune().catch(() => {});
    p.bind.prune().catch(() => {});
    p.auth.pruneNonces().catch(() => {});
  }, HOUSEKEEPING_INTERVAL_MS);
  // Hourly: history past its retention is pruned, then, on PGlite, autovacuum's work is done (see
  // Db.vacuum): without it the pruned rows' space would never be reused.
  const pruneHistoryNow = () =>
    pruneHistory(db, Date.now() - cfg.historyRetentionMs)
      .then(
        (n) => n > 0 && log.info({ rows: n, days: cfg.historyRetentionMs / 86_400_000 }, 'old actor history pruned'),
        (err) => log.warn({ err: String(err) }, 'history pruning failed'),
      )
      .then(() => p.uploads.pruneStored(Date.now() - cfg.deviceFilesRetentionMs))
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
    const evicted = p.host.evictIdle(ACTOR_IDLE_EVICT_MS);
    if (evicted > 0) log.debug({ evicted }, 'idle actors evicted');
  }, ACTOR_EVICT_INTERVAL_MS);
  log.info({ db: db.kind, timers: armed.timers, tlsCert: tls.certPath, tlsGenerated: tls.generated }, 'platform started');
  let stopped: Promise<void> | undefined;
  return {
    platform: p,
    server,
    url: p.baseUrl,
    adminTokenGenerated: admin.generated,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(housekeeping);
        clearInterval(eviction);
        clearInterval(historyPruning);
        metrics.stop();
        p.rateLog.stop();
        server.stop(false); // stop accepting; requests in flight finish
        p.vd.closeAll(CLOSE_GOING_AWAY, 'platform shutting down');
        await Bun.sleep(50); // let the close events reach the actors before the final flush
        // Write everything pending; a database that stays away must not keep the process from stopping: what is
        // still unwritten then was never acknowledged to anyone (answers wait for their commits).
        const flushed = await Promise.race([p.host.stop().then(() => true), Bun.sleep(SHUTDOWN_FLUSH_MAX_MS).then(() => false)]);
        if (!flushed) log.error({ waitedMs: SHUTDOWN_FLUSH_MAX_MS }, 'shutdown: the database did not take the pending writes in time; stopping without them');
        await p.recording.stop();
        await p.live.stop();
        server.stop(true);
        await db.close();
        releaseLock();
        log.info('platform stopped');
      })()),
  };
}
