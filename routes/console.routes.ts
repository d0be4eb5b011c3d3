/**
 * The web console (docs/console.md): its pages and bundled files under `/`, its cookie session
 * (`/api/console/session`), the machines' statechart diagrams (`/api/machines`), and the actor
 * tools its actor page uses (`/api/actors/:id/export`, `/api/actors/:id/replay`).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Server } from 'bun';
import { SignIn } from '../protocol/api.ts';
import { ActorPath, AssetPath, MachinePath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import { cachedMachineSvg } from '../services/console/diagrams.ts';
import { SESSION_TTL_MS } from '../services/users/sessions.ts';
import { buildConsole, type ConsoleBundle } from '../web/build.ts';
import { checkCsrf, requireAdmin, SESSION_COOKIE, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { clientIp } from './client-ip.ts';
import { ConsoleSession, HistoryExport, MachineList, ReplayVerdict } from '../protocol/api-responses.ts';
import { responds } from './responses.ts';

/** Paths the console's client-side router owns: each serves the console page. */
export const CONSOLE_PAGES = ['/', '/sign-in', '/cameras', '/cameras/*', '/actors', '/actors/*', '/admin', '/events', '/detections', '/live'];

/**
 * What the console's pages may load: only this origin (bundled scripts and styles, the API, the
 * live feed, and later the live WSS and playback), pictures also as blob:/data:, media as blob:
 * (mpegts.js and hls.js feed the video element through MediaSource), workers as blob:.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-cache',
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

/** The console's pages and bundled files (built once, on first use). */
export function consolePageRoutes(build: () => Promise<ConsoleBundle> = buildConsole) {
  let bundle: Promise<ConsoleBundle> | undefined;
  const get = () => {
    bundle ??= build();
    bundle.catch(() => (bundle = undefined)); // a failed build is retried on the next request
    return bundle;
  };
  const app = new Hono();
  for (const path of CONSOLE_PAGES) app.get(path, async (c) => c.body((await get()).html, 200, PAGE_HEADERS));
  app.get('/assets/:name', validate('param', AssetPath), async (c) => {
    const a = (await get()).assets.get(c.req.param('name'));
    if (!a) throw new DomainError('not-found', `no console file ${c.req.param('name')}`);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': a.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
    });
  });
  // Any other page a browser asks for: the console with 404, whose router says "Not found" (not problem JSON).
  // API paths and clients that do not ask for HTML keep the problem JSON of app.notFound.
  app.get('*', async (c) => {
    if (c.req.path.startsWith('/api/') || !c.req.header('Accept')?.includes('text/html')) return c.notFound();
    return c.body((await get()).html, 404, PAGE_HEADERS);
  });
  return app;
}

/** `/api/console/session`: sign in and out with the session cookie (HttpOnly, Secure, SameSite=Strict). */
export function consoleSessionRoutes(p: Pick<AppServices, 'sessions'>) {
  return new Hono<{ Bindings: Server<unknown> }>()
    .post('/session', responds(201, ConsoleSession, [429]), validate('json', SignIn), async (c) => {
      checkCsrf(c); // a sign-in planted from another site is refused like any other cookie request
      const b = c.req.valid('json');
      const s = await p.sessions.signIn(b.username, b.password, clientIp(c));
      setCookie(c, SESSION_COOKIE, s.token, {
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'Strict',
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      return c.json({ user: s.user, expires_at: s.expires_at }, 201);
    })
    .delete('/session', responds(204, null), async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) {
        checkCsrf(c);
        await p.sessions.signOut(token);
      }
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'Strict' });
      return c.body(null, 204);
    });
}

/** Authenticate unless an earlier middleware of the same path did already. */
function authenticateOnce(auth: MiddlewareHandler<AuthEnv>): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => (c.get('principal') ? next() : auth(c, next)));
}

/** `/api/machines`: the registered machine versions and their statechart diagrams (SVG). */
export function machineRoutes(p: Pick<AppServices, 'host'>) {
  return new Hono<AuthEnv>()
    .get('/', responds(200, MachineList), (c) =>
      c.json({
        machines: p.host.registry.all().map((d) => ({
          type: d.type,
          version: d.version,
          machineId: d.machine.id,
          latest: p.host.registry.latest(d.type).version === d.version,
          diagram: `/api/machines/${encodeURIComponent(d.type)}/${d.version}/diagram.svg`,
        })),
      }),
    )
    .get('/:type/:version/diagram.svg', responds(200, 'image/svg+xml', [404]), validate('param', MachinePath), async (c) => {
      const { type, version } = c.req.valid('param');
      const def = p.host.registry.all().find((d) => d.type === type && d.version === version);
      if (!def) throw new DomainError('not-found', `no machine ${type} v${version}`);
      return c.body(await cachedMachineSvg(def), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'private, max-age=3600' });
    });
}

/** `/api/actors/:id/export` and `/api/actors/:id/replay` (admins; mount beside the actors sub-app). */
export function actorToolRoutes(p: Pick<AppServices, 'actors'>, auth: MiddlewareHandler<AuthEnv>) {
  return new Hono<AuthEnv>()
    .use(authenticateOnce(auth), requireAdmin)
    .get('/:id/export', responds(200, HistoryExport, [404]), validate('param', ActorPath), async (c) => {
      const doc = await p.actors.export(c.req.param('id'));
      const file = `${c.req.param('id').replace(/[^\w.-]+/g, '_')}.history.json`;
      return c.json(doc, 200, { 'Content-Disposition': `attachment; filename="${file}"`, 'Cache-Control': 'no-store' });
    })
    .get('/:id/replay', responds(200, ReplayVerdict, [404]), validate('param', ActorPath), async (c) => c.json(await p.actors.replay(c.req.param('id'))));
}
