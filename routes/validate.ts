/**
 * Request validation: @hono/zod-validator with our problem JSON on failure (the message names
 * the field). Each validator carries its schema, so /api/openapi.json is generated from the
 * very schemas the routes validate with. Before any schema runs, the input is walked once for
 * text PostgreSQL cannot store (protocol/text.ts), so no route's schema can forget it; and one
 * middleware refuses such text in any URL at all ({@link refuseUnstorableUrl}).
 */
import { zValidator } from '@hono/zod-validator';
import type { Context, MiddlewareHandler, ValidationTargets } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { matchedRoutes } from 'hono/route';
import { formatPath, formatZodError } from '../protocol/errors.ts';
import { findUnstorable, isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../protocol/text.ts';
import { problem } from './problem.ts';

/** Symbol under which a validator middleware keeps its target and schema (read by the OpenAPI builder). */
export const VALIDATION_META = Symbol.for('h627.validation');

/** What a validator middleware records about itself. */
export interface ValidationMeta {
  target: keyof ValidationTargets;
  schema: z.ZodType;
}

/** Status of every validation failure. */
const BAD_REQUEST: ContentfulStatusCode = 400;

/** How a failure is answered: its one-line message and the field to blame. */
type Refuse = (c: Context, message: string, field: string | undefined) => Response;

function validator<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T, refuse: Refuse) {
  const mw = zValidator(
    target,
    schema,
    (result, c) => {
      if (!result.success) {
        const error = result.error as unknown as z.ZodError;
        const issue = error.issues[0];
        const field = issue ? issue.path.map(String).join('.') : undefined;
        return refuse(c, `${target}: ${formatZodError(error)}`, field || undefined);
      }
    },
    {
      validationFunction: (s, value) => {
        const unstorable = findUnstorable(value);
        if (unstorable) return { success: false, error: new z.ZodError([unstorable]) } as never;
        // reportInput lets the message say what came ("got …") rather than only what was expected.
        return (s as z.ZodType).safeParseAsync(value, { reportInput: true }) as never;
      },
    },
  );
  (mw as unknown as Record<symbol, ValidationMeta>)[VALIDATION_META] = { target, schema };
  return mw;
}

/**
 * Validate one part of the request with `schema`; a failure is a 400 problem naming the field
 * (`status` 403 for the parts of a capability URL: a malformed one is a forged one).
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T, status: ContentfulStatusCode = BAD_REQUEST) {
  return validator(target, schema, (c, message, field) => problem(c, status, message, field));
}

/**
 * Validate one part of a device-facing request (Vr, CS uploads, `/upload`, the live media socket):
 * a failure is a 400 `{"info": …}` naming the field, with the interface's reply `headers`
 * (`status` 403 for the parts of a capability URL: a malformed one is a forged one).
 * @example validateForDevice('param', VrChannelPath, VR_REPLY_HEADERS)
 */
export function validateForDevice<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
  headers: Record<string, string> = {},
  status: ContentfulStatusCode = BAD_REQUEST,
) {
  return validator(target, schema, (c, message) => c.json({ info: message }, status, headers));
}

/** Status of a malformed part of a signed URL: it cannot be one the platform signed. */
export const FORGED: ContentfulStatusCode = 403;

/** Percent-decodings applied to a URL before it is judged: a doubly encoded `%2500` is a NUL too. */
const URL_DECODE_ROUNDS = 3;
/** One percent-encoded byte, or a run of them (decoded together: UTF-8 spans several). */
const ENCODED_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/** Decode the percent-encoded runs of `text` that are valid UTF-8, leaving any other run as it is. */
function lenientDecode(text: string): string {
  return text.replace(ENCODED_RUN, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run; // not UTF-8 (an encoded lone surrogate among them): nothing decodes it to text
    }
  });
}

/** True when `raw`, decoded up to URL_DECODE_ROUNDS times, stays storable text. */
function storableWhenDecoded(raw: string): boolean {
  let text = raw;
  for (let round = 0; round < URL_DECODE_ROUNDS; round++) {
    if (!isStorableText(text)) return false;
    const decoded = lenientDecode(text);
    if (decoded === text) return true;
    text = decoded;
  }
  return isStorableText(text);
}

/** The name of a route pattern's segment when it is a parameter (`:id`, `:id{[0-9]+}`, `:id?`), else undefined. */
function paramName(segment: string | undefined): string | undefined {
  return segment?.startsWith(':') ? segment.slice(1).replace(/\{.*$/, '').replace(/\?$/, '') : undefined;
}

/** The field of `pathname` that decodes to unstorable text: `param.<name>` under a route's parameter, else `path`. */
function unstorablePathField(pathname: string, pattern: string): string | undefined {
  const segments = pathname.split('/');
  const i = segments.findIndex((segment) => !storableWhenDecoded(segment));
  if (i < 0) return undefined;
  const name = paramName(pattern.split('/')[i]);
  return name === undefined ? 'path' : formatPath([name], 'param');
}

/** The query parameter whose name or value decodes to unstorable text, as `query.<name>`. */
function unstorableQueryField(search: string): string | undefined {
  for (const pair of search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    if (!storableWhenDecoded(rawName)) return 'query';
    if (eq >= 0 && !storableWhenDecoded(pair.slice(eq + 1))) return formatPath([lenientDecode(rawName)], 'query');
  }
  return undefined;
}

/**
 * Refuse, with a 400, any request whose path or query decodes to text PostgreSQL cannot store (a
 * NUL, an unpaired surrogate), once or doubly encoded; bodies are left to their validators. Defence
 * in depth for a route that forgot its `validate('param', …)`; the message names the parameter as
 * the route's validator would (`param.id`, `query.login_code`). API paths get problem JSON, the
 * device-facing ones `{"info"}`.
 */
export const refuseUnstorableUrl: MiddlewareHandler = async (c, next) => {
  const url = c.req.url;
  // Nothing can hide in a URL without a percent sign: raw NULs and surrogates never reach here.
  if (!url.includes('%')) return next();
  const { pathname, search } = new URL(url);
  // The endpoint the request is for (middleware matches too, with patterns like `/api/devices/*`).
  const endpoint = matchedRoutes(c).find((r) => r.method !== 'ALL')?.path ?? '';
  const field = unstorablePathField(pathname, endpoint) ?? unstorableQueryField(search);
  if (field === undefined) return next();
  const message = `${field}: ${UNSTORABLE_TEXT_MESSAGE}`;
  const name = field.replace(/^(param|query)\.?/, '') || field;
  return c.req.path.startsWith('/api/') ? problem(c, BAD_REQUEST, message, name) : c.json({ info: message }, BAD_REQUEST);
};
