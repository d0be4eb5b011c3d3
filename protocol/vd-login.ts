/**
 * The Vd login: the query of the WebSocket URL `wss://host:port/Vd?login_code=…` (H.627.2 9.3.2.2,
 * Table 9-3). `login_passwd` is a secret: never log it or put it in actor context.
 * @module
 */
import { z } from 'zod';
import { NAME_MAX_CHARS } from './constants.ts';
import { parseWith, type Result } from './errors.ts';
import { PASSWORD_MAX_CHARS } from './api.ts';
import { DeviceId } from './paths.ts';
import { text } from './text.ts';
import type { QueryInput } from './vs.ts';

/** Path of the Vd WebSocket endpoint. */
export const VD_PATH = '/Vd'; // H.627.2 9.3.2.2

/** Shortest signed-login nonce, hex digits (the platform extension, docs/protocol.md "Signed login"). */
export const LOGIN_NONCE_MIN_HEX = 16;
/** Longest signed-login nonce, hex digits. */
export const LOGIN_NONCE_MAX_HEX = 64;
/** Hex digits of an HMAC-SHA256 signature. */
const SHA256_HEX = 64;
/** Most digits of `login_ts` (unix seconds; 12 reach year 33658). */
const LOGIN_TS_MAX_DIGITS = 12;
/** A required name of the login (models), at most NAME_MAX_CHARS. */
const Name = text(NAME_MAX_CHARS, 1);

/** Query of the Vd WebSocket URL (Table 9-3), plus the optional signed login of the platform. */
export const VdLoginQuery = z
  .object({
    /** Device id, validated like a file-safe name (docs/protocol.md "Ids and path parameters"). */
    login_code: DeviceId,
    /** Device password, checked against provisioning; absent when the signed login is used. */
    login_passwd: text(PASSWORD_MAX_CHARS, 1).optional(),
    /** Signed login (extension): unix seconds of the attempt. */
    login_ts: text(LOGIN_TS_MAX_DIGITS)
      .regex(new RegExp(`^\\d{1,${LOGIN_TS_MAX_DIGITS}}$`), 'expected unix seconds')
      .transform(Number)
      .optional(),
    /** Signed login: a random nonce, used once. */
    login_nonce: text(LOGIN_NONCE_MAX_HEX)
      .regex(new RegExp(`^[0-9a-fA-F]{${LOGIN_NONCE_MIN_HEX},${LOGIN_NONCE_MAX_HEX}}$`), `expected ${LOGIN_NONCE_MIN_HEX}-${LOGIN_NONCE_MAX_HEX} hex digits`)
      .optional(),
    /** Signed login: hex HMAC-SHA256(key = password, message = `login_code|login_ts|login_nonce`). */
    login_sig: text(SHA256_HEX)
      .regex(new RegExp(`^[0-9a-fA-F]{${SHA256_HEX}}$`), 'expected a hex HMAC-SHA256')
      .optional(),
    hardware_model: Name,
    firmware_model: Name,
    /** SDK version, when the device uses one. */
    sdk: text(NAME_MAX_CHARS).optional(),
    /** 0 first connection after start-up (default), 1 reconnection. */
    reconnect: z
      .enum(['0', '1'])
      .transform((flag): 0 | 1 => (flag === '1' ? 1 : 0))
      .default(0),
  })
  .superRefine((q, ctx) => {
    const signed = q.login_ts !== undefined || q.login_nonce !== undefined || q.login_sig !== undefined;
    if (signed && (q.login_ts === undefined || q.login_nonce === undefined || q.login_sig === undefined)) {
      // input left undefined: the message must never echo the query (it may hold a password).
      ctx.addIssue({ code: 'custom', path: ['login_sig'], message: 'a signed login needs login_ts, login_nonce and login_sig together', input: undefined });
    } else if (!signed && q.login_passwd === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['login_passwd'],
        message: 'expected a password, or a signed login (login_ts, login_nonce, login_sig)',
        input: undefined,
      });
    }
  });
/** A validated Vd login query. */
export type VdLoginQuery = z.infer<typeof VdLoginQuery>;

/** The Table 9-3 fields, in order, and the signed-login ones. */
const LOGIN_FIELDS = ['login_code', 'login_passwd', 'login_ts', 'login_nonce', 'login_sig', 'hardware_model', 'firmware_model', 'sdk', 'reconnect'] as const;

/**
 * Validate the query of a Vd WebSocket upgrade request; an empty value counts as absent.
 * @example parseVdLogin(new URL(req.url).searchParams)
 */
export function parseVdLogin(query: QueryInput): Result<VdLoginQuery> {
  const fields: Record<string, string | undefined> = {};
  for (const name of LOGIN_FIELDS) {
    const value = query instanceof URLSearchParams ? query.get(name) : query[name];
    fields[name] = value === null || value === '' ? undefined : value;
  }
  return parseWith(VdLoginQuery, fields, 'query');
}
