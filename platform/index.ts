/**
 * Start and stop one platform process: configuration, TLS, database and migrations, the actor
 * host, and the HTTPS/WSS server.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'bun';
import type { Config } from '../lib/config.ts';
import { moduleLog, rootLog, type Logger } from '../lib/log.ts';
import { openDb } from '../db/client.ts';
import { ActorHost } from '../actors/host.ts';
import { MACHINES } from '../actors/index.ts';
import { createMetrics } from '../lib/metrics.ts';
import { buildApp } from '../routes/app.ts';
import { ensureTls } from './tls.ts';
import { ensureAdminToken } from './admin-token.ts';
import type { Platform } from './context.ts';
import { acquireDataDirLock } from './lock.ts';

/** A running platform. */
export interface RunningPlatform {
  platform: Platform;
  server: Server<unknown>;
  url: string;
  adminTokenGenerated: boolean;
  stop(): Promise<void>;
}

/** Bind address of the HTTPS server (all interfaces; PUBLIC_HOST is only what URLs say). */
export const HTTP_BIND_ADDRESS = '0.0.0.0';

/** Start the platform described by `cfg`. */
export async function startPlatform(cfg: Config, log: Logger = rootLog): Promise<RunningPlatform> {
  mkdirSync(cfg.dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(cfg.dataDir);
  const tls = await ensureTls(cfg);
  const admin = ensureAdminToken(cfg);
  const db = await openDb({ url: cfg.databaseUrl, pgliteDir: cfg.pgliteDir });
  const metrics = createMetrics(db);
  const host = new ActorHost({ db, machines: MACHINES, log: moduleLog('host', log), metrics: metrics.commit });
  const armed = await host.start();
  const baseUrl = `https://${cfg.publicHost.includes(':') ? `[${cfg.publicHost}]` : cfg.publicHost}:${cfg.httpPort}`;
  const platform: Platform = { cfg, db, host, log, metrics, adminToken: admin.token, baseUrl };
  const app = buildApp(platform);
  const server = Bun.serve({
    hostname: HTTP_BIND_ADDRESS,
    port: cfg.httpPort,
    tls: { cert: tls.cert, key: tls.key },
    fetch: app.fetch,
  });
  const url = baseUrl.replace(`:${cfg.httpPort}`, `:${server.port}`);
  log.info({ db: db.kind, timers: armed.timers, tlsCert: tls.certPath, tlsGenerated: tls.generated }, 'platform started');
  let stopped: Promise<void> | undefined;
  return {
    platform, server, url, adminTokenGenerated: admin.generated,
    stop: () =>
      (stopped ??= (async () => {
        server.stop(false); // stop accepting; requests in flight finish
        await host.stop(); // write everything pending
        server.stop(true);
        await db.close();
        releaseLock();
        log.info('platform stopped');
      })()),
  };
}
