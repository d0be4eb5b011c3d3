/**
 * Who is calling the API: the admin bearer token (ADMIN_TOKEN), or a signed-in user's session
 * token. Routes read `c.var.principal`.
 */
import { createMiddleware } from 'hono/factory';
import { timingSafeEqual } from 'node:crypto';
import type { Platform } from '../platform/context.ts';
import { DomainError } from '../platform/errors.ts';

/** The caller of an API request. */
export type Principal =
  | { kind: 'admin-token'; role: 'admin' }
  | { kind: 'user'; role: 'user' | 'admin'; userId: string; username: string };

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

/** Require a valid token; sets `principal`. */
export function authenticate(p: Platform, resolveUser?: TokenResolver) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const token = bearerOf(c.req.header('Authorization'));
    if (!token) throw new DomainError('unauthorized', 'missing bearer token (Authorization: Bearer …)');
    let principal: Principal | undefined;
    if (sameSecret(token, p.adminToken)) principal = { kind: 'admin-token', role: 'admin' };
    else principal = await resolveUser?.(token);
    if (!principal) throw new DomainError('unauthorized', 'invalid or expired bearer token');
    c.set('principal', principal);
    await next();
  });
}

/** Require an admin (the admin token or a user with role admin). */
export const requireAdmin = createMiddleware<AuthEnv>(async (c, next) => {
  if (c.var.principal.role !== 'admin') throw new DomainError('forbidden', 'this needs an admin');
  await next();
});
