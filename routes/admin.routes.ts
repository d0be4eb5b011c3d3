/** `/api/admin`: provision devices and users (admins only). */
import { Hono } from 'hono';
import { CreateUser, ProvisionDevice } from '../protocol/api.ts';
import { DevicePath } from '../protocol/paths.ts';
import type { Platform } from '../platform/context.ts';
import { deprovisionDevice, listDevices, provisionDevice } from '../platform/devices.ts';
import { createUser } from '../platform/users.ts';
import { requireAdmin, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';

/** The admin sub-app (mounted under an authenticating middleware). */
export function adminRoutes(p: Platform) {
  return new Hono<AuthEnv>()
    .use(requireAdmin)
    .post('/devices', validate('json', ProvisionDevice), async (c) => c.json(await provisionDevice(p, c.req.valid('json')), 201))
    .get('/devices', async (c) => c.json({ devices: await listDevices(p) }))
    .delete('/devices/:id', validate('param', DevicePath), async (c) => {
      await deprovisionDevice(p, c.req.param('id'));
      return c.body(null, 204);
    })
    .post('/users', validate('json', CreateUser), async (c) => c.json(await createUser(p, c.req.valid('json')), 201));
}
