/**
 * Which database failures mean "the database is unavailable, try again later", as opposed to "this
 * statement or its data is wrong". One classification for every caller: the group committer
 * (retry and keep the writes, never split and refuse them), the API and the device-facing routes
 * (503 with Retry-After), the Vd handlers (a 5xx `err`), `/healthz` and `/metrics`.
 *
 * Errors come from postgres.js (a `PostgresError` with the SQLSTATE in `code`, or a connection
 * error with a code such as `ECONNREFUSED` or `CONNECTION_CLOSED`), from PGlite (SQLSTATE in
 * `code`; "PGlite is closed" once closed), and wrapped by Drizzle (the driver's error in `cause`).
 */

/**
 * SQLSTATE classes in which every condition says the server cannot serve now, whatever the
 * statement (PostgreSQL, Appendix A): 08 connection exception, 28 invalid authorization (the
 * platform's own credentials refused: a configuration fault, not the request's), 53 insufficient
 * resources (53300 too many connections, disk full, out of memory), 57 operator intervention
 * (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57014 statement
 * cancelled or timed out), 58 system error (I/O).
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '28', '53', '57', '58']);

/** Single SQLSTATEs that say the same: 3D000 the database does not exist (dropped), 25006 a read-only server (a standby after failover). */
const UNAVAILABLE_SQLSTATES = new Set(['3D000', '25006']);

/**
 * 55000 (object not in prerequisite state) is what a database with `ALLOW_CONNECTIONS false`
 * answers a new connection; the class has other conditions that are the statement's fault, so only
 * this message counts (PostgreSQL's English text: the platform's connections do not set lc_messages).
 */
const NOT_PREREQUISITE_STATE = '55000';
const NOT_ACCEPTING_CONNECTIONS = /is not currently accepting connections/;

/** SQLSTATE classes of conflicts that the same statement may not meet again: 40 serialization failure, deadlock. */
const RETRY_SQLSTATE_CLASSES = new Set(['40']);

/** Driver and socket error codes of a connection lost, refused, or never made (postgres.js, Node and Bun sockets). */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** What PGlite throws once closed (the platform is stopping). */
const PGLITE_CLOSED = 'PGlite is closed';

/** Deepest `cause` chain followed (Drizzle wraps once; a little room for our own wrappers). */
const MAX_CAUSE_DEPTH = 5;

/** The database did not answer in time, or a commit could not be made within the platform's bound. */
export class DatabaseUnavailableError extends Error {
  constructor(message = 'the database is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** The error and its causes, outermost first. */
function* chain(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e !== null && e !== undefined && depth < MAX_CAUSE_DEPTH; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

function unavailableOne(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true;
  const code = (e as { code?: unknown }).code;
  const message = (e as { message?: unknown }).message;
  if (typeof code === 'string') {
    if (CONNECTION_ERROR_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) {
      if (UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_SQLSTATES.has(code)) return true;
      if (code === NOT_PREREQUISITE_STATE) return typeof message === 'string' && NOT_ACCEPTING_CONNECTIONS.test(message);
    }
  }
  return typeof message === 'string' && message.startsWith(PGLITE_CLOSED);
}

/** Whether `err` (or an error it wraps) says the database cannot be reached or cannot serve now. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) if (unavailableOne(e)) return true;
  return false;
}

/**
 * Whether the same statement should simply be tried again: the database is unavailable, or the
 * statement met a conflict (serialization failure, deadlock). Anything else is the statement's or
 * its data's fault.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return true;
  for (const e of chain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && RETRY_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
  }
  return false;
}

/**
 * A database error in one line for the platform's own log: the driver's code and words (the
 * innermost error that has a code), not Drizzle's wrapping, whose message carries the statement
 * and its parameters (token hashes, names…).
 */
export function dbErrorSummary(err: unknown): string {
  let found: string | undefined;
  for (const e of chain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') found = `${code}: ${String((e as { message?: unknown }).message ?? '')}`;
  }
  return found ?? (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/**
 * `work`, or a {@link DatabaseUnavailableError} once `ms` have passed without an answer (a
 * database behind a dead network answers nothing until the driver's own timeout, far later).
 */
export async function withinMs<T>(work: Promise<T>, ms: number, what = 'the database did not answer in time'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailableError(`${what} (${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
