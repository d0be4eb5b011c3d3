/**
 * `GET /api/openapi.json`: the CU and admin API described by OpenAPI 3.1, generated from the
 * running app itself. It walks the Hono app's routes (`app.routes`), reads each validator's zod
 * schema from {@link VALIDATION_META} (the very schema the route validates with) and each route's
 * answers from {@link RESPONSE_META} (`responds()` beside the route, with the response schemas of
 * protocol/api-responses.ts), and converts them with zod 4's `z.toJSONSchema` (requests on the
 * input side, answers on the output side); which routes need a signed-in caller or an admin comes
 * from the authenticating middlewares' {@link AUTH_META}. Nothing here lists routes or shapes by hand.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { AUTH_META, SESSION_COOKIE } from './auth.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { VALIDATION_META, type ValidationMeta } from './validate.ts';
import { Problem } from '../protocol/api-responses.ts';
import { ERROR_DESCRIPTIONS, RESPONSE_META, type ErrorStatus, type ResponseMeta } from './responses.ts';

/** The part of the app the document describes. */
export const OPENAPI_PREFIX = '/api/';
/** Under the prefix, but not the CU and admin API: the nodes' own interface, signed with the platform key (docs/cluster.md). */
export const OPENAPI_INTERNAL_PREFIXES: readonly string[] = ['/api/cluster/'];

type Json = Record<string, unknown>;
type RouteEntry = { path: string; method: string; handler: unknown };

/** `/api/devices/:id/rpc` → `/api/devices/{id}/rpc`, with the parameter names. */
export function openApiPath(honoPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = honoPath.replace(/:([A-Za-z_][\w]*)(\{[^}]*\})?\??/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

/** Whether a middleware registered at `pattern` (`/api/admin/*`, or a plain path) runs for `path`. */
function covers(pattern: string, path: string): boolean {
  if (pattern === path || pattern === '*' || pattern === '/*') return true;
  if (!pattern.endsWith('/*')) return false;
  const base = pattern.slice(0, -2);
  return path === base || path.startsWith(`${base}/`);
}

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  try {
    const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    delete s.$schema;
    return s;
  } catch (err) {
    return { description: `(schema not representable: ${err instanceof Error ? err.message : String(err)})` };
  }
}

function parametersOf(meta: ValidationMeta): Json[] {
  const where = meta.target === 'param' ? 'path' : meta.target;
  const s = jsonSchemaOf(meta.schema);
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) };
  });
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemAnswer = (description: string, schema: Json = problemRef): Json => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema } } });

/** What a route's own declaration and its chain say it answers. */
interface RouteFacts {
  validated: boolean;
  secured: boolean;
  admin: boolean;
  body: boolean;
  method: string;
}

/**
 * The responses of one operation: its declared success and errors (`responds()`), plus the errors
 * its chain answers whatever the handler does. Undeclared, the success is "undocumented" (the
 * test that every route declares it fails on that).
 */
function responsesOf(answers: ResponseMeta | undefined, f: RouteFacts): Json {
  const out: Record<string, Json> = {};
  if (!answers) out['2XX'] = { description: 'undocumented' };
  else if (answers.body === null) out[answers.status] = { description: 'done, no body' };
  else if (typeof answers.body === 'string') out[answers.status] = { description: 'the file', content: { [answers.body]: {} } };
  else {
    const schema = jsonSchemaOf(answers.body, 'output');
    out[answers.status] = { description: (schema.description as string | undefined) ?? 'done', content: { 'application/json': { schema } } };
  }
  const errors: Partial<Record<ErrorStatus | 401 | 503, string | z.ZodType>> = {};
  if (f.validated) errors[400] = ERROR_DESCRIPTIONS[400];
  if (f.secured) errors[401] = ERROR_DESCRIPTIONS[401];
  // requireAdmin, and the CSRF rule of cookie-authenticated state changes (routes/auth.ts checkCsrf).
  if (f.admin || (f.secured && f.method !== 'GET')) errors[403] = ERROR_DESCRIPTIONS[403];
  if (f.body) errors[413] = ERROR_DESCRIPTIONS[413];
  if (f.secured) errors[429] = 'too many requests from this user: wait for Retry-After seconds';
  Object.assign(errors, answers?.errors);
  errors[503] = ERROR_DESCRIPTIONS[503];
  for (const [status, d] of Object.entries(errors).sort(([a], [b]) => Number(a) - Number(b))) {
    out[status] = typeof d === 'string' ? problemAnswer(d) : problemAnswer(ERROR_DESCRIPTIONS[Number(status) as ErrorStatus], jsonSchemaOf(d!, 'output'));
  }
  return out;
}

/** Build the OpenAPI document of an app's `/api/` routes. */
export function buildOpenApi(app: Pick<Hono, 'routes'>, info: { title: string; version: string; description?: string }): Json {
  const routes = app.routes as RouteEntry[];
  const middleware = routes.filter((r) => r.method === 'ALL');
  const endpoints = new Map<string, RouteEntry[]>();
  for (const r of routes) {
    if (r.method === 'ALL' || !r.path.startsWith(OPENAPI_PREFIX) || r.path.includes('*')) continue;
    if (OPENAPI_INTERNAL_PREFIXES.some((prefix) => r.path.startsWith(prefix))) continue;
    const key = `${r.method} ${r.path}`;
    endpoints.set(key, [...(endpoints.get(key) ?? []), r]);
  }
  const paths: Record<string, Record<string, Json>> = {};
  const byPath = [...endpoints.values()].sort((a, b) => a[0]!.path.localeCompare(b[0]!.path) || a[0]!.method.localeCompare(b[0]!.method));
  for (const entries of byPath) {
    const [method, honoPath] = [entries[0]!.method, entries[0]!.path];
    const chain = [...middleware.filter((m) => covers(m.path, honoPath)), ...entries].map((e) => e.handler as Record<symbol, unknown>);
    const needs = chain.map((h) => h[AUTH_META]).filter(Boolean) as string[];
    const metas = chain.map((h) => h[VALIDATION_META]).filter(Boolean) as ValidationMeta[];
    const { path, params } = openApiPath(honoPath);
    const parameters: Json[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    let requestBody: Json | undefined;
    for (const m of metas) {
      if (m.target === 'json') requestBody = { required: true, content: { 'application/json': { schema: jsonSchemaOf(m.schema) } } };
      else if (m.target === 'form') requestBody = { required: true, content: { 'application/x-www-form-urlencoded': { schema: jsonSchemaOf(m.schema) } } };
      else
        for (const p of parametersOf(m)) {
          const i = parameters.findIndex((q) => q.name === p.name && q.in === p.in);
          if (i >= 0) parameters[i] = p;
          else parameters.push(p);
        }
    }
    const admin = needs.includes('admin');
    const secured = needs.length > 0;
    const segment = honoPath.slice(OPENAPI_PREFIX.length).split('/')[0] || 'api';
    const answers = chain.map((h) => h[RESPONSE_META]).find(Boolean) as ResponseMeta | undefined;
    const op: Json = {
      operationId: `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, ch?: string) => (ch ? ch.toUpperCase() : ''))}`,
      tags: [segment],
      ...(admin ? { description: 'Admins only.' } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      security: secured ? [{ bearer: [] }, { sessionCookie: [] }] : [],
      responses: responsesOf(answers, { validated: metas.length > 0, secured, admin, body: requestBody !== undefined, method }),
    };
    (paths[path] ??= {})[method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: jsonSchemaOf(Problem, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'the admin token, or a session token from POST /api/session' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: "the web console's session; state-changing requests also need the X-H627-CSRF header",
        },
      },
    },
  };
}

/** A handler serving the document of `app`, built on first use (after every route is mounted). */
export function openApiHandler(app: Pick<Hono, 'routes'>, info: { title: string; version: string; description?: string }) {
  let doc: string | undefined;
  return () => {
    doc ??= JSON.stringify(buildOpenApi(app, info));
    return new Response(doc, { headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' } });
  };
}
