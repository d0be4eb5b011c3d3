/**
 * `GET /api/openapi.json`: the CU and admin API described by OpenAPI 3.1, generated from the
 * running app itself. It walks the Hono app's routes (`app.routes`), reads each validator's zod
 * schema from {@link VALIDATION_META} (the very schema the route validates with) and converts it
 * with zod 4's `z.toJSONSchema`; which routes need a signed-in caller or an admin comes from the
 * authenticating middlewares' {@link AUTH_META}. Nothing here lists routes or shapes by hand.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { AUTH_META, SESSION_COOKIE } from './auth.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { VALIDATION_META, type ValidationMeta } from './validate.ts';

/** The part of the app the document describes. */
export const OPENAPI_PREFIX = '/api/';

type Json = Record<string, unknown>;
type RouteEntry = { path: string; method: string; handler: unknown };

/** The problem JSON every error of the API is (routes/problem.ts). */
const PROBLEM_SCHEMA: Json = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'what was wrong, naming the field or the reason' },
    field: { type: 'string', description: 'the offending field, when one is to blame' },
  },
};

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

function jsonSchemaOf(schema: z.ZodType): Json {
  try {
    const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
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

/** Build the OpenAPI document of an app's `/api/` routes. */
export function buildOpenApi(app: Pick<Hono, 'routes'>, info: { title: string; version: string; description?: string }): Json {
  const routes = app.routes as RouteEntry[];
  const middleware = routes.filter((r) => r.method === 'ALL');
  const endpoints = new Map<string, RouteEntry[]>();
  for (const r of routes) {
    if (r.method === 'ALL' || !r.path.startsWith(OPENAPI_PREFIX) || r.path.includes('*')) continue;
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
    const problem = (d: string) => ({ description: d, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } });
    const op: Json = {
      operationId: `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, ch?: string) => (ch ? ch.toUpperCase() : ''))}`,
      tags: [segment],
      ...(admin ? { description: 'Admins only.' } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      security: secured ? [{ bearer: [] }, { sessionCookie: [] }] : [],
      responses: {
        '2XX': { description: 'done' },
        ...(metas.length ? { 400: problem('the request is not valid (the detail names the field)') } : {}),
        ...(secured ? { 401: problem('no valid bearer token or session cookie') } : {}),
        ...(admin ? { 403: problem('not an admin') } : {}),
        default: problem('an error, as problem JSON'),
      },
    };
    (paths[path] ??= {})[method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
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
