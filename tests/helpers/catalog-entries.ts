/**
 * Every schema of the catalog with the way its input travels and is parsed on arrival: Vs and
 * the Vd login (URL query), the 32 Vd messages' params and the 22 RPC answers (JSON frames), the
 * five Vr ops (form bodies), every API body, query and path the routes validate (through the
 * API's own validator, found from the app), and the answers devices read (Vs, Vr). Property tests
 * iterate this list.
 */
import { Hono } from 'hono';
import type { z } from 'zod';
import { parseWith, type Result } from '../../protocol/errors.ts';
import { parseVdFrame } from '../../protocol/vd-frame.ts';
import { parseVdLogin, VdLoginQuery } from '../../protocol/vd-login.ts';
import { VD_NAMES, vd, validateVdParams, validateVdResp, type VdEntry } from '../../protocol/vd.ts';
import { LogUploadAsyncCallParams, SnapshotCallParams } from '../../protocol/api.ts';
import {
  parseVrForm,
  VR_OPS,
  VrCreate,
  VrCreateResp,
  VrCurrentTimeResp,
  VrFail,
  VrFailure,
  VrGetCurrentTime,
  VrOkResp,
  VrSave,
  VrStat,
} from '../../protocol/vr.ts';
import { parseVsGetServerAddr, VsFailure, VsGetServerAddrQuery, VsGetServerAddrResp } from '../../protocol/vs.ts';
import { validate } from '../../routes/validate.ts';
import type { Wire } from './zod-arbitrary.ts';
import { paramNames, routeValidators } from './route-schemas.ts';

/** What parsing an input gave: the JSON of the value, or the one-line error. */
export type Outcome = { ok: true; json: string } | { ok: false; error: string };

/** One schema of the catalog and how its input arrives. */
export type CatalogEntry = {
  /** e.g. `Vd Keepalive params`, `API POST /api/admin/devices json`. */
  name: string;
  schema: z.ZodType;
  wire: Wire;
  /** Whether unknown keys of the input reach validation (false where only named fields are read). */
  keys: boolean;
  /** Root of the field paths in errors (`params`, `query`, '' …). */
  root: string;
  /** The input encoded as on the wire, then parsed as the platform parses it. */
  viaWire(input: unknown): Promise<Outcome>;
  /** The input as given, through the catalog's own parse (the walk, then the schema). */
  direct(input: unknown): Outcome;
};

const outcome = (r: Result<unknown>): Outcome => (r.ok ? { ok: true, json: JSON.stringify(r.value ?? null) } : { ok: false, error: r.error });
/** A JSON value as it arrives after the wire (undefined fields gone, lone surrogates kept as escapes). */
const overJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
/** A record's present values as text (absent and `undefined` fields left out). */
function textRecord(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((input ?? {}) as Record<string, unknown>)) if (v !== undefined) out[k] = String(v);
  return out;
}
/** A record as `application/x-www-form-urlencoded` (and a URL query) encodes it. */
const urlEncoded = (input: unknown) => new URLSearchParams(textRecord(input)).toString();
/** What a form or query with empty values means: those fields are absent. */
function withoutEmpty(input: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(textRecord(input)).filter(([, v]) => v !== ''));
}

function vdEntries(): CatalogEntry[] {
  return VD_NAMES.flatMap((name) => {
    const entry: VdEntry = vd[name];
    const params: CatalogEntry = {
      name: `Vd ${name} params`,
      schema: entry.params,
      wire: 'json',
      keys: true,
      root: 'params',
      async viaWire(input) {
        const frame = parseVdFrame(JSON.stringify(entry.kind === 'rpc' ? { req: name, params: input, seq: 1 } : { event: name, params: input }));
        if (frame.kind !== 'request' && frame.kind !== 'event') return outcome(validateVdParams(name, overJson(input)));
        return outcome(validateVdParams(name, frame.params));
      },
      direct: (input) => outcome(validateVdParams(name, input)),
    };
    if (entry.kind !== 'rpc') return [params];
    const resp: CatalogEntry = {
      name: `Vd ${name} resp`,
      schema: entry.resp,
      wire: 'json',
      keys: true,
      root: 'resp',
      async viaWire(input) {
        const frame = parseVdFrame(JSON.stringify({ seq: 1, resp: input ?? {} }));
        return frame.kind === 'response' ? outcome(validateVdResp(name, frame.resp)) : { ok: false, error: `frame: ${frame.kind}` };
      },
      direct: (input) => outcome(validateVdResp(name, input ?? {})),
    };
    return [params, resp];
  });
}

function deviceQueryEntries(): CatalogEntry[] {
  const vs: CatalogEntry = {
    name: 'Vs getServerAddr query',
    schema: VsGetServerAddrQuery,
    wire: 'text',
    keys: false,
    root: 'query',
    viaWire: async (input) => outcome(parseVsGetServerAddr(new URLSearchParams(urlEncoded(input)))),
    direct: (input) => outcome(parseWith(VsGetServerAddrQuery, { macid: textRecord(input).macid }, 'query')),
  };
  const login: CatalogEntry = {
    name: 'Vd login query',
    schema: VdLoginQuery,
    wire: 'text',
    keys: false,
    root: 'query',
    viaWire: async (input) => outcome(parseVdLogin(new URLSearchParams(urlEncoded(input)))),
    direct: (input) => outcome(parseWith(VdLoginQuery, withoutEmpty(input), 'query')),
  };
  return [vs, login];
}

function vrEntries(): CatalogEntry[] {
  const schemas = { create: VrCreate, save: VrSave, fail: VrFail, getcurrenttime: VrGetCurrentTime, stat: VrStat };
  return VR_OPS.map((op) => ({
    name: `Vr ${op}`,
    schema: schemas[op],
    wire: 'text',
    keys: true,
    root: '',
    viaWire: async (input: unknown) => outcome(parseVrForm(urlEncoded(input))),
    // The op's own schema, on the fields as given (parseVrForm's reading rules aside).
    direct: (input: unknown) => outcome(parseWith(schemas[op], withoutEmpty(input))),
  }));
}

/** Status of a validation failure. */
const BAD_REQUEST = 400;

/** One API validator, driven through a one-route app that validates exactly as the real route does. */
function apiEntry(method: string, path: string, target: 'json' | 'query' | 'param', schema: z.ZodType): CatalogEntry {
  const names = paramNames(path);
  const route = target === 'param' ? `/t/${names.map((n) => `:${n}`).join('/')}` : '/t';
  const app = new Hono().on(target === 'json' ? 'POST' : 'GET', route, validate(target, schema), (c) =>
    c.json({ value: c.req.valid(target as never) ?? null }),
  );
  return {
    name: `HTTP ${method} ${path} ${target}`,
    schema,
    wire: target === 'json' ? 'json' : target === 'query' ? 'text' : 'path',
    keys: target !== 'param',
    root: '',
    async viaWire(input) {
      const res = await (target === 'json'
        ? app.request('/t', { method: 'POST', body: JSON.stringify(input), headers: { 'Content-Type': 'application/json' } })
        : target === 'query'
          ? app.request(`/t?${urlEncoded(input)}`)
          : app.request(`/t/${names.map((n) => encodeURIComponent(textRecord(input)[n] ?? '')).join('/')}`));
      const body = (await res.json()) as { value?: unknown; detail?: string };
      if (res.status === BAD_REQUEST) return { ok: false, error: body.detail ?? '' };
      return { ok: true, json: JSON.stringify(body.value) };
    },
    direct: (input) => outcome(parseWith(schema, target === 'json' ? input : target === 'query' ? input : textRecord(input))),
  };
}

function apiEntries(): CatalogEntry[] {
  const seen = new Set<z.ZodType>();
  const out: CatalogEntry[] = [];
  for (const v of routeValidators()) {
    if (seen.has(v.schema)) continue;
    seen.add(v.schema);
    if (v.target !== 'json' && v.target !== 'query' && v.target !== 'param') throw new Error(`unexpected validation target ${v.target} on ${v.path}`);
    out.push(apiEntry(v.method, v.path, v.target, v.schema));
  }
  return out;
}

/** A JSON document parsed with parseWith: the answers devices read, and the RPC params the API checks before filling them. */
function jsonEntry(name: string, schema: z.ZodType, root: string): CatalogEntry {
  return {
    name,
    schema,
    wire: 'json',
    keys: true,
    root,
    viaWire: async (input) => outcome(parseWith(schema, overJson(input), root)),
    direct: (input) => outcome(parseWith(schema, input, root)),
  };
}

function answerEntries(): CatalogEntry[] {
  return [
    jsonEntry('Vs getServerAddr answer', VsGetServerAddrResp, 'body'),
    jsonEntry('Vs failure', VsFailure, 'body'),
    jsonEntry('Vr create answer', VrCreateResp, 'body'),
    jsonEntry('Vr getcurrenttime answer', VrCurrentTimeResp, 'body'),
    jsonEntry('Vr empty answer', VrOkResp, 'body'),
    jsonEntry('Vr failure', VrFailure, 'body'),
    jsonEntry('RPC LogUploadAsync params from the API', LogUploadAsyncCallParams, 'params'),
    jsonEntry('RPC Snapshot params from the API', SnapshotCallParams, 'params'),
  ];
}

/** Every schema of the catalog, with its wire. */
export function catalogEntries(): CatalogEntry[] {
  return [...deviceQueryEntries(), ...vdEntries(), ...vrEntries(), ...apiEntries(), ...answerEntries()];
}
