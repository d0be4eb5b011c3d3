/**
 * `GET /api/events`: server-sent events for the console (docs/console.md). Cameras' status as it
 * changes (coalesced per camera), or actor transitions; heartbeats keep proxies and the browser's
 * EventSource from giving up; a consumer too slow to keep up is told to `reset` and dropped (its
 * EventSource reconnects and the page reloads what it shows).
 */
import { Hono } from 'hono';
import type { Server } from 'bun';
import { EventsQuery } from '../protocol/console-api.ts';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import type { EventFeed } from '../services/console/event-feed.ts';
import { getCookie } from 'hono/cookie';
import { bearerOf, SESSION_COOKIE, type AuthEnv } from './auth.ts';
import { validate } from './validate.ts';
import { responds } from './responses.ts';

/** A comment line this often keeps the stream open through proxies and idle timers. */
export const SSE_HEARTBEAT_MS = 15_000;
/** Device updates are sent at most this often per camera (the latest wins). */
export const SSE_DEVICE_COALESCE_MS = 250;
/** What EventSource waits before reconnecting, ms (the `retry:` field). */
export const SSE_RETRY_MS = 3_000;
/** Bytes a consumer may fall behind before it is reset. */
export const SSE_BACKLOG_MAX_BYTES = 4 * 1024 * 1024;

/** One SSE frame. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The events sub-app (mounted under an authenticating middleware). */
export function eventRoutes(p: Pick<AppServices, 'sessions'>, feed: EventFeed) {
  return new Hono<AuthEnv>().get(
    '/',
    responds(200, 'text/event-stream', { 403: 'the actor feed of every device needs an admin' }),
    validate('query', EventsQuery),
    (c) => {
      const q = c.req.valid('query');
      const who = c.var.principal;
      // A user may follow the stream actors of all their cameras at once (the live grid: one feed, not one per camera);
      // the feed sends them only their own devices' actors, as for device=.
      if (q.topic === 'actors' && !q.actor && who.role !== 'admin' && !q.device && q.type !== 'stream') {
        throw new DomainError('forbidden', 'the actor feed of every device needs an admin; give device=, actor= or type=stream');
      }
      (c.env as Server<unknown> | undefined)?.timeout?.(c.req.raw, 0); // a feed is idle between events by nature
      const enc = new TextEncoder();
      let ctrl!: ReadableStreamDefaultController<Uint8Array>;
      let closed = false;
      let disconnect = () => {};
      const pending = new Map<string, string>();
      let flushTimer: ReturnType<typeof setTimeout> | undefined;
      const write = (text: string) => {
        if (closed) return;
        ctrl.enqueue(enc.encode(text));
        if ((ctrl.desiredSize ?? 0) < 0) {
          ctrl.enqueue(enc.encode(sseFrame('reset', { reason: 'the console fell too far behind' })));
          close();
        }
      };
      const flush = () => {
        flushTimer = undefined;
        const frames = [...pending.values()].join('');
        pending.clear();
        write(frames);
      };
      // A user's session may end while the stream is open (signed out elsewhere, expired): each
      // heartbeat checks it, and ends the stream when it is gone (the page then finds itself signed out).
      const token = who.kind === 'user' ? (bearerOf(c.req.header('Authorization')) ?? getCookie(c, SESSION_COOKIE)) : undefined;
      const heartbeat = setInterval(() => {
        write(': heartbeat\n\n');
        if (token)
          p.sessions.resolve(token).then(
            (still) => still || close(),
            () => {},
          );
      }, SSE_HEARTBEAT_MS);
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        if (flushTimer) clearTimeout(flushTimer);
        disconnect();
        try {
          ctrl.close();
        } catch {
          // already closed by the client
        }
      };
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            ctrl = controller;
            controller.enqueue(enc.encode(`retry: ${SSE_RETRY_MS}\n\n`));
            disconnect = feed.connect(who, q, {
              send(event, data, key) {
                if (event === 'transition' || !key) return write(sseFrame(event, data));
                pending.delete(key); // keep the latest, in arrival order
                pending.set(key, sseFrame(event, data));
                flushTimer ??= setTimeout(flush, SSE_DEVICE_COALESCE_MS);
              },
            });
            // Subscribed: anything that happens from now on will be sent, so the page may load its snapshot.
            controller.enqueue(enc.encode(sseFrame('ready', { topic: q.topic, at: Date.now() })));
          },
          cancel: close,
        },
        { highWaterMark: SSE_BACKLOG_MAX_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
      );
      c.req.raw.signal.addEventListener('abort', close, { once: true });
      return new Response(body, {
        headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
      });
    },
  );
}
