/**
 * The recording and playback API (docs/recording.md): start and stop a channel's recording, its
 * retention policy, its quota and what it keeps, the alarm-triggered recording setting, a channel's alarms of a time range, the recordings of a time range with their gaps, an HLS playlist of them and one
 * MPEG-TS download; and the signed segment URLs those playlists hold. Another user's device is a
 * 404 (H.627.2 8.3.1: a CU reaches only its own PUs).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AlarmRecordingBody, RangeQuery, RecordingPolicyBody, RecordingQuotaBody, RecordingUsageQuery, StartRecordingBody } from '../protocol/recording-api.ts';
import { ReconcileQuery, RecordingReconcile } from '../protocol/storage-api.ts';
import { ChannelPath, DevicePath, SegmentPath } from '../protocol/paths.ts';
import type { AppServices } from './app.ts';
import { CS_PLAYBACK_PATH } from '../services/recording/recording-urls.ts';
import { M3U8, MPEG_TS, viewerOf } from '../services/recording/recording-playback.ts';
import { VrError } from '../services/recording/recording-vr.ts';
import type { Principal } from '../services/users/principal.ts';
import { AUTH_META, type AuthEnv, requireAdmin } from './auth.ts';
import { problem } from './problem.ts';
import { FORGED, validate } from './validate.ts';
import {
  AlarmRecordingSetting,
  DeviceRecordingUsage,
  RecordingListing,
  RecordingPolicy,
  RecordingPolicySet,
  RecordingSession,
  TimelineAlarms,
  UserRecordingUsage,
} from '../protocol/api-responses.ts';
import { DomainError } from '../services/errors.ts';
import { ERROR_DESCRIPTIONS, responds } from './responses.ts';

const nameOf = (who: Principal) => (who.kind === 'user' ? who.username : 'admin');

/**
 * Authenticate unless an earlier middleware of the same path did already (this sub-app shares the
 * `/api/devices` prefix with the devices sub-app and its guard).
 */
export function authenticateOnce(auth: MiddlewareHandler<AuthEnv>): MiddlewareHandler<AuthEnv> {
  const mw = createMiddleware<AuthEnv>(async (c, next) => (c.get('principal') ? next() : auth(c, next)));
  // It guards what `auth` guards (/api/openapi.json reads this).
  (mw as unknown as Record<symbol, unknown>)[AUTH_META] = (auth as unknown as Record<symbol, unknown>)[AUTH_META];
  return mw;
}

/** The recording sub-app (mount under `/api/devices` behind authentication). */
export function recordingRoutes(p: Pick<AppServices, 'devices' | 'recording'>) {
  return new Hono<AuthEnv>()
    .post(
      '/:id/channels/:ch/recording',
      responds(201, RecordingSession, { 404: ERROR_DESCRIPTIONS[404], 409: 'the channel records with other parameters: stop it first' }),
      validate('param', ChannelPath),
      validate('json', StartRecordingBody),
      async (c) => {
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'operator', 'turning recording on');
        const r = await p.recording.startSession(row, c.req.valid('param').ch, c.req.valid('json'), nameOf(c.var.principal));
        return c.json(r.session, r.created ? 201 : 200);
      },
    )
    .delete('/:id/channels/:ch/recording', responds(202, RecordingSession, [404]), validate('param', ChannelPath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'operator', 'turning recording off');
      return c.json(await p.recording.stopSession(row.id, c.req.valid('param').ch, nameOf(c.var.principal)), 202);
    })
    .get(
      '/:id/channels/:ch/recording',
      // A channel that never recorded has no session: 204, not an error (a console page asks on every load).
      responds(200, RecordingSession, { 404: 'no such device' }),
      validate('param', ChannelPath),
      async (c) => {
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
        const s = await p.recording.currentSession(row.id, c.req.valid('param').ch);
        return s ? c.json(s) : c.body(null, 204);
      },
    )
    .get('/:id/recording-policy', responds(200, RecordingPolicy, [404]), validate('param', DevicePath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json(await p.recording.policies.get(row.id));
    })
    .put('/:id/recording-policy', responds(200, RecordingPolicySet, [404]), validate('param', DevicePath), validate('json', RecordingPolicyBody), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'owner', 'the recording policy');
      return c.json(await p.recording.policies.set(row.id, c.req.valid('json').retention_s));
    })
    .get('/:id/recording-usage', responds(200, DeviceRecordingUsage, [404]), validate('param', DevicePath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json(await p.recording.quotas.device(row.id));
    })
    .put(
      '/:id/recording-quota',
      responds(200, DeviceRecordingUsage, { 403: 'this needs the owner role on the camera', 404: ERROR_DESCRIPTIONS[404] }),
      validate('param', DevicePath),
      validate('json', RecordingQuotaBody),
      async (c) => {
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'owner', 'the recording quota');
        return c.json(await p.recording.quotas.setDevice(row.id, c.req.valid('json').quota_bytes));
      },
    )
    .get('/:id/alarm-recording', responds(200, AlarmRecordingSetting, [404]), validate('param', DevicePath), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json(await p.recording.alarms.setting(row.id));
    })
    .put(
      '/:id/alarm-recording',
      responds(200, AlarmRecordingSetting, [404, 409]),
      validate('param', DevicePath),
      validate('json', AlarmRecordingBody),
      async (c) => {
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'operator', 'alarm-triggered recording');
        return c.json(await p.recording.alarms.setSetting(row.id, c.req.valid('json'), nameOf(c.var.principal)));
      },
    )
    .get('/:id/channels/:ch/alarms', responds(200, TimelineAlarms, [404]), validate('param', ChannelPath), validate('query', RangeQuery), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json(await p.recording.alarms.inRange(row.id, c.req.valid('param').ch, c.req.valid('query')));
    })
    .post(
      '/:id/recordings/reconcile',
      responds(200, RecordingReconcile, { 403: 'this needs an admin', 404: ERROR_DESCRIPTIONS[404] }),
      requireAdmin,
      validate('param', DevicePath),
      validate('query', ReconcileQuery),
      async (c) => {
        const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'owner');
        const q = c.req.valid('query');
        return c.json(
          await p.recording.vr.reconcile(row.id, {
            remove: q.remove === '1',
            ...(q.limit ? { limit: q.limit } : {}),
            ...(q.after ? { after: q.after } : {}),
            ...(q.after_row ? { afterRow: q.after_row } : {}),
          }),
        );
      },
    )
    .get('/:id/channels/:ch/recordings', responds(200, RecordingListing, [404]), validate('param', ChannelPath), validate('query', RangeQuery), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      return c.json(await p.recording.playback.list(row.id, c.req.valid('param').ch, c.req.valid('query'), viewerOf(c.var.principal)));
    })
    .get('/:id/channels/:ch/playback.m3u8', responds(200, M3U8, [404]), validate('param', ChannelPath), validate('query', RangeQuery), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      const text = await p.recording.playback.playlist(row.id, c.req.valid('param').ch, c.req.valid('query'), viewerOf(c.var.principal));
      return c.body(text, 200, { 'Content-Type': M3U8, 'Cache-Control': 'private, no-store' });
    })
    .get('/:id/channels/:ch/download', responds(200, MPEG_TS, [404]), validate('param', ChannelPath), validate('query', RangeQuery), async (c) => {
      const { row } = await p.devices.visibleOne(c.var.principal, c.req.param('id'), 'viewer');
      const d = await p.recording.playback.download(row.id, c.req.valid('param').ch, c.req.valid('query'));
      return c.body(d.body, 200, {
        'Content-Type': MPEG_TS,
        'Content-Length': String(d.size),
        'Content-Disposition': `attachment; filename="${d.filename}"`,
        'Cache-Control': 'private, no-store',
      });
    });
}

/** `GET /api/recording-usage[?user=]`: what a user's devices keep against the user quota (mount under `/api/recording-usage` behind authentication). */
export function usageRoutes(p: Pick<AppServices, 'recording'>) {
  return new Hono<AuthEnv>().get(
    '/',
    responds(200, UserRecordingUsage, { 400: 'the admin token has no devices of its own: name a user', 403: "another user's usage needs an admin" }),
    validate('query', RecordingUsageQuery),
    async (c) => {
      const who = c.var.principal;
      const named = c.req.valid('query').user;
      if (named !== undefined && who.role !== 'admin' && !(who.kind === 'user' && who.userId === named))
        throw new DomainError('forbidden', "another user's usage needs an admin");
      const userId = named ?? (who.kind === 'user' ? who.userId : undefined);
      if (userId === undefined) throw new DomainError('invalid', 'the admin token has no devices of its own: name a user (?user=<id>)');
      return c.json(await p.recording.quotas.user(userId));
    },
  );
}

/** `GET /cs/seg/<session>/<name>?e=&s=`: segment bytes for signed URLs (no bearer token: players fetch these). */
export function segmentMediaRoutes(p: Pick<AppServices, 'recording'>) {
  return new Hono().get(`${CS_PLAYBACK_PATH}/:session/:name`, validate('param', SegmentPath, FORGED), async (c) => {
    try {
      return await p.recording.playback.segment(
        c.req.param('session'),
        c.req.param('name'),
        c.req.query('e'),
        c.req.query('a'),
        c.req.query('s'),
        c.req.header('range'),
      );
    } catch (err) {
      if (err instanceof VrError) return problem(c, err.status, err.message);
      throw err;
    }
  });
}
