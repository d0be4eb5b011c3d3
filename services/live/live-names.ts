/** Small helpers of the live service: who owns a viewer, the host in a URL, a stream passphrase. */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../users/principal.ts';

/** Characters of a generated SRT passphrase (libsrt accepts 10–79). */
export const PASSPHRASE_CHARS = 32;

/** The owner a viewer counts against (a user, or the admin token). */
export function ownerOf(who: Principal): string {
  return who.kind === 'user' ? `user:${who.userId}` : 'admin-token';
}

/** A host as written in a URL (IPv6 in brackets). */
export function hostOf(publicHost: string): string {
  return publicHost.includes(':') ? `[${publicHost}]` : publicHost;
}

/** A random SRT passphrase. */
export function passphraseOf(): string {
  return randomBytes(PASSPHRASE_CHARS).toString('base64url').slice(0, PASSPHRASE_CHARS);
}
