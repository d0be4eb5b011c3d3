/**
 * Detection (docs/detection.md): `GET|PUT /api/devices/:id/channels/:ch/detection` (the channel's setting: viewers
 * read it; owners and operators set it) and `GET /api/detections?device=&channel=&class=&zone=&from=&to=&before=&limit=`
 * (the detection events of the cameras the caller may see, newest first, a page at a time). A device the user has no
 * role on is a 404.
 */
import { Hono } from 'hono';
import { DetectionBody, DetectionList, DetectionSetting, DetectionsQuery } from '../protocol/detection-api.ts';
import { ChannelPath, Uuid } from '../protocol/paths.ts';
import { z } from 'zod';
import { DomainError } from '../services/errors.ts';
import type { DetectionService } from '../services/detection/detections.ts';
import type { Devices } from '../services/devices/devices.ts';
import type { Principal } from '../services/users/principal.ts';
import type { AuthEnv } from './auth.ts';
import { responds } from './responses.ts';
import { validate } from './validate.ts';

const nameOf = (who: Principal) => (who.kind === 'user' ? who.username : 'admin');

/** What the detection routes use. */
export interface DetectionRouteDeps {
  devices: Pick<Devices, 'visibleOne'>;
  detection: DetectionService;
}

/** The channel setting sub-app (mounted under /api/devices with authentication). */
export function detectionSettingRoutes(p: DetectionRouteDeps) {
  return new Hono<AuthEnv>()
    .get('/:id/channels/:ch/detection', responds(200, DetectionSetting, [404]), validate('param', ChannelPath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json(await p.detection.setting(row.id, c.req.valid('param').ch));
    })
    .put(
      '/:id/channels/:ch/detection',
      responds(200, DetectionSetting, [404, 409]),
      validate('param', ChannelPath),
      validate('json', DetectionBody),
      async (c) => {
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'operator', 'detection');
        return c.json(await p.detection.configure(row.id, c.req.valid('param').ch, c.req.valid('json'), nameOf(c.var.principal)));
      },
    );
}

/** `/api/detections/:id/…`. */
const DetectionPath = z.object({ id: Uuid });

/** `GET /api/detections` and `GET /api/detections/:id/picture` (mounted with authentication). */
export function detectionListRoutes(p: DetectionRouteDeps) {
  return new Hono<AuthEnv>()
    .get('/', responds(200, DetectionList, [404]), validate('query', DetectionsQuery), async (c) => {
      const q = c.req.valid('query');
      // a named device the caller has no role on is a 404, as on every device route; otherwise the list says who sees what
      if (q.device !== undefined) await p.devices.visibleOne(c.var.principal, q.device, 'viewer');
      return c.json(await p.detection.list(c.var.principal, q));
    })
    .get('/:id/picture', responds(200, 'image/jpeg', [404]), validate('param', DetectionPath), async (c) => {
      const id = c.req.valid('param').id;
      const device = await p.detection.deviceOf(id);
      if (!device) throw new DomainError('not-found', 'no such detection');
      await p.devices.visibleOne(c.var.principal, device, 'viewer');
      const jpeg = await p.detection.picture(id);
      return c.body(jpeg as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600' });
    });
}
