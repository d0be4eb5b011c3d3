/** `/api/admin`: provision devices and users, lift their login locks (admins only). */
import { Hono } from 'hono';
import { z } from 'zod';
import { CreateUser, ProvisionDevice, UserName } from '../protocol/api.ts';
import { DevicePath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import { requireAdmin, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';

/** Path parameter of the user unlock route: a user name as CreateUser takes it. */
const UserPath = z.object({ username: UserName });

/** The admin sub-app (mounted under an authenticating middleware). */
export function adminRoutes(p: Pick<AppServices, 'devices' | 'users' | 'sessions'>) {
  return new Hono<AuthEnv>()
    .use(requireAdmin)
    .post('/devices', validate('json', ProvisionDevice), async (c) => c.json(await p.devices.provision(c.req.valid('json')), 201))
    .get('/devices', async (c) => c.json({ devices: await p.devices.list() }))
    .delete('/devices/:id', validate('param', DevicePath), async (c) => {
      await p.devices.deprovision(c.req.param('id'));
      return c.body(null, 204);
    })
    .post('/devices/:id/unlock', validate('param', DevicePath), async (c) => {
      await p.devices.unlock(c.req.valid('param').id, c.var.principal.kind === 'user' ? `user:${c.var.principal.userId}` : 'admin token');
      return c.body(null, 204);
    })
    .post('/users', validate('json', CreateUser), async (c) => c.json(await p.users.create(c.req.valid('json')), 201))
    .post('/users/:username/unlock', validate('param', UserPath), async (c) => {
      const { username } = c.req.valid('param');
      if (!(await p.sessions.unlock(username))) throw new DomainError('not-found', `no user ${username}`, 'username');
      return c.body(null, 204);
    });
}
