/**
 * Device identity on the wire: Vs `macid`, the `Mac-Identity` header (9.2) and Vd `mac_id`.
 *
 * A MAC address is 12 hex digits, bare (`a0b1c2d3e4f5`), in six pairs separated by `:` or `-`
 * (one separator throughout), or in three dot-separated quads (`a0b1.c2d3.e4f5`), any case. Its
 * canonical form is the 12 digits in lower case with no separator. 9.2 also allows "similar
 * unique information" (OVC devices send a 16-digit decimal id): any other run of printable ASCII
 * without spaces, up to DEVICE_ID_MAX_CHARS, is an identity kept as sent. docs/protocol.md, "MAC addresses and device identities".
 * @module
 */
import { z } from 'zod';
import { DEVICE_ID_MAX_CHARS } from './constants.ts';
import { text } from './text.ts';

/** The 9.2 request header naming the device. */
export const MAC_IDENTITY_HEADER = 'Mac-Identity';

const MAC_BARE = /^[0-9a-f]{12}$/i;
const MAC_PAIRS = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const MAC_QUADS = /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i;
const SEPARATORS = /[:.-]/g;
const PRINTABLE_NO_SPACE = /^[\x21-\x7e]+$/;

/**
 * The canonical form of a MAC address (12 lower-case hex digits), or undefined if `text` is not one.
 * @example normalizeMac('A0:B1:C2:D3:E4:F5') // 'a0b1c2d3e4f5'
 */
export function normalizeMac(text: string): string | undefined {
  const trimmed = text.trim();
  const isMac = MAC_BARE.test(trimmed) || MAC_PAIRS.test(trimmed) || MAC_QUADS.test(trimmed);
  return isMac ? trimmed.replace(SEPARATORS, '').toLowerCase() : undefined;
}

/**
 * The canonical form of a device identity: a MAC normalised, any other printable id as sent, or
 * undefined when `text` is neither (empty, too long, spaces or control characters).
 * @example normalizeDeviceIdentity('2009550000011079') // '2009550000011079'
 */
export function normalizeDeviceIdentity(text: string): string | undefined {
  const mac = normalizeMac(text);
  if (mac !== undefined) return mac;
  const trimmed = text.trim();
  return trimmed.length <= DEVICE_ID_MAX_CHARS && PRINTABLE_NO_SPACE.test(trimmed) ? trimmed : undefined;
}

/** True when two identities name the same device once normalised. */
export function sameDevice(a: string, b: string): boolean {
  const left = normalizeDeviceIdentity(a);
  return left !== undefined && left === normalizeDeviceIdentity(b);
}

/**
 * Check the optional 9.2 `Mac-Identity` header against the identity in the request: an absent
 * header passes (NOTES 4: "must match when sent"), a present one must name the same device.
 */
export function checkMacIdentity(identity: string, header: string | null | undefined): { ok: true } | { ok: false; error: string } {
  if (header === null || header === undefined) return { ok: true };
  return sameDevice(identity, header) ? { ok: true } : { ok: false, error: `${MAC_IDENTITY_HEADER}: does not match the device identity` };
}

/** A device identity field: validated and normalised with normalizeDeviceIdentity. */
export const DeviceIdentity = text(DEVICE_ID_MAX_CHARS).transform((given, ctx) => {
  const identity = normalizeDeviceIdentity(given);
  if (identity !== undefined) return identity;
  ctx.issues.push({
    code: 'custom',
    message: `expected a MAC address or a device id of 1-${DEVICE_ID_MAX_CHARS} printable characters`,
    input: given,
  });
  return z.NEVER;
});
/** A normalised device identity. */
export type DeviceIdentity = z.infer<typeof DeviceIdentity>;
