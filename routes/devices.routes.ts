/**
 * `/api/devices`: a user's own cameras (admins: all): status, platform → PU messages, alarms,
 * snapshots and logs. Another user's device is a 404 (H.627.2 8.3.1: a CU reaches only its PUs).
 */
import { Hono } from 'hono';
import { and, desc, eq, lt } from 'drizzle-orm';
import { existsSync } from 'node:fs';
import { isUnder } from '../lib/safe-path.ts';
import { alarms, deviceLogs, snapshots } from '../db/schema.ts';
import { ListQuery, RpcBody } from '../protocol/api.ts';
import { AlarmPath, DevicePath, LogPath, SnapshotPath } from '../protocol/paths.ts';
import type { Platform } from '../services/context.ts';
import { visibleDevice, visibleDevices } from '../services/devices/devices.ts';
import { DomainError } from '../services/errors.ts';
import type { AuthEnv } from './auth.ts';
import { problem } from './problem.ts';
import { validate } from './validate.ts';

/** Browsers may keep a device's stored file (a picture, a log) this long: it never changes. */
export const FILE_CACHE_MAX_AGE_S = 3600;

/** The devices sub-app (mounted under an authenticating middleware). */
export function deviceRoutes(p: Platform) {
  const fileOr404 = (path: string | null | undefined, type: string) => {
    // A stored path is the platform's own, but it is served only from under the uploads' root.
    if (!path || !isUnder(p.uploads.root, path) || !existsSync(path)) throw new DomainError('not-found', 'no file (not uploaded yet?)');
    return new Response(Bun.file(path), { headers: { 'Content-Type': type, 'Cache-Control': `private, max-age=${FILE_CACHE_MAX_AGE_S}` } });
  };
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json({ devices: await visibleDevices(p, c.var.principal) }))
    .get('/:id', validate('param', DevicePath), async (c) => c.json((await visibleDevice(p, c.var.principal, c.req.param('id'))).status))
    .post('/:id/rpc', validate('param', DevicePath), validate('json', RpcBody), async (c) => {
      const { row } = await visibleDevice(p, c.var.principal, c.req.param('id'));
      const who = c.var.principal;
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
    })
    .get('/:id/alarms', validate('param', DevicePath), validate('query', ListQuery), async (c) => {
      const { row } = await visibleDevice(p, c.var.principal, c.req.param('id'));
      const q = c.req.valid('query');
      const list = await p.db.orm
        .select()
        .from(alarms)
        .where(q.before ? and(eq(alarms.deviceId, row.id), lt(alarms.receivedAt, new Date(q.before))) : eq(alarms.deviceId, row.id))
        .orderBy(desc(alarms.receivedAt))
        .limit(q.limit);
      return c.json({
        alarms: list.map((a) => ({
          id: a.id,
          channel: a.channel,
          type: a.type,
          state: a.state,
          desc: a.desc,
          device_timestamp: a.deviceTimestamp,
          received_at: a.receivedAt.toISOString(),
          picture: a.picture ? `/api/devices/${encodeURIComponent(row.id)}/alarms/${a.id}/picture` : null,
        })),
      });
    })
    .get('/:id/alarms/:alarmId/picture', validate('param', AlarmPath), async (c) => {
      const { row } = await visibleDevice(p, c.var.principal, c.req.param('id'));
      const [a] = await p.db.orm
        .select()
        .from(alarms)
        .where(and(eq(alarms.deviceId, row.id), eq(alarms.id, c.req.param('alarmId'))));
      return fileOr404(a?.picture, 'image/jpeg');
    })
    .get('/:id/snapshots/:sid', validate('param', SnapshotPath), async (c) => {
      const { row } = await visibleDevice(p, c.var.principal, c.req.param('id'));
      const [s] = await p.db.orm
        .select()
        .from(snapshots)
        .where(and(eq(snapshots.deviceId, row.id), eq(snapshots.id, c.req.param('sid'))));
      return fileOr404(s?.file, 'image/jpeg');
    })
    .get('/:id/logs/:transId', validate('param', LogPath), async (c) => {
      const { row } = await visibleDevice(p, c.var.principal, c.req.param('id'));
      const [l] = await p.db.orm
        .select()
        .from(deviceLogs)
        .where(and(eq(deviceLogs.deviceId, row.id), eq(deviceLogs.transId, c.req.param('transId'))));
      return fileOr404(l?.file, 'text/plain; charset=utf-8');
    });
}
