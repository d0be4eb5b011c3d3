/**
 * The Vd login URL (H.627.2 9.3.2.2, Table 9-3), plain (`login_passwd`) or signed (the platform's
 * extension: `login_ts`, `login_nonce`, `login_sig` = hex HMAC-SHA256 keyed with the password
 * over `login_code|login_ts|login_nonce`, so the password never travels).
 * @module
 */
import { createHmac } from 'node:crypto';
import { VD_PATH } from '../protocol/index.ts';
import type { VdAddress } from './pu-client.machine.ts';

/** Bytes of randomness in a signed-login nonce (hex doubles it: 32 characters, over the 16 required). */
export const LOGIN_NONCE_BYTES = 16;

/** Who logs in, and how. */
export interface LoginFields {
  id: string;
  password: string;
  hardwareModel: string;
  firmwareModel: string;
  sdk: string;
  reconnect: 0 | 1;
  /** Signed login: device time in unix seconds and a fresh nonce; absent for a plain login. */
  signed?: { ts: number; nonce: string };
}

/** Hex HMAC-SHA256(key = password, message = `${login_code}|${login_ts}|${login_nonce}`). */
export function loginSignature(id: string, ts: number, nonce: string, password: string): string {
  return createHmac('sha256', password).update(`${id}|${ts}|${nonce}`).digest('hex');
}

/** A fresh nonce: LOGIN_NONCE_BYTES random bytes in hex, unique per attempt. */
export function loginNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(LOGIN_NONCE_BYTES))).toString('hex');
}

/**
 * The WebSocket URL to log in with. It holds the password (plain login) or a signature: never log it.
 * @example vdLoginUrl({ scheme: 'wss', host: 'h', port: 8443 }, fields) // 'wss://h:8443/Vd?login_code=…'
 */
export function vdLoginUrl(address: VdAddress, fields: LoginFields): string {
  const url = new URL(`${address.scheme}://${address.host}:${address.port}${VD_PATH}`);
  const q = url.searchParams;
  q.set('login_code', fields.id);
  if (fields.signed === undefined) {
    q.set('login_passwd', fields.password);
  } else {
    q.set('login_ts', String(fields.signed.ts));
    q.set('login_nonce', fields.signed.nonce);
    q.set('login_sig', loginSignature(fields.id, fields.signed.ts, fields.signed.nonce, fields.password));
  }
  q.set('hardware_model', fields.hardwareModel);
  q.set('firmware_model', fields.firmwareModel);
  q.set('sdk', fields.sdk);
  q.set('reconnect', String(fields.reconnect));
  return url.toString();
}
