/**
 * The `hb_token` a device puts in its hibernation heartbeats (H.627.2 I.2.2: at most 16 characters). Derived, not
 * stored: an HMAC of the device id under the platform key, cut to 16 base64url characters (96 bits). No table, the
 * same on every node of a cluster (they share the key), and checked without a database read once the device is
 * known. Rotating the platform key changes every token; devices learn the new one at their next GetServerInfo.
 */
import { HB_TOKEN_MAX_CHARS } from '../../protocol/constants.ts';
import { hmac, sameString } from '../../lib/secrets.ts';

/** The HMAC's domain, so that no other keyed value of the platform can be replayed as a token. */
const HB_TOKEN_DOMAIN = 'h627 hb_token\0';

/**
 * The device's `hb_token`.
 * @example hbToken(key, 'cam-1') // 'Qm4x…' (16 characters)
 */
export function hbToken(key: Buffer, deviceId: string): string {
  return hmac(key, `${HB_TOKEN_DOMAIN}${deviceId}`).slice(0, HB_TOKEN_MAX_CHARS);
}

/** Whether `token` is the device's (constant time). */
export function isHbToken(key: Buffer, deviceId: string, token: string): boolean {
  return sameString(hbToken(key, deviceId), token);
}
