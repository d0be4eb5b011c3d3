/**
 * What a route answers, declared beside it: `responds(200, DeviceStatusList, [404])` is a
 * middleware that does nothing at run time and carries {@link RESPONSE_META}, which the OpenAPI
 * builder (routes/openapi.ts) reads, as it reads each validator's schema. The success body is a
 * zod schema (protocol/api-responses.ts), a media type for a file, or null for no body; the errors
 * listed are those the handler itself can answer (a device not found, a conflict, the device's
 * refusal). The errors every route of a kind answers are added by the builder from what it
 * already knows: 400 with a validator, 401/403/429 with authentication, 413 with a body, 503 always.
 */
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';

/** Symbol under which `responds()` keeps what the route answers. */
export const RESPONSE_META = Symbol.for('h627.responses');

/** Statuses of a success. */
export type SuccessStatus = 200 | 201 | 202 | 204;
/** Statuses of the errors a handler itself answers. */
export type ErrorStatus = 400 | 403 | 404 | 409 | 413 | 429 | 502 | 504;

/** The body of an answer: a zod schema of its JSON, a media type (a file), or null (no body). */
export type Body = z.ZodType | string | null;

/** What a route answers. */
export interface ResponseMeta {
  status: SuccessStatus;
  body: Body;
  /** Errors the handler answers, each with its description or its own body schema. */
  errors: Partial<Record<ErrorStatus, string | z.ZodType>>;
}

/** Why each error a handler answers happens, unless the route says better. */
export const ERROR_DESCRIPTIONS: Record<ErrorStatus | 401 | 503, string> = {
  400: 'the request is not valid (the detail names the field)',
  401: 'no valid bearer token or session cookie',
  403: 'not allowed: not an admin, or a cookie request without the X-H627-CSRF header or from another origin',
  404: 'not found, or not yours (another user’s device is a 404)',
  409: 'conflicts with what exists',
  413: 'the body is larger than the API accepts',
  429: 'too many requests: wait for Retry-After seconds',
  502: 'the device refused or answered something invalid',
  504: 'the device did not answer in time',
  503: 'the database is unavailable, the device is offline or asleep, or the platform is stopping: retry after Retry-After seconds',
};

/**
 * Declare what a route answers (a no-op at run time).
 * @example .get('/:id', responds(200, DeviceStatus, [404]), validate('param', DevicePath), handler)
 */
export function responds(
  status: SuccessStatus,
  body: Body,
  errors: readonly ErrorStatus[] | Partial<Record<ErrorStatus, string | z.ZodType>> = [],
): MiddlewareHandler {
  const mw: MiddlewareHandler = (_c, next) => next();
  const listed = Array.isArray(errors) ? Object.fromEntries(errors.map((s) => [s, ERROR_DESCRIPTIONS[s as ErrorStatus]])) : errors;
  (mw as unknown as Record<symbol, ResponseMeta>)[RESPONSE_META] = { status, body, errors: listed };
  return mw;
}
