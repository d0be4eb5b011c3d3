/** `/api/admin/streams`: the live streams that have not ended, with viewers, bitrate and bytes (admins only). */
import { Hono } from 'hono';
import type { AppServices } from './app.ts';
import { requireAdmin, type AuthEnv } from './auth.ts';
import { responds } from './responses.ts';
import { StreamOverview } from '../protocol/api-responses.ts';

/** The stream overview sub-app (mounted under an authenticating middleware). */
export function streamRoutes(p: Pick<AppServices, 'live'>) {
  return new Hono<AuthEnv>().use(requireAdmin).get('/', responds(200, StreamOverview), async (c) => c.json(await p.live.streams()));
}
