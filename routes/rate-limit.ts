/**
 * Per-address rate limits for endpoints anyone may call (Vs): a token bucket per client address (lib/token-bucket.ts);
 * over budget the endpoint answers 429 with `Retry-After` in its own error shape.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { KeyedBuckets, type Budget } from '../lib/token-bucket.ts';
import { clientIp } from './client-ip.ts';

/** The client address of a request as Bun saw it ('unknown' without one). */
export function clientAddress(c: Context): string {
  return clientIp(c) ?? 'unknown';
}

/**
 * Limit requests per client address to `budget`; `refuse` renders the 429 (given the seconds to wait).
 * @example app.use(VS_PATH, perAddress(VS_ADDRESS_BUDGET, (c, s) => c.json({ info: '…' }, 429, { 'Retry-After': String(s) })))
 */
export function perAddress(budget: Budget, refuse: (c: Context, retryAfterS: number) => Response): MiddlewareHandler {
  const buckets = new KeyedBuckets(budget);
  return async (c, next) => {
    const b = buckets.of(clientAddress(c));
    if (!b.take()) return refuse(c, Math.max(1, Math.ceil(b.waitMs() / 1000)));
    await next();
  };
}
