/**
 * Every validator the platform's HTTP routes use, found the way /api/openapi.json finds them: by
 * building the app (on stand-in services whose every member is a no-op) and reading the schema
 * each `validate(…)` middleware carries. A route added later is found without being listed.
 */
import type { z } from 'zod';
import { type AppServices, buildApp } from '../../routes/app.ts';
import { VALIDATION_META, type ValidationMeta } from '../../routes/validate.ts';

/** One route of the app and what it validates. */
export type RouteValidator = { method: string; path: string; target: ValidationMeta['target']; schema: z.ZodType };
/** One route of the app, with the targets it validates. */
export type AppRoute = { method: string; path: string; targets: Array<ValidationMeta['target']> };

/** A value every property read, call and construction of which yields another such value (services no test calls). */
export function standIn(): unknown {
  const target = () => {};
  return new Proxy(target, {
    get: (_t, key) => (key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : standIn()),
    apply: () => standIn(),
    construct: () => standIn() as object,
  });
}

type RouteEntry = { method: string; path: string; handler: Record<symbol, unknown> };

let cached: RouteEntry[] | undefined;
function routes(): RouteEntry[] {
  cached ??= buildApp(standIn() as AppServices).routes as unknown as RouteEntry[];
  return cached;
}

/** Every (route, target, schema) the app validates. */
export function routeValidators(): RouteValidator[] {
  return routes().flatMap((r) => {
    const meta = r.handler[VALIDATION_META] as ValidationMeta | undefined;
    return meta ? [{ method: r.method, path: r.path, target: meta.target, schema: meta.schema }] : [];
  });
}

/** Every route of the app (middleware excluded), with the targets its validators check. */
export function appRoutes(): AppRoute[] {
  const byKey = new Map<string, AppRoute>();
  for (const r of routes()) {
    if (r.method === 'ALL') continue;
    const key = `${r.method} ${r.path}`;
    const route = byKey.get(key) ?? { method: r.method, path: r.path, targets: [] };
    const meta = r.handler[VALIDATION_META] as ValidationMeta | undefined;
    if (meta) route.targets.push(meta.target);
    byKey.set(key, route);
  }
  return [...byKey.values()];
}

/** The parameter names of a Hono path (`/a/:id/b/:ch` → `['id', 'ch']`). */
export function paramNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]!);
}
