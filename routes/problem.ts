/**
 * The API's one error shape: RFC 9457 problem JSON `{type, title, status, detail, field?}`,
 * built here and nowhere else. Handlers throw {@link ApiError}; `onError` renders it.
 */
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../lib/log.ts';
import { dbErrorSummary, DomainError, type DomainErrorKind, isDatabaseUnavailable } from '../services/errors.ts';
import { RoleRequiredError } from '../services/devices/access.ts';
import { ActorElsewhereError, ActorNotFoundError, HostStoppedError } from '../actors/host/errors.ts';

/** Media type of problem responses. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * `Retry-After` of every 503, on every interface (platform's choice): a database that went away
 * usually comes back within seconds (a restart, a failover), and callers that retry sooner only
 * add load to one that is coming back.
 */
export const UNAVAILABLE_RETRY_AFTER_S = 5;
/** The headers of a 503 answer. */
export const UNAVAILABLE_HEADERS: Readonly<Record<string, string>> = { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) };
/** What a caller is told while the database is unavailable (never the driver's words: they may carry SQL). */
export const DB_UNAVAILABLE_DETAIL = 'the database is unavailable; try again later';
/** The same for devices, in their `{"info"}` answers (Vs, Vr, uploads, Vd login). */
export const DB_UNAVAILABLE_INFO = 'service temporarily unavailable (database unreachable); try again later';

/** An error the API reports to the caller as problem JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status of each domain error kind. */
export const STATUS_OF_KIND: Record<DomainErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'rate-limited': 429,
  upstream: 502,
  unavailable: 503,
  timeout: 504,
};

/** Standard titles by status. */
const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A problem JSON response. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  field?: string,
  headers?: Record<string, string>,
  extra?: Record<string, unknown>,
): Response {
  const body = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...(field ? { field } : {}), ...extra };
  return c.body(JSON.stringify(body), status, { 'Content-Type': PROBLEM_CONTENT_TYPE, ...(status === 503 ? UNAVAILABLE_HEADERS : {}), ...headers });
}

/** A device-facing `{"info"}` answer for an error the database's absence caused, or undefined for any other error. */
export function unavailableInfo(c: Context, err: unknown, headers: Record<string, string> = {}): Response | undefined {
  if (!isDatabaseUnavailable(err)) return undefined;
  return c.json({ info: DB_UNAVAILABLE_INFO }, 503, { ...headers, ...UNAVAILABLE_HEADERS });
}

/**
 * `onError` of a device-facing sub-app (Vs, the Vd login): an error the database's absence caused
 * becomes a 503 `{"info"}` with Retry-After; any other goes on to the app's handler.
 */
export const deviceUnavailableHandler: ErrorHandler = (err, c) => {
  const unavailable = unavailableInfo(c, err);
  if (unavailable) return unavailable;
  throw err;
};

/** The app's error handler: ApiError and HTTPException as given, anything else as a logged 500. */
export function problemHandler(log: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) return problem(c, err.status, err.message, err.field);
    // A role too small for the request: the problem names the role needed and the caller's (services/devices/access.ts).
    if (err instanceof RoleRequiredError) return problem(c, 403, err.message, undefined, undefined, { required_role: err.required, role: err.role });
    if (err instanceof DomainError) {
      return problem(c, STATUS_OF_KIND[err.kind], err.message, err.field, err.retryAfterS ? { 'Retry-After': String(err.retryAfterS) } : undefined);
    }
    if (err instanceof ActorNotFoundError) return problem(c, 404, err.message);
    if (err instanceof HostStoppedError) return problem(c, 503, err.message);
    // The device moved to another node between the lookup and the dispatch: asked again, the request is forwarded there.
    if (err instanceof ActorElsewhereError) return problem(c, 503, 'the device moved to another node: retry');
    if (isDatabaseUnavailable(err)) {
      log.warn({ path: c.req.path, err: dbErrorSummary(err) }, 'database unavailable');
      return problem(c, 503, DB_UNAVAILABLE_DETAIL);
    }
    if (err instanceof HTTPException) {
      const res = err.getResponse();
      return problem(c, err.status as ContentfulStatusCode, err.message || res.statusText || 'request refused');
    }
    log.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err), path: c.req.path }, 'unhandled error in route');
    return problem(c, 500, 'internal error');
  };
}
