/**
 * The Vd frames the fuzz sends: every message name of the catalog (protocol/vd.ts) as request and
 * event, the PU's own messages from Appendix I's examples mutated field by field, answers with
 * random seq, garbage text, invalid UTF-8, oversized frames; and how one is rendered for a
 * connection, with the seq its answer will carry.
 */
import fc from 'fast-check';
import { vd, VD_NAMES, type VdName } from '../../../protocol/vd.ts';
import { applyEdits, VD_EXAMPLES } from '../../protocol/vd-examples.ts';
import { INVALID_UTF8 } from './http.ts';
import { deref, DupKeys, jsonText, Raw, Ref, resolveRefs } from './values.ts';
import { anyString, deepNest, HOSTILE_NUMBERS, hostileValue, mutate, mutations } from './hostile.ts';
import type { World } from './world.ts';
import type { FuzzConn } from './vd-conn.ts';

/** A Vd frame to send. JSON values may hold Refs: `seq` (the connection's next seq), `ownMac`, pools. */
export type FrameInput =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'big'; size: number; binary: boolean };

const PU_NAMES = VD_NAMES.filter((n) => vd[n].from === 'pu');
const _PLATFORM_NAMES = VD_NAMES.filter((n) => vd[n].from === 'platform');
const RPC_NAMES = VD_NAMES.filter((n) => vd[n].kind === 'rpc');
const SEQ = new Ref('seq', 0);

/** The frame of a message: a request (with our seq) or an event, params left out when absent. */
function envelope(name: string, rpc: boolean, params: unknown): Record<string, unknown> {
  const env: Record<string, unknown> = rpc ? { req: name, seq: SEQ } : { event: name };
  if (params !== undefined) env.params = params;
  return env;
}

/** A PU → platform message from its example: valid, one of the catalog's own bad cases, or mutated (params or envelope). */
function puMessage(marker: string): fc.Arbitrary<FrameInput> {
  return fc
    .tuple(fc.constantFrom(...PU_NAMES), mutations(marker), fc.nat(), fc.constantFrom('params', 'params', 'params', 'envelope', 'bad'))
    .map(([name, edits, n, where]) => {
      const ex = VD_EXAMPLES[name];
      let params = structuredClone(ex.params) as Record<string, unknown> | undefined;
      // The examples' MAC is nobody's: most frames carry the sending camera's own (else checkMac stops them first).
      if (params && 'mac_id' in params && n % 5 !== 0) params.mac_id = new Ref('ownMac', 0);
      if (name === 'Bind' && params && n % 3 === 0) params.bind_id = new Ref('bindCode', n);
      if (where === 'bad') {
        const bad = ex.bad.filter((b) => b.where === 'params');
        if (bad.length) params = applyEdits(params, bad[n % bad.length]!.edits) as Record<string, unknown>;
      }
      if (where === 'params') params = mutate(params, edits) as Record<string, unknown> | undefined;
      let env: unknown = envelope(name, vd[name].kind === 'rpc', params);
      if (where === 'envelope') env = mutate(env, edits);
      return { kind: 'json', value: env };
    });
}

/** A platform → PU message sent by the PU, or a message sent as the wrong kind: err 101 expected. */
function wrongDirection(marker: string): fc.Arbitrary<FrameInput> {
  return fc.tuple(fc.constantFrom(...VD_NAMES), fc.boolean(), mutations(marker)).map(([name, asRpc, edits]) => {
    const params = mutate(structuredClone(VD_EXAMPLES[name].params), edits);
    return { kind: 'json', value: envelope(name, vd[name].from === 'pu' ? vd[name].kind !== 'rpc' : asRpc, params) };
  });
}

/** Names that are no message at all. */
function unknownName(marker: string): fc.Arbitrary<FrameInput> {
  return fc
    .tuple(
      fc.oneof(anyString(20), hostileValue(marker), fc.constantFrom('keepalive', 'KEEPALIVE', 'Keepalive ', '__proto__', 'constructor', 'toString')),
      fc.boolean(),
    )
    .map(([name, rpc]) => ({ kind: 'json', value: envelope(name as string, rpc, {}) }));
}

/** Answers to requests the platform may or may not have sent: random seq, mutated answers, err of any code. */
function answers(marker: string): fc.Arbitrary<FrameInput> {
  const seq = fc.oneof(fc.nat(60), fc.constantFrom(...HOSTILE_NUMBERS), hostileValue(marker));
  return fc.tuple(seq, fc.constantFrom(...RPC_NAMES), mutations(marker), fc.boolean(), hostileValue(marker)).map(([s, name, edits, ok, v]) => ({
    kind: 'json',
    value: ok
      ? { seq: s, resp: mutate(structuredClone(VD_EXAMPLES[name as VdName].resp ?? {}), edits) }
      : { seq: s, err: mutate({ code: 500, msg: 'x' }, edits.length ? edits : [{ op: 'set', pick: 1, key: '', value: v }]) },
  }));
}

/** Text that is not a valid frame: truncated JSON, duplicate keys, raw numbers, nests, random text. */
function garbage(marker: string): fc.Arbitrary<FrameInput> {
  const texts = fc.oneof(
    anyString(300),
    fc.constantFrom(
      '',
      ' ',
      'null',
      '[]',
      '"x"',
      '0',
      '{',
      '{"req":',
      '{"req":"Keepalive","seq":1e999}',
      '{"req":"Keepalive","seq":-1e999,"params":{}}',
      '{"req":"Keepalive","seq":1,"seq":"x"}',
      '{"req":"Keepalive","req":"Bind","seq":1}',
      '{"event":"Bind","params":null}',
      '{"req":"AlarmNotify","seq":1,"params":{"channel":0,"timestamp":1e999,"type":3,"state":"start","desc":"x"}}',
      '{"req":"Keepalive","seq":1,"params":{"state":1,"channels":[{"channel":1e999,"state":1}]}}',
      '{"__proto__":{"req":"Keepalive"},"seq":1}',
      '{"req":"Keepalive","seq":1,"params":{"state":1,"channels":[],"__proto__":{"x":1}}}',
    ),
    fc.tuple(fc.constantFrom(...PU_NAMES), fc.nat(200)).map(([name, cut]) =>
      jsonText(envelope(name, true, VD_EXAMPLES[name].params))
        .replace('"ref:seq"', '7')
        .slice(0, cut),
    ),
    fc.constantFrom(64, 3000, 20_000).map((d) => `{"req":"Keepalive","seq":1,"params":${deepNest(d, 'array').text}}`),
    fc.constantFrom(3000, 10_000).map((d) => deepNest(d, 'object').text),
    hostileValue(marker).map((v) => jsonText(v)),
  );
  return texts.map((text) => ({ kind: 'text', text }));
}

/** Binary frames: invalid UTF-8, valid frames as bytes, random bytes. */
function binary(): fc.Arbitrary<FrameInput> {
  const enc = new TextEncoder();
  const invalid = INVALID_UTF8.map((b) => new Uint8Array(b));
  const inJson = (bad: number[]) =>
    new Uint8Array([...enc.encode('{"req":"Keepalive","seq":1,"params":{"mac_id":"'), ...bad, ...enc.encode('","state":1,"channels":[]}}')]);
  return fc
    .oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom(...invalid, inJson([0xff]), inJson([0xed, 0xa0, 0x80]), inJson([0x00])),
      fc.constant(enc.encode('{"req":"GetServerInfo","seq":1}')),
    )
    .map((bytes) => ({ kind: 'bytes', bytes }));
}

/** The mix of every kind of frame. */
export function frames(marker: string): fc.Arbitrary<FrameInput> {
  // Oversized frames are rare: each one costs its socket (1009) and a new login.
  return fc.oneof(
    { weight: 500, arbitrary: puMessage(marker) },
    { weight: 80, arbitrary: wrongDirection(marker) },
    { weight: 40, arbitrary: unknownName(marker) },
    { weight: 100, arbitrary: answers(marker) },
    { weight: 80, arbitrary: garbage(marker) },
    { weight: 40, arbitrary: binary() },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(65_537, 70_000, 300_000), fc.boolean()).map(([size, bin]): FrameInput => ({ kind: 'big', size, binary: bin })),
    },
  );
}

/** What a frame puts on the wire for `conn`, its text for the report, and the seq it is answered with (if any). */
export function renderFrame(
  w: World,
  conn: FuzzConn,
  f: FrameInput,
): { data: string | Uint8Array<ArrayBuffer>; text: string; seq?: number; name: string; value?: unknown } {
  if (f.kind === 'text') return { data: f.text, text: f.text, ...answerDue(f.text, '(garbage)') };
  if (f.kind === 'bytes') {
    const text = `<binary ${Buffer.from(f.bytes).toString('hex')}>`;
    return { data: new Uint8Array(f.bytes), text, ...answerDue(utf8OrUndefined(f.bytes), '(binary)') };
  }
  if (f.kind === 'big') {
    const text = `{"req":"Keepalive","seq":1,"params":{"pad":"${'x'.repeat(f.size)}"}}`;
    return {
      data: f.binary ? new TextEncoder().encode(text) : text,
      text: `<${f.binary ? 'binary' : 'text'} frame of ${text.length} bytes: ${text.slice(0, 60)}…>`,
      name: '(oversized)',
    };
  }
  const value = resolveFrame(f.value, conn, w, () => conn.nextSeq());
  const text = jsonText(value);
  return { data: text, text, value, ...answerDue(text, '(other)') };
}

/**
 * The seq an answer to this frame will carry, if one is due, read from the text as the platform
 * parses it (repeated keys: the last wins); and the message name to file it under.
 */
function answerDue(text: string | undefined, fallback: string): { seq?: number; name: string } {
  const o = text === undefined ? undefined : parseOrUndefined(text);
  const name = typeof o?.req === 'string' ? o.req : typeof o?.event === 'string' ? o.event : o && ('resp' in o || 'err' in o) ? '(answer)' : fallback;
  return o && expectsAnswer(o) ? { seq: o.seq as number, name } : { name };
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Whether the platform answers a frame (9.3.2.1, protocol/vd-frame.ts): a request does, and so
 * does a malformed frame whose seq could be read (with err 400); an event or a well-formed
 * answer does not.
 */
function expectsAnswer(o: Record<string, unknown>): boolean {
  if (!Number.isSafeInteger(o.seq)) return false;
  if ('req' in o) return true;
  if ('event' in o) return false;
  const hasResp = 'resp' in o;
  const hasErr = 'err' in o;
  if (!hasResp && !hasErr) return true;
  if (hasResp) return hasErr;
  const err = o.err as Record<string, unknown> | null;
  return !(err && typeof err === 'object' && !Array.isArray(err) && Number.isSafeInteger(err.code));
}

function parseOrUndefined(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function resolveFrame(v: unknown, conn: FuzzConn, w: World, seq: () => number): unknown {
  if (v instanceof Ref) return v.pool === 'seq' ? seq() : v.pool === 'ownMac' ? conn.dev.mac : deref(w.pools, v);
  if (Array.isArray(v)) return v.map((x) => resolveFrame(x, conn, w, seq));
  if (v instanceof DupKeys) return new DupKeys(v.entries.map(([k, x]) => [k, resolveFrame(x, conn, w, seq)]));
  if (v && typeof v === 'object' && !(v instanceof Raw)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, { value: resolveFrame(x, conn, w, seq), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return resolveRefs(v, w.pools);
}
