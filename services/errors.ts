/** Domain errors of the platform's services; each interface renders them in its own shape. */

/** What went wrong, independent of HTTP. */
export type DomainErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'rate-limited' | 'unavailable' | 'timeout' | 'upstream';

/** A refusal a caller can act on, with the field it concerns when there is one. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly field?: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The SQLSTATE and constraint of a database error (drizzle wraps driver errors in `cause`). */
export function sqlErrorOf(err: unknown): { code?: string; constraint?: string } {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const o = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code)) {
      const constraint = typeof o.constraint_name === 'string' ? o.constraint_name : typeof o.constraint === 'string' ? o.constraint : undefined;
      return { code: o.code, constraint };
    }
  }
  return {};
}

/** SQLSTATE of a unique-constraint violation. */
export const UNIQUE_VIOLATION = '23505';

/**
 * Whether a failure is the database being unavailable (the routes answer 503 with Retry-After), and a log line's
 * summary of one: db/errors.ts's one classification, offered here to the routes, which import nothing from db/.
 */
export { dbErrorSummary, isDatabaseUnavailable } from '../db/errors.ts';
