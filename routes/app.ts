/** The platform's HTTP application: health, metrics, and the API sub-apps, with one error shape. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Platform } from '../platform/context.ts';
import { adminRoutes } from './admin.routes.ts';
import { actorRoutes } from './actors.routes.ts';
import { authenticate, type AuthEnv, type TokenResolver } from './auth.ts';
import { problem, problemHandler } from './problem.ts';

/** Largest JSON body the API reads (platform's choice). */
export const API_BODY_MAX_BYTES = 64 * 1024;

/** Build the app for a running platform. */
export function buildApp(p: Platform, opts: { resolveUser?: TokenResolver } = {}) {
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

  app.get('/healthz', (c) => c.json({ status: 'ok', db: p.db.kind }));
  app.get('/metrics', async (c) => c.body(await p.metrics.registry.metrics(), 200, { 'Content-Type': p.metrics.registry.contentType }));

  const api = new Hono<AuthEnv>();
  api.use(bodyLimit({ maxSize: API_BODY_MAX_BYTES, onError: (c) => problem(c, 413, `body larger than ${API_BODY_MAX_BYTES} bytes`) }));
  const authed = new Hono<AuthEnv>().use(authenticate(p, opts.resolveUser));
  authed.route('/admin', adminRoutes(p));
  authed.route('/actors', actorRoutes(p));
  api.route('/', authed);
  app.route('/api', api);
  return app;
}
