/**
 * The platform key ($DATA_DIR/secret-key, made once) and what is derived from it: keyed password
 * verifiers for fast device logins, encrypted device secrets for the signed login, signed URLs.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from './config.ts';

/** Bytes of the platform key. */
export const PLATFORM_KEY_BYTES = 32;
/** AES-GCM nonce and tag sizes (NIST SP 800-38D). */
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

/**
 * Load the platform key from `file` (PLATFORM_KEY_FILE, by default $DATA_DIR/secret-key), creating it (mode 0600)
 * at first start. Created exclusively: of two nodes starting at once on a shared file, one writes it and both use it.
 */
export function loadPlatformKey(file: string): Buffer {
  if (!existsSync(file)) {
    try {
      writeFileSync(file, `${randomBytes(PLATFORM_KEY_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (key.length !== PLATFORM_KEY_BYTES) throw new ConfigError(`invalid PLATFORM_KEY_FILE: ${file} must hold ${PLATFORM_KEY_BYTES} bytes, base64url`);
  return key;
}

/** HMAC-SHA256 of `message` under `key`, base64url. */
export function hmac(key: Buffer | string, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

/** Constant-time equality of two strings. */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The keyed verifier of a device password (compared at login instead of argon2id). */
export function passwordVerifier(key: Buffer, password: string): string {
  return hmac(key, `h627 device password\0${password}`);
}

/** Encrypt a secret under the platform key (AES-256-GCM), as `iv.tag.ciphertext` in base64url. */
export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(GCM_IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return [iv, c.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** Decrypt what {@link encryptSecret} made; throws if it was tampered with. */
export function decryptSecret(key: Buffer, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !body || iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) throw new Error('malformed sealed secret');
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(body), d.final()]).toString('utf8');
}

/** A random URL-safe token of `bytes` random bytes. */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
