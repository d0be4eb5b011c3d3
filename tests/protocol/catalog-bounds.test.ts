/**
 * Structure of the catalog, so that the next schema cannot forget a bound: every string of every
 * exported schema (and of every schema a route validates with) has a maximum length and refuses
 * text PostgreSQL cannot store; every number has a minimum and a maximum; every array a maximum
 * length; free JSON (`z.unknown()`) appears only inside the open documents; every route with a
 * path parameter validates it.
 */
import { describe, expect, it } from 'bun:test';
import type { z } from 'zod';
import * as api from '../../protocol/api.ts';
import * as consoleApi from '../../protocol/console-api.ts';
import * as catalog from '../../protocol/index.ts';
import * as recordingApi from '../../protocol/recording-api.ts';
import { isStorableText } from '../../protocol/text.ts';
import { appRoutes, paramNames, routeValidators } from '../helpers/route-schemas.ts';
import { checksOf, defOf, numberBounds, stringBounds } from '../helpers/zod-schema.ts';

/** Every zod schema a module exports, by name. */
function schemasOf(module: Record<string, unknown>): Array<[string, z.ZodType]> {
  return Object.entries(module).filter((e): e is [string, z.ZodType] => typeof e[1] === 'object' && e[1] !== null && '_zod' in e[1]);
}

/** Every exported schema of the catalog, and every schema a route validates with. */
function allSchemas(): Array<[string, z.ZodType]> {
  const found = new Map<z.ZodType, string>();
  for (const [name, s] of [...schemasOf(catalog), ...schemasOf(api), ...schemasOf(consoleApi), ...schemasOf(recordingApi)])
    if (!found.has(s)) found.set(s, name);
  for (const v of routeValidators()) if (!found.has(v.schema)) found.set(v.schema, `${v.method} ${v.path} ${v.target}`);
  return [...found].map(([s, name]) => [name, s]);
}

/** Where free JSON may appear: as the values of a record, or the unknown fields of an open object. */
type Place = 'value' | 'record value' | 'catchall';

/** Every unbounded or unsafe node under `schema`, as `path: what is wrong`. */
function faults(schema: z.ZodType, path: string, place: Place = 'value', seen = new Set<z.ZodType>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = defOf(schema);
  const down = (child: unknown, at: string, where: Place = 'value') => faults(child as z.ZodType, at, where, seen);
  switch (def.type) {
    case 'string': {
      const { max } = stringBounds(schema);
      const storable = checksOf(schema).some((c) => c.check === 'custom' && c.fn === isStorableText);
      return [
        ...(Number.isFinite(max) ? [] : [`${path}: a string without a maximum length (use text(max))`]),
        ...(storable ? [] : [`${path}: a string that does not refuse NUL and lone surrogates (use text(max))`]),
      ];
    }
    case 'number': {
      const b = numberBounds(schema);
      return b.explicitMin && b.explicitMax ? [] : [`${path}: a number without ${b.explicitMin ? 'a maximum' : 'a minimum'}`];
    }
    case 'array': {
      const { max } = stringBounds(schema);
      return [...(Number.isFinite(max) ? [] : [`${path}: an array without a maximum length`]), ...down(def.element, `${path}[]`)];
    }
    case 'unknown':
      return place === 'value' ? [`${path}: free JSON outside an open document`] : [];
    case 'any':
      return [`${path}: z.any()`];
    case 'object': {
      const fields = Object.entries(def.shape as Record<string, unknown>).flatMap(([k, v]) => down(v, `${path}.${k}`));
      return def.catchall ? [...fields, ...down(def.catchall, `${path}.*`, 'catchall')] : fields;
    }
    case 'record':
      return [...down(def.keyType, `${path}{key}`), ...down(def.valueType, `${path}{}`, 'record value')];
    case 'tuple':
      return [
        ...(def.items as unknown[]).flatMap((item, i) => down(item, `${path}[${i}]`)),
        ...(def.rest ? [`${path}[…]: a tuple with a rest element (unbounded)`] : []),
      ];
    case 'union':
      return (def.options as unknown[]).flatMap((o, i) => down(o, `${path}|${i}`));
    case 'pipe':
      return [...down(def.in, path, place), ...down(def.out, path, place)];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return down(def.innerType, path, place);
    case 'boolean':
    case 'literal':
    case 'enum':
    case 'null':
    case 'never':
    case 'transform':
      return [];
    default:
      return [`${path}: a ${def.type} schema the bounds test does not know`];
  }
}

describe('the catalog bounds everything', () => {
  const schemas = allSchemas();

  it('finds the schemas it checks: the Vd messages, Vr, Vs, the login and every route validator', () => {
    const names = schemas.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining([
        'KeepaliveParams',
        'VrRequest',
        'VsGetServerAddrQuery',
        'VdLoginQuery',
        'ProvisionDevice',
        'RangeQuery',
        'EventsQuery',
        'DevicePath',
      ]),
    );
    expect(schemas.length).toBeGreaterThan(100);
  });

  for (const [name, schema] of schemas) {
    it(`${name}: every string, number and array is bounded, every string storable`, () => {
      expect(faults(schema, name)).toEqual([]);
    });
  }

  it('knows unbounded schemas when it sees them (the test itself works)', async () => {
    const { z } = await import('zod');
    const sloppy = z.object({ a: z.string(), n: z.int().min(0), list: z.array(z.int().min(0).max(1)), free: z.unknown() });
    expect(faults(sloppy, 'sloppy')).toEqual([
      'sloppy.a: a string without a maximum length (use text(max))',
      'sloppy.a: a string that does not refuse NUL and lone surrogates (use text(max))',
      'sloppy.n: a number without a maximum',
      'sloppy.list: an array without a maximum length',
      'sloppy.free: free JSON outside an open document',
    ]);
  });
});

describe('every route validates its path parameters', () => {
  for (const route of appRoutes().filter((r) => paramNames(r.path).length > 0)) {
    it(`${route.method} ${route.path}`, () => {
      expect(route.targets).toContain('param');
    });
  }
});
