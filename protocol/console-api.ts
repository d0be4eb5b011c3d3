/**
 * Queries and bodies of the web console's own endpoints (docs/console.md): the live event feed,
 * the actor tools. The single source of their types and of their part of /api/openapi.json.
 * @module
 */
import { z } from 'zod'
import { DEVICE_ID_MAX_CHARS } from './constants.ts'

/** Longest actor id or actor type accepted in a filter. */
export const ACTOR_ID_MAX_CHARS = 256

/** A `0`/`1`/`true`/`false` query flag. */
const Flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true')

/**
 * `GET /api/events`: a server-sent event stream. `devices`: the status of every camera the caller
 * may see, as it changes. `actors`: committed actor transitions (one actor's, with `actor`, also
 * its unlogged changes and pending timers), filtered by type, device and parent.
 */
export const EventsQuery = z.object({
  topic: z.enum(['devices', 'actors']).default('devices'),
  /** One actor: its transitions (logged or not), context and pending timers. */
  actor: z.string().min(1).max(ACTOR_ID_MAX_CHARS).optional(),
  type: z.string().min(1).max(32).optional(),
  device: z.string().min(1).max(DEVICE_ID_MAX_CHARS).optional(),
  parent: z.string().min(1).max(ACTOR_ID_MAX_CHARS).optional(),
  /** Include each transition's full context (always on with `actor`). */
  context: Flag.optional(),
})
/** A live feed request. */
export type EventsQuery = z.infer<typeof EventsQuery>

/** `GET /api/machines/:type/:version/diagram.svg` path parameter `version`. */
export const MachineVersionParam = z.string().regex(/^\d{1,6}$/, 'expected a version number').transform(Number)
