/**
 * Queries and bodies of the web console's own endpoints (docs/console.md): the live event feed,
 * the actor tools. The single source of their types and of their part of /api/openapi.json.
 * @module
 */
import { z } from 'zod';
import { ACTOR_ID_MAX_CHARS, DEVICE_ID_MAX_CHARS } from './constants.ts';
import { ACTOR_TYPE_MAX_CHARS } from './paths.ts';
import { text } from './text.ts';

/** A `0`/`1`/`true`/`false` query flag. */
const Flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/**
 * `GET /api/events`: a server-sent event stream. `devices`: the status of every camera the caller
 * may see, as it changes. `actors`: committed actor transitions (one actor's, with `actor`, also
 * its unlogged changes and pending timers), filtered by type, device and parent.
 */
export const EventsQuery = z.object({
  topic: z.enum(['devices', 'actors']).default('devices'),
  /** One actor: its transitions (logged or not), context and pending timers. */
  actor: text(ACTOR_ID_MAX_CHARS, 1).optional(),
  type: text(ACTOR_TYPE_MAX_CHARS, 1).optional(),
  device: text(DEVICE_ID_MAX_CHARS, 1).optional(),
  parent: text(ACTOR_ID_MAX_CHARS, 1).optional(),
  /** Include each transition's full context (always on with `actor`). */
  context: Flag.optional(),
});
/** A live feed request. */
export type EventsQuery = z.infer<typeof EventsQuery>;
