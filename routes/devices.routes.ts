/**
 * `/api/devices`: a user's own cameras and those shared with them (admins: all): status, platform → PU messages,
 * alarms, snapshots and logs. A device the user has no role on is a 404 (H.627.2 8.3.1: a CU reaches only its PUs);
 * too small a role is a 403 naming the role needed (services/devices/access.ts).
 */
import { Hono } from 'hono';
import { ListQuery, RpcBody } from '../protocol/api.ts';
import { AlarmPath, DevicePath, LogPath, SnapshotPath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import type { AuthEnv } from './auth.ts';
import { problem } from './problem.ts';
import { rpcRole } from '../services/devices/access.ts';
import { allowSilence } from './idle-timeout.ts';
import { validate } from './validate.ts';
import { AlarmList, DeviceStatus, DeviceStatusList, RpcAnswer, RpcRefused } from '../protocol/api-responses.ts';
import { ERROR_DESCRIPTIONS, responds } from './responses.ts';

/** Browsers may keep a device's stored file (a picture, a log) this long: it never changes. */
export const FILE_CACHE_MAX_AGE_S = 3600;

/** The devices sub-app (mounted under an authenticating middleware). */
export function deviceRoutes(p: Pick<AppServices, 'devices' | 'rpc'>) {
  const file = (path: string, type: string) =>
    new Response(Bun.file(path), { headers: { 'Content-Type': type, 'Cache-Control': `private, max-age=${FILE_CACHE_MAX_AGE_S}` } });
  return new Hono<AuthEnv>()
    .get('/', responds(200, DeviceStatusList), async (c) => c.json({ devices: await p.devices.visible(c.var.principal) }))
    .get('/:id', responds(200, DeviceStatus, [404]), validate('param', DevicePath), async (c) =>
      c.json((await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer')).status),
    )
    .post(
      '/:id/rpc',
      responds(200, RpcAnswer, { 404: ERROR_DESCRIPTIONS[404], 502: RpcRefused, 504: ERROR_DESCRIPTIONS[504] }),
      validate('param', DevicePath),
      validate('json', RpcBody),
      async (c) => {
        const name = c.req.valid('json').req ?? c.req.valid('json').event ?? '';
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), rpcRole(name), name);
        const who = c.var.principal;
        allowSilence(c, p.rpc.callDeadlineMs()); // a sleeping camera's wake, then the RPC
        const out = await p.rpc.call(row.id, c.req.valid('json'), { name: who.kind === 'user' ? who.username : 'admin', admin: who.role === 'admin' });
        const a = out.answer;
        if (a.ok) return c.json({ resp: a.resp, ...out.extra });
        if (a.kind === 'err')
          return c.json(
            {
              type: 'about:blank',
              title: 'Bad Gateway',
              status: 502,
              detail: `the device answered err ${a.code}: ${a.msg}`,
              err: { code: a.code, msg: a.msg },
              ...out.extra,
            },
            502,
            { 'Content-Type': 'application/problem+json' },
          );
        if (a.kind === 'timeout') return problem(c, 504, a.msg);
        return problem(c, 502, a.msg);
      },
    )
    .get('/:id/alarms', responds(200, AlarmList, [404]), validate('param', DevicePath), validate('query', ListQuery), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json({ alarms: await p.devices.alarms(row.id, c.req.valid('query')) });
    })
    .get('/:id/alarms/:alarmId/picture', responds(200, 'image/jpeg', [404]), validate('param', AlarmPath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return file(await p.devices.alarmPicture(row.id, c.req.param('alarmId')), 'image/jpeg');
    })
    .get('/:id/snapshots/:sid', responds(200, 'image/jpeg', [404]), validate('param', SnapshotPath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'operator', 'a snapshot');
      return file(await p.devices.snapshotFile(row.id, c.req.param('sid')), 'image/jpeg');
    })
    .get('/:id/logs/:transId', responds(200, 'text/plain', [404]), validate('param', LogPath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'owner', "the camera's log");
      return file(await p.devices.logFile(row.id, c.req.param('transId')), 'text/plain; charset=utf-8');
    });
}
