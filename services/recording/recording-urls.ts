/**
 * Capability URLs of the segment storage, signed with the platform key instead of stored: the
 * single-use upload URL a Vr create hands out (`PUT /cs/up/<session>/<name>?e=&s=`) and the
 * playback URL of a confirmed segment in an HLS playlist (`GET /cs/seg/<session>/<name>?e=&s=`).
 * A signature binds the purpose, the segment and the expiry; single use is the segment actor's
 * state (an uploaded segment takes no second PUT). Nothing of it enters actor context.
 */
import { createHmac } from 'node:crypto';
import { sameString } from '../../lib/secrets.ts';

/** Path prefix of upload URLs (the CS's receiving side). */
export const CS_UPLOAD_PATH = '/cs/up';
/** Path prefix of signed segment playback URLs. */
export const CS_PLAYBACK_PATH = '/cs/seg';
/** Signature length in bytes (128 bits, base64url). */
const SIG_BYTES = 16;

/** What a signed URL is for. */
export type UrlPurpose = 'put' | 'get';

/** A segment name as the platform makes it: `<start ms>-<4+ random base36>.ts`. */
export const SEGMENT_NAME = /^(\d{1,16}-[0-9a-z]{4,12})\.ts$/;

/** The stem (name without `.ts`) of a well-formed segment name, or undefined. */
export function segmentStem(name: string): string | undefined {
  return SEGMENT_NAME.exec(name)?.[1];
}

function sign(key: Buffer, purpose: UrlPurpose, sessionId: string, name: string, expS: number, holder: string): string {
  return createHmac('sha256', key)
    .update(`h627 cs ${purpose}\0${sessionId}\0${name}\0${expS}\0${holder}`)
    .digest()
    .subarray(0, SIG_BYTES)
    .toString('base64url');
}

/**
 * A signed URL for `name` of session `sessionId`, valid until `expS` (epoch seconds). `holder` (playback URLs) names
 * who it was made for, a sign-in session's public id, in the URL (`a=`) and under the signature: the URL dies with it.
 * @example signedSegmentUrl(key, 'https://h:8443', 'put', 'AbC…', '1732615445123-k3x9.ts', 1732616045)
 */
export function signedSegmentUrl(key: Buffer, baseUrl: string, purpose: UrlPurpose, sessionId: string, name: string, expS: number, holder = ''): string {
  const path = purpose === 'put' ? CS_UPLOAD_PATH : CS_PLAYBACK_PATH;
  const a = holder ? `&a=${encodeURIComponent(holder)}` : '';
  return `${baseUrl}${path}/${sessionId}/${name}?e=${expS}${a}&s=${sign(key, purpose, sessionId, name, expS, holder)}`;
}

/**
 * The `e` of a URL made at `nowMs` to live `ttlS` seconds: rounded up to a whole epoch second, so it
 * lives at least `ttlS` (less than a second more), never less. (Rounded down, a 1 s upload URL made
 * late in a second was expired a few milliseconds later.)
 */
export function urlExpiryS(nowMs: number, ttlS: number): number {
  return Math.ceil(nowMs / 1000 + ttlS);
}

/** Check a signed URL's parts: `ok`, or why not (`forged` or `expired`). */
export function checkSegmentUrl(
  key: Buffer,
  purpose: UrlPurpose,
  sessionId: string,
  name: string,
  e: string | undefined,
  s: string | undefined,
  nowS: number,
  holder = '',
): 'ok' | 'forged' | 'expired' {
  if (!e || !s || !/^\d{1,12}$/.test(e)) return 'forged';
  const expS = Number(e);
  if (!sameString(sign(key, purpose, sessionId, name, expS, holder), s)) return 'forged';
  return expS < nowS ? 'expired' : 'ok';
}
