/**
 * The Vd targets. Frames: every message name of the catalog (protocol/vd.ts) as request and event,
 * the PU's own messages from Appendix I's examples mutated field by field, answers with random seq,
 * garbage text, invalid UTF-8, oversized frames; pipelined on several logged-in connections, each
 * request's answer matched by seq. Logins: `/Vd?…` upgrade attempts with mutated queries, each from
 * its own loopback address (the per-address login throttle would otherwise answer them all 429).
 */
import fc from 'fast-check';
import { vd, VD_NAMES, type VdName } from '../../../protocol/vd.ts';
import { applyEdits, VD_EXAMPLES } from '../../protocol/vd-examples.ts';
import { answerPlans, fuzzAnswers } from './answers.ts';
import { INVALID_UTF8, loopbackSource, SOURCES, type HttpSpec } from './http.ts';
import {
  anyString,
  deepNest,
  deref,
  DupKeys,
  HOSTILE_NUMBERS,
  hostileValue,
  InputStream,
  jsonText,
  mutate,
  mutations,
  Raw,
  Ref,
  resolveRefs,
} from './values.ts';
import { FUZZ_PASSWORD, fuzzHttp, going, remember, VICTIM_ID, VICTIMS, type World } from './world.ts';
import type { FuzzConn, InFrame, Sent } from './vd-conn.ts';
import { triggerOf } from './tally.ts';

/** A Vd frame to send. JSON values may hold Refs: `seq` (the connection's next seq), `ownMac`, pools. */
export type FrameInput =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'big'; size: number; binary: boolean };

/** The Vd err code of a request over a budget (HTTP's Too Many Requests), counted apart. */
const ERR_TOO_MANY = 429;
/** Requests a connection may have unanswered before it waits (pipelining depth). */
export const VD_WINDOW = 64;
/** Bytes queued in a socket before its sender waits. */
const VD_BUFFER_MAX_BYTES = 1024 * 1024;
/** How long a sender waits for its answers before an oversized frame closes its socket. */
const BIG_FRAME_DRAIN_MS = 2000;
/** An answer this late is given up on (the request stays counted, as unanswered). */
const VD_ANSWER_OVERDUE_MS = 10_000;

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

/** Judge the answer to a request of ours. */
function onAnswer(w: World): (conn: FuzzConn, sent: Sent | undefined, f: InFrame) => void {
  return (conn, sent, f) => {
    const code = f.err && typeof f.err === 'object' ? f.err.code : undefined;
    const c = Number(code);
    w.tally.answered(
      'vd',
      !sent
        ? 'answer-untracked'
        : code === undefined
          ? 'resp'
          : c === ERR_TOO_MANY
            ? 'err429'
            : c >= 400 && c <= 599
              ? `err${Math.floor(c / 100)}xx`
              : 'err-other',
    );
    if (code === undefined) {
      const url = (f.resp as { pic_upload_url?: unknown } | undefined)?.pic_upload_url;
      if (typeof url === 'string') remember(w, 'uploadUrl', url); // an alarm picture's upload URL
      return;
    }
    const text = sent?.text ?? '(a frame whose answer was not expected)';
    const logFrom = sent?.logFrom ?? w.p.lines.length;
    if (c >= 500 && c <= 599) {
      w.tally.found({
        kind: 'vd-err-5xx',
        target: 'vd',
        where: sent?.name ?? '(untracked)',
        status: `err ${c}`,
        repro: `${text}\n→ ${JSON.stringify(f)}`,
        size: sent ? text.length : Infinity,
        logFrom,
        logMatch: (l) => l.device === conn.dev.id && (l.name === sent?.name || l.msg === 'vd handler failed'),
        replay: sent?.value,
      });
    }
    w.tally.checkLeak('vd', sent?.name ?? '(untracked)', String(f.err?.msg ?? ''), text, logFrom);
  };
}

/** How often the platform's new log lines are looked at for errors to attribute. */
const ATTRIBUTION_PERIOD_MS = 250;

/**
 * Attribute error lines that no answer shows (an event's handler failed, an actor's write was
 * refused) while the frames that caused them are still among their connection's recent ones: of
 * the frames the named device sent before the line (of the named message, if any), the latest
 * that holds a NUL, a lone surrogate or a huge number, else the latest. Returns a stop function.
 */
export function attributeErrors(w: World): () => void {
  let next = w.p.lines.length;
  const scan = () => {
    const lines = w.p.lines;
    for (; next < lines.length; next++) {
      const text = lines[next]!;
      if (!text.includes('"level":"error"') && !text.includes('"level":"fatal"')) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      const device = typeof line.device === 'string' ? line.device : String(line.err ?? '').match(/actor pu:([^:\s]+):/)?.[1];
      if (!device) continue;
      const name = typeof line.name === 'string' ? line.name : undefined;
      const conn = [...w.conns.fz, ...w.conns.ans, w.conns.rec].find((c) => c.dev.id === device);
      const before = (conn?.recent ?? []).filter((s) => s.logFrom <= next && (!name || s.name === name));
      const frame = before.findLast((s) => triggerOf(s.text) !== '') ?? before.at(-1);
      const what = `${name ?? 'a'} frame ${device} sent before the error`;
      w.attributions.set(next, {
        target: 'vd',
        where: name ?? String(line.msg),
        repro: frame
          ? `probably this ${what} (the latest with ${triggerOf(frame.text) || 'nothing hostile'}):\n${frame.text}`
          : `(no ${what}: a login's query, or a frame of the set-up, is the likely cause)`,
      });
    }
  };
  const timer = setInterval(scan, ATTRIBUTION_PERIOD_MS);
  return () => {
    clearInterval(timer);
    scan();
  };
}

/** Send `quota` frames over the fuzz cameras' connections, pipelined, logging in again after each close. */
export async function runVdFrames(w: World, quota: number, deadline: number): Promise<void> {
  const stream = new InputStream('vd', frames(w.marker), w.seed);
  const answerer = fuzzAnswers(w, new InputStream('vd-answers', answerPlans(w.marker), w.seed));
  for (const c of [...w.conns.fz, ...w.conns.ans]) c.onPlatformRequest = answerer;
  for (const c of w.conns.fz) {
    c.onAnswer = onAnswer(w);
    c.onClose = (_, code, lost) => {
      w.tally.closed(code);
      for (let i = 0; i < lost.length; i++) w.tally.answered('vd', 'closed-before-answer');
    };
  }
  await Promise.all(
    w.conns.fz.map(async (c) => {
      while (going(w, stream.next, quota, deadline)) {
        if (!c.open) {
          await c.ensureOpen();
          continue;
        }
        if (c.pending.size >= VD_WINDOW || c.buffered > VD_BUFFER_MAX_BYTES) {
          expire(w, c);
          await c.settle();
          continue;
        }
        const { i, value } = stream.take();
        // An oversized frame gets the socket closed (1009): let the answers still due arrive first.
        if (value.kind === 'big') for (const end = Date.now() + BIG_FRAME_DRAIN_MS; c.pending.size > 0 && c.open && Date.now() < end; ) await c.settle();
        const r = renderFrame(w, c, value);
        const logFrom = w.p.lines.length;
        const sent: Sent = { index: i, name: r.name, text: r.text, value: r.value, logFrom, sentAt: Date.now() };
        c.remember(sent);
        if (r.seq !== undefined) c.pending.set(r.seq, sent);
        w.tally.noteMarkers(r.text, w.marker);
        w.tally.tried('vd');
        if (!c.send(r.data)) {
          c.pending.delete(r.seq ?? NaN);
          w.tally.answered('vd', 'not-sent');
        } else if (r.seq === undefined) w.tally.answered('vd', 'no-answer-due');
        // Frames sent after an oversized one would be lost with its socket: wait for the close first.
        if (value.kind === 'big') for (const end = Date.now() + BIG_FRAME_DRAIN_MS; c.open && Date.now() < end; ) await c.settle();
        if (i % 32 === 0) await Bun.sleep(0);
      }
    }),
  );
  const end = Date.now() + VD_ANSWER_OVERDUE_MS;
  while (w.conns.fz.some((c) => c.pending.size > 0) && Date.now() < end) await Bun.sleep(50);
  for (const c of w.conns.fz) for (const s of c.pending.values()) unanswered(w, s);
}

/** Requests whose answer is overdue stop holding the window (counted as unanswered). */
function expire(w: World, c: FuzzConn): void {
  for (const [seq, s] of c.pending) {
    if (Date.now() - s.sentAt < VD_ANSWER_OVERDUE_MS) continue;
    c.pending.delete(seq);
    unanswered(w, s);
  }
}

/** A request the platform never answered while its socket stayed open. */
function unanswered(w: World, s: Sent): void {
  w.tally.answered('vd', 'unanswered');
  w.tally.found({
    kind: 'hang',
    target: 'vd',
    where: s.name,
    status: `no answer in ${VD_ANSWER_OVERDUE_MS / 1000} s`,
    repro: s.text,
    size: s.text.length,
    logFrom: s.logFrom,
    replay: s.value,
  });
}

/** A Vd login attempt: the query pairs (mutated), the transport, where it comes from. */
export interface LoginInput {
  pairs: unknown;
  upgrade: boolean;
  method: string;
}

/** Login queries: the victim camera's right credentials, a wrong password, an unknown id, or signed; mutated. */
export function logins(marker: string): fc.Arbitrary<LoginInput> {
  return fc
    .record({
      n: fc.nat(),
      kind: fc.constantFrom('right', 'right', 'wrong', 'unknown', 'signed'),
      edits: mutations(marker),
      upgrade: fc.oneof({ weight: 19, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST'),
    })
    .map(({ n, kind, edits, upgrade, method }) => {
      // Wrong passwords go to a camera of their own: the right ones must not find their camera locked out.
      const code = kind === 'unknown' ? `FZ-NOPE-${n}` : kind === 'right' ? `${VICTIM_ID}-${n % VICTIMS}` : `${VICTIM_ID}-W`;
      const credentials: [string, unknown][] =
        kind === 'signed'
          ? [
              ['login_code', code],
              ['login_ts', new Ref('nowS', 0)],
              ['login_nonce', n.toString(16).padStart(32, '0')],
              ['login_sig', 'ab'.repeat(32)],
            ]
          : [
              ['login_code', code],
              ['login_passwd', kind === 'wrong' ? `wrong-${n}` : FUZZ_PASSWORD],
            ];
      const rest: [string, unknown][] = [
        ['hardware_model', 'FUZZ-CAM'],
        ['firmware_model', 'V1.0.0'],
        ['sdk', '1.0'],
        ['reconnect', String(n % 2)],
      ];
      if (kind !== 'right') return { pairs: mutate([...credentials, ...rest], edits), upgrade, method };
      // The right credentials stay right: the other fields are mutated (a hardware_model of NUL…).
      const mutated = mutate(rest, edits);
      return { pairs: [...credentials, ...(Array.isArray(mutated) ? mutated : [mutated])], upgrade, method };
    });
}

/** Try `quota` Vd logins, each from its own loopback address. */
export async function runVdLogins(w: World, quota: number, deadline: number, workers = 4): Promise<void> {
  const stream = new InputStream('vd-login', logins(w.marker), w.seed);
  const now = new Map([['nowS', [String(Math.floor(Date.now() / 1000))]]]);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (going(w, stream.next, quota, deadline)) {
        const { i, value } = stream.take();
        const pairs = resolveRefs(value.pairs, new Map([...w.pools, ...now]));
        const spec: HttpSpec = {
          target: 'vd-login',
          route: 'GET /Vd',
          method: value.method,
          path: ['Vd'],
          query: Array.isArray(pairs) ? pairs : [pairs],
          upgrade: value.upgrade,
          source: loopbackSource(SOURCES.vdLogin, i),
        };
        await fuzzHttp(w, spec);
      }
    }),
  );
}
