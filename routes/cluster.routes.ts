/**
 * Node-to-node routes (node-signed requests only): `GET /api/cluster/feed`, this node's actor transitions for another
 * node's consoles; `POST /api/cluster/login-failed`, a failed Vd login another node saw, for this node (the owner of the
 * device's pu actor) to count toward the device's lock.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { ActorId, DeviceId } from '../protocol/paths.ts';
import type { ActorHost } from '../actors/host/host.ts';
import type { DeviceAuth } from '../services/devices/device-auth.ts';
import type { Server } from 'bun';
import { CLUSTER_FEED_PATH, type ClusterFeed } from '../services/cluster/cluster-feed.ts';
import {
  CLUSTER_LOGIN_FAILED_PATH,
  CLUSTER_RELEASE_PATH,
  IP_MAX_CHARS,
  LOGIN_FAILED_REASON_MAX_CHARS,
  RELEASE_BATCH_MAX,
} from '../services/cluster/forward.ts';
import { nodeCaller } from './client-ip.ts';
import { CLUSTER_HIBERNATION_PATH, CLUSTER_WAKE_PATH, HibernationRelay } from '../services/hibernation/wake.ts';
import { puActorId } from '../actors/machines/ids.ts';
import { problem } from './problem.ts';

/** A failed Vd login another node saw, for the node that owns the device's pu actor to count. */
const LoginFailedBody = z.object({
  device_id: DeviceId,
  reason: z.string().max(LOGIN_FAILED_REASON_MAX_CHARS),
  ip: z.string().max(IP_MAX_CHARS).optional(),
});

/** Actors another node took over from this one. */
const ReleaseBody = z.object({ actors: z.array(ActorId).max(RELEASE_BATCH_MAX) });

/** A wake for a device whose hibernation link this node holds (services/hibernation/wake.ts). */
const WakeBody = z.object({ device_id: DeviceId });

/** The node-to-node routes. */
export function clusterRoutes(
  feed: Pick<ClusterFeed, 'exportStream'>,
  auth: Pick<DeviceAuth, 'countFailure'>,
  host: Pick<ActorHost, 'release' | 'send'>,
  hibernation?: {
    wake(deviceId: string): boolean;
    relayed(deviceId: string, event: HibernationRelay['event']): void;
    released(actorIds: readonly string[]): void;
  },
) {
  const nodesOnly = (c: Context) => (nodeCaller(c) ? undefined : problem(c, 401, 'a node-to-node endpoint: only requests signed by a node of this cluster'));
  return new Hono()
    .get(CLUSTER_FEED_PATH, (c) => {
      const refused = nodesOnly(c);
      if (refused) return refused;
      (c.env as Server<unknown> | undefined)?.timeout?.(c.req.raw, 0); // idle between transitions by nature
      return new Response(feed.exportStream(c.req.raw.signal), { headers: { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' } });
    })
    .post(CLUSTER_LOGIN_FAILED_PATH, async (c) => {
      const refused = nodesOnly(c);
      if (refused) return refused;
      const body = LoginFailedBody.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) return problem(c, 400, `bad login-failed body: ${body.error.issues[0]?.message}`, String(body.error.issues[0]?.path[0] ?? ''));
      // Counted here, never relayed again (the owner may have changed meanwhile: then it is not counted).
      await auth.countFailure(body.data.device_id, body.data.ip, body.data.reason, false);
      return c.body(null, 204);
    })
    .post(CLUSTER_RELEASE_PATH, async (c) => {
      const refused = nodesOnly(c);
      if (refused) return refused;
      const body = ReleaseBody.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) return problem(c, 400, `bad release body: ${body.error.issues[0]?.message}`, 'actors');
      host.release(body.data.actors);
      hibernation?.released(body.data.actors);
      return c.body(null, 204);
    })
    .post(CLUSTER_HIBERNATION_PATH, async (c) => {
      const refused = nodesOnly(c);
      if (refused) return refused;
      const body = HibernationRelay.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) return problem(c, 400, `bad hibernation event: ${body.error.issues[0]?.message}`, String(body.error.issues[0]?.path[0] ?? ''));
      if (hibernation) hibernation.relayed(body.data.device_id, body.data.event);
      else host.send(puActorId(body.data.device_id), body.data.event);
      return c.body(null, 204);
    })
    .post(CLUSTER_WAKE_PATH, async (c) => {
      const refused = nodesOnly(c);
      if (refused) return refused;
      const body = WakeBody.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) return problem(c, 400, `bad wake body: ${body.error.issues[0]?.message}`, 'device_id');
      if (!hibernation?.wake(body.data.device_id)) return problem(c, 404, `no hibernation link of ${body.data.device_id} on this node`);
      return c.body(null, 204);
    });
}
