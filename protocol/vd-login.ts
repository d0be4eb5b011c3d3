/**
 * The Vd login: the query of the WebSocket URL `wss://host:port/Vd?login_code=…` (H.627.2 9.3.2.2,
 * Table 9-3). `login_passwd` is a secret: never log it or put it in actor context.
 * @module
 */
import { z } from 'zod'
import { parseWith, type Result } from './errors.ts'
import type { QueryInput } from './vs.ts'

/** Path of the Vd WebSocket endpoint. */
export const VD_PATH = '/Vd' // H.627.2 9.3.2.2

/** Query of the Vd WebSocket URL (Table 9-3). */
export const VdLoginQuery = z.object({
  /** Device id. */
  login_code: z.string().min(1),
  /** Device password, checked against provisioning. */
  login_passwd: z.string().min(1),
  hardware_model: z.string().min(1),
  firmware_model: z.string().min(1),
  /** SDK version, when the device uses one. */
  sdk: z.string().optional(),
  /** 0 first connection after start-up (default), 1 reconnection. */
  reconnect: z
    .enum(['0', '1'])
    .transform((flag): 0 | 1 => (flag === '1' ? 1 : 0))
    .default(0),
})
/** A validated Vd login query. */
export type VdLoginQuery = z.infer<typeof VdLoginQuery>

/** The Table 9-3 fields, in order. */
const LOGIN_FIELDS = ['login_code', 'login_passwd', 'hardware_model', 'firmware_model', 'sdk', 'reconnect'] as const

/**
 * Validate the query of a Vd WebSocket upgrade request; an empty value counts as absent.
 * @example parseVdLogin(new URL(req.url).searchParams)
 */
export function parseVdLogin(query: QueryInput): Result<VdLoginQuery> {
  const fields: Record<string, string | undefined> = {}
  for (const name of LOGIN_FIELDS) {
    const value = query instanceof URLSearchParams ? query.get(name) : query[name]
    fields[name] = value === null || value === '' ? undefined : value
  }
  return parseWith(VdLoginQuery, fields, 'query')
}
