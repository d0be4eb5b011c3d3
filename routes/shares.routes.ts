/**
 * Sharing a camera (docs/console.md, "Sharing"): `GET|POST /api/devices/:id/shares`, `DELETE …/shares/:username`,
 * and `DELETE /api/devices/:id/binding` (unbind). The owner's (and admins'); anyone else with a role on the camera
 * gets a 403 naming the owner role, anyone without one a 404.
 */
import { Hono } from 'hono';
import { DevicePath } from '../protocol/paths.ts';
import { SHARES_PER_DEVICE_MAX, ShareBody, ShareInfo, ShareList, SharePath } from '../protocol/shares-api.ts';
import type { Principal } from '../services/users/principal.ts';
import type { AppServices } from './app.ts';
import type { AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { responds } from './responses.ts';

const nameOf = (who: Principal) => (who.kind === 'user' ? who.username : 'admin');

/** The shares sub-app (mounted under /api/devices with authentication). */
export function shareRoutes(p: Pick<AppServices, 'devices' | 'shares'>) {
  return new Hono<AuthEnv>()
    .get('/:id/shares', responds(200, ShareList, [404]), validate('param', DevicePath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.valid('param').id, 'owner', "the camera's shares");
      return c.json({ shares: await p.shares.list(row.id), max: SHARES_PER_DEVICE_MAX });
    })
    .post('/:id/shares', responds(201, ShareInfo, [404, 409]), validate('param', DevicePath), validate('json', ShareBody), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.valid('param').id, 'owner', 'sharing the camera');
      const r = await p.shares.share(row.id, c.req.valid('json'), nameOf(c.var.principal));
      return c.json(r.share, r.created ? 201 : 200);
    })
    .delete('/:id/shares/:username', responds(204, null, [404]), validate('param', SharePath), async (c) => {
      const { id, username } = c.req.valid('param');
      const { row } = await p.devices.visibleOne(c.var.principal, id, 'owner', 'ending a share');
      await p.shares.unshare(row.id, username, nameOf(c.var.principal));
      return c.body(null, 204);
    })
    .delete('/:id/binding', responds(204, null, [404, 409]), validate('param', DevicePath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.valid('param').id, 'owner', 'unbinding the camera');
      await p.shares.unbind(row.id, nameOf(c.var.principal));
      return c.body(null, 204);
    });
}
