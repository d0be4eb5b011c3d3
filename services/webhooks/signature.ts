/**
 * The webhook signature (docs/webhooks.md): `X-H627-Signature: sha256=<hex HMAC-SHA256>` of `<timestamp>.<body>`
 * under the webhook's secret, with the timestamp (Unix seconds) in `X-H627-Timestamp`, so a receiver that checks
 * both (and refuses a timestamp older than a few minutes) refuses a replayed request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature. */
export const SIGNATURE_HEADER = 'X-H627-Signature';
/** The header carrying the signed timestamp, Unix seconds. */
export const TIMESTAMP_HEADER = 'X-H627-Timestamp';
/** A receiver should refuse a timestamp further than this from its clock (the docs' advice; the test's check). */
export const SIGNATURE_TOLERANCE_S = 300;

/** `sha256=<hex>` of `<timestamp>.<body>` under `secret`. */
export function sign(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** What a receiver does: the signature matches and the timestamp is recent. */
export function verify(secret: string, header: string | null, timestamp: string | null, body: string, nowS = Date.now() / 1000): boolean {
  if (!header || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowS - Number(timestamp)) > SIGNATURE_TOLERANCE_S) return false;
  const want = Buffer.from(sign(secret, Number(timestamp), body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
