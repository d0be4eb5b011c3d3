/**
 * Who is calling the API: the admin bearer token (ADMIN_TOKEN), or a signed-in user's session
 * token, given as a bearer header or, from the web console, in the session cookie (with the
 * CSRF rule, docs/console.md). Routes read `c.var.principal`.
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { timingSafeEqual } from 'node:crypto';
import { DomainError } from '../services/errors.ts';
import { KeyedBuckets, type Budget } from '../lib/token-bucket.ts';
import type { Principal } from '../services/users/principal.ts';

/** What authentication checks against: the admin token. One platform's requests share one such object (its buckets). */
export interface AuthKeys {
  adminToken: string;
}

/** Hono environment of authenticated routes. */
export type AuthEnv = { Variables: { principal: Principal } };

/** Resolves a bearer token to a user principal (set by the session service once it exists). */
export type TokenResolver = (token: string) => Promise<Principal | undefined>;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of a request, from `Authorization: Bearer …`. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

/**
 * The console's session cookie: a user session token (never the admin token). `__Host-` makes
 * browsers insist on Secure, Path=/ and no Domain; it is also HttpOnly and SameSite=Strict.
 */
export const SESSION_COOKIE = '__Host-h627-session';
/** Header every state-changing request authenticated by the cookie must carry (CSRF, docs/console.md). */
export const CSRF_HEADER = 'X-H627-CSRF';
/** Methods that change nothing, exempt from the CSRF rule. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF rule for requests a browser sends with its cookie: a state-changing method must carry
 * {@link CSRF_HEADER} (a cross-site form cannot set a header, and a cross-site script cannot
 * without a CORS preflight the platform never grants), and an `Origin` or `Sec-Fetch-Site`, when
 * the browser sends one, must say the request comes from this very origin.
 */
export function checkCsrf(c: Context): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (!c.req.header(CSRF_HEADER)) throw new DomainError('forbidden', `cookie-authenticated ${c.req.method} needs the ${CSRF_HEADER} header`);
  const origin = c.req.header('Origin');
  if (origin && origin !== new URL(c.req.url).origin) throw new DomainError('forbidden', `cross-origin request refused (Origin ${origin})`);
  const site = c.req.header('Sec-Fetch-Site');
  if (site && site !== 'same-origin' && site !== 'none') throw new DomainError('forbidden', `cross-site request refused (Sec-Fetch-Site ${site})`);
}

/**
 * Symbol under which the authenticating middlewares say what they require (`user`: any signed-in
 * caller, `admin`), so /api/openapi.json can state each route's security without a second list.
 */
export const AUTH_META = Symbol.for('h627.auth');

function tagged<T extends object>(mw: T, needs: 'user' | 'admin'): T {
  (mw as Record<symbol, unknown>)[AUTH_META] = needs;
  return mw;
}

/**
 * API requests one signed-in user may make: 500 at once, 50 a second after that (platform's choice: a console page
 * loads a few dozen and polls a few a second; a script in a loop cannot hold the event loop for everyone). Admins
 * are not limited.
 */
export const API_USER_BUDGET: Budget = { ratePerS: 50, burst: 500 };
/** Each platform's per-user API buckets, by its AuthKeys (one platform per process, several in tests). */
const apiBuckets = new WeakMap<AuthKeys, KeyedBuckets>();

/** Charge a request to its user's API budget; a rate-limited refusal past it. */
function chargeUser(p: AuthKeys, principal: Principal): void {
  if (principal.kind !== 'user' || principal.role === 'admin') return;
  let buckets = apiBuckets.get(p);
  if (!buckets) apiBuckets.set(p, (buckets = new KeyedBuckets(API_USER_BUDGET)));
  const b = buckets.of(principal.userId);
  if (!b.take()) {
    const retryAfterS = Math.max(1, Math.ceil(b.waitMs() / 1000));
    throw new DomainError('rate-limited', `too many requests from this user: retry in ${retryAfterS} s`, undefined, retryAfterS);
  }
}

/** Require a valid token (bearer header, or the console's session cookie); sets `principal`. */
export function authenticate(p: AuthKeys, resolveUser?: TokenResolver) {
  return tagged(
    createMiddleware<AuthEnv>(async (c, next) => {
      const token = bearerOf(c.req.header('Authorization'));
      let principal: Principal | undefined;
      if (token) {
        if (sameSecret(token, p.adminToken)) principal = { kind: 'admin-token', role: 'admin' };
        else principal = await resolveUser?.(token);
        if (!principal) throw new DomainError('unauthorized', 'invalid or expired bearer token');
      } else {
        const cookie = getCookie(c, SESSION_COOKIE);
        if (!cookie) throw new DomainError('unauthorized', 'missing bearer token (Authorization: Bearer …) or session cookie');
        checkCsrf(c);
        principal = await resolveUser?.(cookie);
        if (!principal) throw new DomainError('unauthorized', 'session expired or signed out: sign in again');
      }
      chargeUser(p, principal);
      c.set('principal', principal);
      await next();
    }),
    'user',
  );
}

/** Require an admin (the admin token or a user with role admin). */
export const requireAdmin = tagged(
  createMiddleware<AuthEnv>(async (c, next) => {
    if (c.var.principal.role !== 'admin') throw new DomainError('forbidden', 'this needs an admin');
    await next();
  }),
  'admin',
);

/**
 * `/metrics` behind METRICS_TOKEN when it is set (a Prometheus scrape config's `bearer_token`; the admin token
 * works too); open when it is not, for a scraper on a private network.
 */
export function metricsGuard(p: AuthKeys & { metricsToken: string | undefined }) {
  return createMiddleware(async (c, next) => {
    const want = p.metricsToken;
    if (want) {
      const token = bearerOf(c.req.header('Authorization'));
      if (!token || !(sameSecret(token, want) || sameSecret(token, p.adminToken))) {
        throw new DomainError('unauthorized', 'metrics need Authorization: Bearer <METRICS_TOKEN>');
      }
    }
    await next();
  });
}
