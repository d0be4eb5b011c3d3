/**
 * `nodeForwarding`: the first middleware of the app (docs/cluster.md, "Any node serves any request").
 * A request signed by another node is checked (refused 401 when its signature is bad or stale) and
 * served here, never forwarded again; a client's request addressing a device is proxied to the node
 * that owns the device's pu actor when that is another live node.
 */
import type { MiddlewareHandler } from 'hono';
import type { DeviceTarget, Forwarder } from '../services/cluster/forward.ts';
import { UPLOAD_PATH } from '../services/uploads/uploads.ts';
import { CS_PLAYBACK_PATH, CS_UPLOAD_PATH } from '../services/recording/recording-urls.ts';
import { VR_PATH_PREFIX } from '../protocol/vr.ts';
import type { Logger } from '../lib/log.ts';
import { isDatabaseUnavailable } from '../services/errors.ts';
import { clientIp, markNodeRequest } from './client-ip.ts';
import { problem } from './problem.ts';
import { allowSilence } from './idle-timeout.ts';

/**
 * The routes that address a device, and how each names it. Live media (`/media/live/…`) is not among them: live URLs
 * name the node that runs the stream (the watch request was served there), so viewers connect there directly.
 */
const DEVICE_PATHS: { pattern: RegExp; target: (m: string) => DeviceTarget }[] = [
  { pattern: /^\/api\/devices\/([^/]+)(?:\/|$)/, target: (id) => ({ kind: 'device', deviceId: id }) },
  { pattern: /^\/api\/admin\/devices\/([^/]+)(?:\/|$)/, target: (id) => ({ kind: 'device', deviceId: id }) },
  { pattern: new RegExp(`^${VR_PATH_PREFIX}([^/]+)$`), target: (token) => ({ kind: 'vr-channel', token }) },
  { pattern: new RegExp(`^${CS_UPLOAD_PATH}/([^/]+)/[^/]+$`), target: (sessionId) => ({ kind: 'record-session', sessionId }) },
  { pattern: new RegExp(`^${CS_PLAYBACK_PATH}/([^/]+)/[^/]+$`), target: (sessionId) => ({ kind: 'record-session', sessionId }) },
  { pattern: new RegExp(`^${UPLOAD_PATH}/([^/]+)$`), target: (token) => ({ kind: 'upload-grant', token }) },
  { pattern: /^\/api\/admin\/nodes\/([^/]+)\/drain$/, target: (nodeId) => ({ kind: 'node', nodeId }) },
];

/** What a path addresses, if a device (undecodable parts are left to the routes, which refuse them). */
export function deviceTarget(path: string): DeviceTarget | undefined {
  for (const { pattern, target } of DEVICE_PATHS) {
    const m = pattern.exec(path);
    if (!m) continue;
    try {
      return target(decodeURIComponent(m[1]!));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A lookup the database's absence stopped: undefined (serve here); any other error stays an error. */
function unknownWithoutDb(err: unknown): undefined {
  if (isDatabaseUnavailable(err)) return undefined;
  throw err;
}

/** Methods without a body: a forward of one that failed may be sent again. */
const REPEATABLE = new Set(['GET', 'HEAD', 'DELETE']);

/**
 * Check node signatures and forward device requests to their owners. A forwarded request may stay silent as long as
 * the longest answer its owner can give (`silenceMs`: a sleeping camera's wake, then an RPC or a join): the owner
 * raises its own request's idle timeout (routes/idle-timeout.ts), and this node's leg of the request must not drop first.
 * @example app.use(nodeForwarding(forwarder, log, rpc.callDeadlineMs()))
 */
export function nodeForwarding(fw: Pick<Forwarder, 'check' | 'databaseAway' | 'actorOf' | 'route' | 'proxy'>, log: Logger, silenceMs = 0): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const check = fw.check(c.req.raw, url);
    if (check.kind === 'refused') return problem(c, 401, `node request refused: ${check.reason}`);
    if (check.kind === 'node') {
      markNodeRequest(c, check.node, check.clientIp);
      return next(); // forwarded once: served here, whoever owns the device now
    }
    const target = c.req.method === 'OPTIONS' || fw.databaseAway() ? undefined : deviceTarget(url.pathname);
    // Whose request it is, and where its owner is, are database reads: without the database the request is served
    // here, where the route gives its own answer to that (a device gets its 503 {info}, the API its problem JSON).
    const actorId = target && (await fw.actorOf(target).catch(unknownWithoutDb));
    if (!actorId) return next();
    const attempts = REPEATABLE.has(c.req.method) && !c.req.header('content-length') ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const route = await fw.route(actorId).catch(unknownWithoutDb);
      if (!route || route.kind === 'local') return next();
      if (silenceMs > 0) allowSilence(c, silenceMs);
      try {
        return await fw.proxy(c.req.raw, route, clientIp(c));
      } catch (err) {
        if (c.req.raw.signal.aborted) throw err; // the client left
        log.warn({ actor: actorId, owner: route.owner.node, attempt, err: String(err) }, 'forward to the owner node failed');
        if (attempt >= attempts) return problem(c, 502, `the node serving ${actorId} (${route.owner.node}) failed to answer: ${String(err)}`);
      }
    }
  };
}
