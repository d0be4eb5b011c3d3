/**
 * The Vs target: `GET /Vs/getServerAddr` with mutated `macid` and `Mac-Identity`, from one of a
 * few hundred loopback addresses or 127.0.0.1 (where the per-address limit bites).
 */
import fc from 'fast-check';
import { loopbackSource, SOURCES, type HttpSpec } from './http.ts';
import { fuzzHttp } from './http-judge.ts';
import { HOSTILE_KEYS, hostileValue } from './hostile.ts';
import { deref, InputStream, Ref } from './values.ts';
import { headerSafe } from './vr-target.ts';
import { going, type World } from './world.ts';

/** One Vs query. */
export interface VsInput {
  macid: unknown;
  header: unknown;
  extra: [string, unknown][];
  path: number;
  source: number;
}

/** Vs queries: a provisioned camera's MAC in any notation or its id, or hostile; the header the same, absent, or another's. */
export function vsInputs(marker: string): fc.Arbitrary<VsInput> {
  const identity = fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((n) => new Ref('mac', n)) },
    { weight: 2, arbitrary: fc.nat().map((n) => new Ref('deviceId', n)) },
    { weight: 5, arbitrary: hostileValue(marker) },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );
  return fc.record({
    macid: identity,
    header: identity,
    extra: fc.array(fc.tuple(fc.constantFrom('macid', 'MACID', 'mac_id', ...HOSTILE_KEYS), hostileValue(marker)), { maxLength: 2 }),
    path: fc.nat(19),
    source: fc.nat(),
  });
}

/** Vs paths: the right one mostly, and near misses. */
const VS_PATHS = [
  ['Vs', 'getServerAddr'],
  ['Vs', 'getServerAddr', ''],
  ['Vs', 'getserveraddr'],
  ['Vs', '..', 'Vs', 'getServerAddr'],
  ['vs', 'getServerAddr'],
];

/** The HTTP request of a Vs input (from one of a few hundred loopback addresses, or 127.0.0.1, where the per-address limit bites). */
export function vsSpec(w: World, v: VsInput): HttpSpec {
  const val = (x: unknown) => (x instanceof Ref ? deref(w.pools, x) : x);
  const query: unknown[] = [];
  if (v.macid !== undefined) query.push(['macid', val(v.macid)]);
  query.push(...v.extra);
  const headers: Record<string, string> = {};
  if (v.header !== undefined) headers['Mac-Identity'] = headerSafe(val(v.header));
  const path = v.path < 16 ? VS_PATHS[0]! : VS_PATHS[v.path - 15]!;
  return {
    target: 'vs',
    route: 'GET /Vs/getServerAddr',
    method: 'GET',
    path,
    query,
    headers,
    ...(v.source % 5 === 0 ? {} : { source: loopbackSource(SOURCES.vs, v.source) }),
  };
}

/** Send `quota` Vs queries. */
export async function runVs(w: World, quota: number, deadline: number, workers = 12): Promise<void> {
  const stream = new InputStream('vs', vsInputs(w.marker), w.seed);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (going(w, stream.next, quota, deadline)) await fuzzHttp(w, vsSpec(w, stream.take().value));
    }),
  );
}
