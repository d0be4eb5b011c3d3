/**
 * Requests that may wait for a sleeping camera to wake (a live watch, an RPC: issue #22 point 4) stay silent longer
 * than the server's idle timeout (HTTP_IDLE_TIMEOUT_S, boot/start.ts) allows: each such request gets its own, from
 * the longest its answer can take, through Bun's `server.timeout(request, seconds)`. So the caller gets the answer
 * (or a 503/504 naming what timed out), never a dropped connection.
 */
import type { Context } from 'hono';

/** Seconds past an answer's deadline that its request may stay silent: writing the answer (platform's choice). */
export const HTTP_ANSWER_MARGIN_S = 5;
/** Bun's longest idle timeout of a request, seconds (Bun.serve `idleTimeout`, `server.timeout`). */
export const BUN_IDLE_TIMEOUT_MAX_S = 255;

/** The server a request came through, as Bun hands it to the app (`app.fetch(req, server)`): absent in `app.request`. */
interface IdleTimeoutServer {
  timeout(request: Request, seconds: number): void;
}

/** The idle timeout, seconds, of a request whose answer may take `waitMs`. */
export function idleTimeoutForS(waitMs: number): number {
  return Math.min(BUN_IDLE_TIMEOUT_MAX_S, Math.ceil(waitMs / 1000) + HTTP_ANSWER_MARGIN_S);
}

/** Let this request stay silent while its answer may take `waitMs` (plus the margin). */
export function allowSilence(c: Context, waitMs: number): void {
  const server = c.env as Partial<IdleTimeoutServer> | undefined;
  if (typeof server?.timeout === 'function') server.timeout(c.req.raw, idleTimeoutForS(waitMs));
}
