/** `/api/admin`: provision devices and users, lift their login locks, the storage reconciliation's runs (admins only). */
import { Hono } from 'hono';
import { z } from 'zod';
import { CreateUser, ProvisionDevice, UserName } from '../protocol/api.ts';
import { DevicePath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import { requireAdmin, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { DeviceInfo, DeviceInfoList, UserInfo } from '../protocol/api-responses.ts';
import { responds } from './responses.ts';
import { ReconcileRunReport, ReconcileStatus } from '../protocol/storage-api.ts';

/** Path parameter of the user unlock route: a user name as CreateUser takes it. */
const UserPath = z.object({ username: UserName });

/** The admin sub-app (mounted under an authenticating middleware). */
export function adminRoutes(p: Pick<AppServices, 'devices' | 'users' | 'sessions' | 'recording'>) {
  const reconciler = () => p.recording.reconciler;
  return (
    new Hono<AuthEnv>()
      .use(requireAdmin)
      .post('/devices', responds(201, DeviceInfo, { 409: 'a device with this id or MAC address exists' }), validate('json', ProvisionDevice), async (c) =>
        c.json(await p.devices.provision(c.req.valid('json')), 201),
      )
      .get('/devices', responds(200, DeviceInfoList), async (c) => c.json({ devices: await p.devices.list() }))
      .delete('/devices/:id', responds(204, null, [404]), validate('param', DevicePath), async (c) => {
        await p.devices.deprovision(c.req.param('id'));
        return c.body(null, 204);
      })
      .post('/devices/:id/unlock', responds(204, null, [404]), validate('param', DevicePath), async (c) => {
        await p.devices.unlock(c.req.valid('param').id, c.var.principal.kind === 'user' ? `user:${c.var.principal.userId}` : 'admin token');
        return c.body(null, 204);
      })
      .post('/users', responds(201, UserInfo, { 409: 'a user of this name exists' }), validate('json', CreateUser), async (c) =>
        c.json(await p.users.create(c.req.valid('json')), 201),
      )
      .get('/recordings/reconcile', responds(200, ReconcileStatus), (c) => {
        const { intervalMs, budget, remove } = reconciler().settings;
        return c.json({ interval_s: intervalMs / 1000, budget, remove, last: reconciler().last });
      })
      // One run now, as the schedule runs them (a run in progress is joined).
      .post('/recordings/reconcile', responds(200, ReconcileRunReport), async (c) => c.json(await reconciler().run()))
      .post('/users/:username/unlock', responds(204, null, [404]), validate('param', UserPath), async (c) => {
        const { username } = c.req.valid('param');
        if (!(await p.sessions.unlock(username))) throw new DomainError('not-found', `no user ${username}`, 'username');
        return c.body(null, 204);
      })
  );
}
