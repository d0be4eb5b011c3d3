/** `/api/session`, `/api/me` and `/api/bind-codes`: signing in and out, and asking for a bind code. */
import { Hono } from 'hono';
import type { Server } from 'bun';
import { SignIn } from '../protocol/api.ts';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import { authenticate, bearerOf, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { clientIp } from './client-ip.ts';
import { BindCode, Principal, SessionToken } from '../protocol/api-responses.ts';
import { responds } from './responses.ts';

/** Sign-in (open) and the routes of a signed-in user. */
export function sessionRoutes(p: Pick<AppServices, 'sessions' | 'bind' | 'adminToken'>) {
  const auth = authenticate(p, (t) => p.sessions.resolve(t));
  return new Hono<AuthEnv & { Bindings: Server<unknown> }>()
    .post('/session', responds(201, SessionToken, [429]), validate('json', SignIn), async (c) => {
      const b = c.req.valid('json');
      // A throttled pair is told when to try again (RFC 9110 10.2.3): SignInThrottled carries Retry-After.
      return c.json(await p.sessions.signIn(b.username, b.password, clientIp(c)), 201);
    })
    .delete('/session', responds(204, null), auth, async (c) => {
      await p.sessions.signOut(bearerOf(c.req.header('Authorization')) ?? '');
      return c.body(null, 204);
    })
    .get('/me', responds(200, Principal), auth, (c) => c.json(c.var.principal))
    .post('/bind-codes', responds(201, BindCode, { 400: 'bind codes belong to a user: the admin token cannot ask for one' }), auth, async (c) => {
      const who = c.var.principal;
      if (who.kind !== 'user') throw new DomainError('invalid', 'bind codes belong to a user: sign in as one');
      return c.json(await p.bind.issue(who.userId), 201);
    });
}
