/**
 * The Vr targets. Forms: `POST /live/cseg/<channelId>` with every op built as a camera sends it,
 * then mutated field by field (names in any case, aliases, repeated fields, hostile values), to the
 * real channel with the camera's Mac-Identity mostly, else to bad channel ids and identities, with
 * wrong content types and chunked or oversized bodies. URLs: the upload and playback URLs the
 * platform handed out (`PUT /cs/up/…`, `PUT /upload/<token>`, `GET /cs/seg/…`, the live viewer's
 * WebSocket), real and mutated, with bodies of the right and wrong sizes.
 */
import fc from 'fast-check';
import { INVALID_UTF8, type BodySpec, type HttpSpec } from './http.ts';
import { UPLOAD_TYPES, uploadBodies, uploadRoute, urlParts } from './answers.ts';
import { deref, formText, InputStream, Raw, Ref, resolveRefs } from './values.ts';
import { HOSTILE_STRINGS, hostileValue, mutate, mutations, traversal, type Mutation } from './hostile.ts';
import { harvestJson, remember, REC_SEG_MAX_SIZE_BYTES, going, type World } from './world.ts';
import { fuzzHttp } from './http-judge.ts';

/** One Vr request as generated. */
export interface VrInput {
  channel: unknown;
  mac: unknown;
  contentType: string | undefined;
  pairs: unknown;
  transport: 'plain' | 'chunked' | 'pad' | 'pad-chunked' | 'huge-chunked';
  method: string;
  /** Non-zero: raw bytes that are not UTF-8 spliced into the form (which one, by this number). */
  invalidUtf8: number;
}

/** Content types of Vr bodies: the right one, with parameters, and wrong ones. */
const VR_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  undefined,
  'text/plain',
  'application/json',
  'multipart/form-data; boundary=x',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/x-www-form-urlencoded; charset=utf-16',
] as const;
/** Padding of an over-limit form (the limit is 4 KB), and of a huge chunked one. */
const PAD_BYTES = 5000;
const HUGE_BYTES = 1024 * 1024;
/** A recording start time in the past, seconds (what create's `start` looks like). */
const START_BASE_S = 1_700_000_000;

/** The fields of an op as a camera sends them (OVC cloud_record.md; NOTES 14–15). */
function opPairs(op: string, n: number): [string, unknown][] {
  const name = new Ref('segName', n);
  switch (op) {
    case 'create': {
      const pairs: [string, unknown][] = [
        ['op', 'create'],
        ['content_type', 'video/mp2t'],
        ['size', String([188, 1000, 4096, REC_SEG_MAX_SIZE_BYTES, REC_SEG_MAX_SIZE_BYTES + 1, n % REC_SEG_MAX_SIZE_BYTES][n % 6])],
        ['start', (START_BASE_S + (n % 100_000) * 2).toFixed(6)],
        ['duration', '2.000000'],
        ['discontinue', String(n % 2)],
        ['https', '1'],
      ];
      if (n % 3 === 0) pairs.push(['name', name]);
      return pairs;
    }
    case 'save':
    case 'fail':
      return [
        ['op', op],
        ['name', name],
      ];
    case 'stat':
      return [
        ['op', 'stat'],
        ['dropped_nb', String(n % 50)],
        ['dropped_time', '1.5'],
      ];
    default:
      return [['op', op]];
  }
}

/** Variants real devices send: field names in upper case, op in upper case, OVC's alias, a repeated op. */
function variant(pairs: [string, unknown][], v: number): [string, unknown][] {
  switch (v % 8) {
    case 1:
      return pairs.map(([k, x]) => [k.toUpperCase(), x]);
    case 2:
      return pairs.map(([k, x]) => [k, k === 'op' ? String(x).toUpperCase() : x]);
    case 3:
      return pairs.map(([k, x]) => [k === 'name' ? 'last_file_name' : k, x]);
    case 4:
      return [...pairs, ['op', 'save']];
    case 5:
      return [['op', 'stat'], ...pairs];
    case 6:
      return [...pairs, ['extra', ''], ['', 'x']];
    default:
      return pairs;
  }
}

/** Vr inputs. */
export function vrInputs(marker: string): fc.Arbitrary<VrInput> {
  const channel = fc.oneof(
    { weight: 16, arbitrary: fc.nat().map((n) => new Ref('channelId', n)) },
    { weight: 2, arbitrary: hostileValue(marker) },
    { weight: 1, arbitrary: traversal(marker) },
    { weight: 1, arbitrary: fc.constantFrom(new Raw('%00'), new Raw('..%2f..%2f'), new Raw('%2e%2e'), 'A'.repeat(32), new Raw('%252e%252e%252f')) },
  );
  const mac = fc.oneof(
    { weight: 16, arbitrary: fc.nat().map((n) => new Ref('recMac', n)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.nat().map((n) => new Ref('mac', n)) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  );
  return fc
    .record({
      channel,
      mac,
      contentType: fc.constantFrom(...VR_TYPES),
      op: fc.oneof(
        { weight: 10, arbitrary: fc.constantFrom('create', 'create', 'create', 'save', 'fail', 'getcurrenttime', 'stat') },
        { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
      ),
      n: fc.nat(),
      v: fc.nat(),
      edits: mutations(marker),
      transport: fc.oneof(
        { weight: 40, arbitrary: fc.constant('plain' as const) },
        { weight: 6, arbitrary: fc.constant('chunked' as const) },
        { weight: 2, arbitrary: fc.constantFrom('pad' as const, 'pad-chunked' as const) },
        { weight: 1, arbitrary: fc.constant('huge-chunked' as const) },
      ),
      method: fc.oneof({ weight: 30, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'GET', 'PUT', 'DELETE') }),
      invalidUtf8: fc.oneof({ weight: 19, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 }) }),
    })
    .map(({ channel, mac, contentType, op, n, v, edits, transport, method, invalidUtf8 }) => ({
      channel,
      mac,
      contentType,
      transport,
      method,
      invalidUtf8,
      pairs: mutate(variant(opPairs(op, n), v), edits),
    }));
}

/** The HTTP request of a Vr input, its Refs resolved now. */
export function vrSpec(w: World, input: VrInput): HttpSpec {
  const pairs = resolveRefs(input.pairs, w.pools);
  const list = Array.isArray(pairs) ? pairs : [pairs];
  const headers: Record<string, string> = {};
  if (input.contentType) headers['Content-Type'] = input.contentType;
  const mac = input.mac instanceof Ref ? deref(w.pools, input.mac) : input.mac;
  if (mac !== undefined) headers['Mac-Identity'] = headerSafe(mac);
  const pad = input.transport === 'huge-chunked' ? HUGE_BYTES : input.transport.startsWith('pad') ? PAD_BYTES : 0;
  if (pad) list.push(['pad', new Raw('x'.repeat(pad))]);
  const channel = input.channel instanceof Ref ? deref(w.pools, input.channel) : input.channel;
  return {
    target: 'vr',
    route: `${input.method} /live/cseg/{channelId}`,
    method: input.method,
    path: ['live', 'cseg', channel],
    headers,
    body:
      input.method === 'GET'
        ? undefined
        : input.invalidUtf8
          ? { kind: 'spliced', text: formText(list), at: '=', bytes: INVALID_UTF8[input.invalidUtf8 % INVALID_UTF8.length]! }
          : { kind: 'form', pairs: list },
    chunked: input.transport !== 'plain' && input.transport !== 'pad',
  };
}

/** A header value fetch can send (printable ASCII only). */
export function headerSafe(v: unknown): string {
  return (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).replace(/[^\x20-\x7e]/g, '').slice(0, 8192);
}

/** Send `quota` Vr requests; what create answers (segment names, upload URLs) feeds later inputs. */
export async function runVr(w: World, quota: number, deadline: number, workers = 12): Promise<void> {
  remember(w, 'recMac', w.rec.mac);
  for (const m of [w.rec.mac.toUpperCase(), w.rec.mac.replaceAll(':', ''), w.rec.id]) remember(w, 'recMac', m);
  const stream = new InputStream('vr', vrInputs(w.marker), w.seed);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (going(w, stream.next, quota, deadline)) {
        const { value } = stream.take();
        const spec = vrSpec(w, value);
        const r = await fuzzHttp(w, spec);
        if (r.status === 200) {
          const b = safeJson(r.body) as { name?: string; url?: string } | undefined;
          if (b?.name && b.url) {
            remember(w, 'segName', b.name);
            const size = (spec.body?.kind === 'form' ? spec.body.pairs : []).find((p) => Array.isArray(p) && String(p[0]).toLowerCase() === 'size') as
              | [string, string]
              | undefined;
            remember(w, 'segPut', `${b.url}|${size?.[1] ?? 0}`);
          }
        }
      }
    }),
  );
}

/** One input against a URL the platform handed out. */
export interface UrlInput {
  kind: 'segPut' | 'uploadUrl' | 'segGet' | 'wsUrl';
  pick: number;
  edits: Mutation[];
  body: BodySpec;
  exactSize: boolean;
  chunked: boolean;
  contentType: string | undefined;
  range: string | undefined;
}

/** URL inputs: mostly segment uploads (the right size half the time), then upload URLs, playback URLs, the viewer socket. */
export function urlInputs(marker: string): fc.Arbitrary<UrlInput> {
  return fc.record({
    kind: fc.oneof(
      { weight: 5, arbitrary: fc.constant('segPut' as const) },
      { weight: 3, arbitrary: fc.constant('uploadUrl' as const) },
      { weight: 2, arbitrary: fc.constant('segGet' as const) },
      { weight: 1, arbitrary: fc.constant('wsUrl' as const) },
    ),
    pick: fc.nat(),
    edits: fc.oneof(fc.constant<Mutation[]>([]), mutations(marker)),
    body: uploadBodies(),
    exactSize: fc.boolean(),
    chunked: fc.boolean(),
    contentType: fc.constantFrom(...UPLOAD_TYPES),
    range: fc.constantFrom(undefined, 'bytes=0-10', 'bytes=-5', 'bytes=999999999-', 'bytes=5-1', 'bytes=0-0,2-3', 'items=0-1', 'bytes=1e300-'),
  });
}

/** The HTTP request of a URL input (undefined while its pool is still empty). */
export function urlSpec(w: World, u: UrlInput): HttpSpec | undefined {
  // A pool still empty (no segment created yet, no playlist read yet): the setup's upload URLs stand in.
  const kind = [u.kind, 'uploadUrl', 'segPut'].find((k) => (w.pools.get(k)?.length ?? 0) > 0) as UrlInput['kind'] | undefined;
  if (!kind) return undefined;
  u = { ...u, kind };
  const raw = deref(w.pools, new Ref(u.kind, u.pick));
  const [url, size] = raw.split('|') as [string, string | undefined];
  const parts = mutate(urlParts(url), u.edits) as { path?: unknown; query?: unknown } | undefined;
  const path = Array.isArray(parts?.path) ? parts.path : [parts?.path];
  const query = Array.isArray(parts?.query) ? parts.query : parts?.query === undefined ? [] : [parts.query];
  if (u.kind === 'segGet')
    return { target: 'urls', route: 'GET /cs/seg/{session}/{name}', method: 'GET', path, query, headers: u.range ? { Range: u.range } : {} };
  if (u.kind === 'wsUrl') return { target: 'urls', route: 'GET /media/live/{streamId}', method: 'GET', path, query, upgrade: true, source: '127.0.0.1' };
  const body: BodySpec = u.kind === 'segPut' && u.exactSize ? { kind: 'bytes', size: Math.min(Number(size) || 0, REC_SEG_MAX_SIZE_BYTES * 2) } : u.body;
  return {
    target: 'urls',
    route: uploadRoute(url),
    method: 'PUT',
    path,
    query,
    body,
    chunked: u.chunked,
    headers: u.contentType ? { 'Content-Type': u.contentType } : {},
  };
}

/** Send `quota` inputs to the URLs the platform handed out. */
export async function runUrls(w: World, quota: number, deadline: number, workers = 6): Promise<void> {
  const stream = new InputStream('urls', urlInputs(w.marker), w.seed);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (going(w, stream.next, quota, deadline)) {
        const { value } = stream.take();
        const spec = urlSpec(w, value);
        if (!spec) {
          await Bun.sleep(20);
          continue;
        }
        const r = await fuzzHttp(w, spec);
        if (typeof r.status === 'number' && r.status < 300) harvestJson(w, safeJson(r.body));
      }
    }),
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
