/**
 * Minimal reproducers: after the run, each HTTP 5xx and each Vd `err` 5xx is re-sent in simpler
 * forms (a field, header, query pair or array item left out, a string halved), greedily, keeping
 * every simplification that still gets the same status, within a budget of re-sends.
 */
import { describeHttp, sendHttp, type HttpSpec } from './http.ts';
import { causeOf, FAILURE_LOG_LEVELS, triggerOf, type Finding, type LogLine } from './tally.ts';
import { DupKeys, jsonText, Raw } from './values.ts';
import type { FuzzConn, InFrame } from './vd-conn.ts';
import type { World } from './world.ts';
import { httpClass, httpLogMatch } from './http-judge.ts';

/** Re-sends per finding, and for the whole run. */
export const MINIMIZE_TRIES_PER_FINDING = 80;
export const MINIMIZE_TRIES_MAX = 2000;
/** How long a re-sent Vd request waits for its answer. */
const VD_ANSWER_WAIT_MS = 3000;

/** Simpler forms of a value, one step each: a member left out, or one member made simpler. */
export function* simpler(v: unknown): Generator<unknown> {
  if (typeof v === 'string') {
    if (v.length > 1) {
      const h = v.length >> 1;
      yield v.slice(0, h);
      yield v.slice(h);
      if (v.length <= 16) for (let i = 0; i < v.length; i++) yield v.slice(0, i) + v.slice(i + 1);
    }
    return;
  }
  if (v instanceof Raw) return;
  if (v instanceof DupKeys) {
    for (let i = 0; i < v.entries.length; i++) yield new DupKeys(v.entries.filter((_, j) => j !== i));
    for (let i = 0; i < v.entries.length; i++) for (const s of simpler(v.entries[i]![1])) yield new DupKeys(v.entries.map((e, j) => (j === i ? [e[0], s] : e)));
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield v.filter((_, j) => j !== i);
    for (let i = 0; i < v.length; i++) for (const s of simpler(v[i])) yield v.map((x, j) => (j === i ? s : x));
    return;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    const build = (list: [string, unknown][]) => {
      const o: Record<string, unknown> = {};
      for (const [k, x] of list) Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
      return o;
    };
    for (let i = 0; i < entries.length; i++) yield build(entries.filter((_, j) => j !== i));
    for (let i = 0; i < entries.length; i++) for (const s of simpler(entries[i]![1])) yield build(entries.map((e, j) => (j === i ? [e[0], s] : e)));
  }
}

/** Simpler forms of a request: unchunked, a header, query pair or body left out or simpler, a path parameter simpler. */
function* simplerSpecs(s: HttpSpec, literal: Set<string>): Generator<HttpSpec> {
  if (s.chunked) yield { ...s, chunked: false };
  for (const k of Object.keys(s.headers ?? {})) {
    const headers = { ...s.headers };
    delete headers[k];
    yield { ...s, headers };
  }
  if (s.query?.length) for (const q of simpler(s.query)) yield { ...s, query: q as unknown[] };
  if (s.body) {
    yield { ...s, body: undefined };
    if (s.body.kind === 'json') for (const v of simpler(s.body.value)) yield { ...s, body: { kind: 'json', value: v } };
    if (s.body.kind === 'form') for (const v of simpler(s.body.pairs)) yield { ...s, body: { kind: 'form', pairs: v as unknown[] } };
    if (s.body.kind === 'text') for (const v of simpler(s.body.text)) yield { ...s, body: { kind: 'text', text: v as string } };
  }
  for (let i = 0; i < s.path.length; i++) {
    const seg = s.path[i];
    if (typeof seg === 'string' && literal.has(seg)) continue;
    for (const v of simpler(seg)) if (v !== '') yield { ...s, path: s.path.map((x, j) => (j === i ? v : x)) };
  }
}

/** How long a re-sent input's log line may take to show up. */
const LOG_LINE_WAIT_MS = 500;

/** The first error line at or after `from` that `match` accepts, waiting a little for it. */
async function errorLineAfter(w: World, from: number, match: ((l: LogLine) => boolean) | undefined): Promise<{ line: LogLine; text: string } | undefined> {
  if (!match) return undefined;
  for (const end = Date.now() + LOG_LINE_WAIT_MS; ; ) {
    const hit = w.tally.logLines(from).find((l) => FAILURE_LOG_LEVELS.has(String(l.line.level)) && match(l.line));
    if (hit || Date.now() > end) return hit;
    await Bun.sleep(10);
  }
}

/** Whether a re-sent input failed for the finding's own cause (when it has one). */
async function sameCause(w: World, f: Finding, from: number, match: ((l: LogLine) => boolean) | undefined): Promise<{ text: string } | undefined | false> {
  if (!f.cause || f.cause === '(no error logged)') return undefined;
  const hit = await errorLineAfter(w, from, match);
  return hit && causeOf(hit.line) === f.cause ? { text: hit.text } : false;
}

/**
 * Make every 5xx finding's input minimal (same status, same cause in the log), then label it by
 * what its minimal input holds and merge the findings that turn out to be one; returns the
 * re-sends spent.
 */
export async function minimizeFindings(w: World, fuzzConn: FuzzConn | undefined): Promise<number> {
  let spent = 0;
  for (const f of w.tally.findings) {
    if (spent >= MINIMIZE_TRIES_MAX) break;
    if (f.kind === 'http-5xx' && f.replay) spent += await minimizeHttp(w, f, Math.min(MINIMIZE_TRIES_PER_FINDING, MINIMIZE_TRIES_MAX - spent));
    if (f.kind === 'vd-err-5xx' && f.replay !== undefined && fuzzConn)
      spent += await minimizeVd(w, f, fuzzConn, Math.min(MINIMIZE_TRIES_PER_FINDING, MINIMIZE_TRIES_MAX - spent));
    if (f.kind === 'http-5xx' || f.kind === 'vd-err-5xx') f.trigger = triggerOf(f.repro);
  }
  w.tally.merge();
  return spent;
}

async function minimizeHttp(w: World, f: Finding, budget: number): Promise<number> {
  let best = f.replay as HttpSpec;
  const literal = new Set(
    best.route
      .split(' ')[1]
      ?.split('/')
      .filter((s) => s && !s.startsWith('{')),
  );
  let tries = 0;
  const same = async (s: HttpSpec) => {
    tries++;
    const from = w.p.lines.length;
    const r = await sendHttp(w.p.url, s);
    return httpClass(s, r) === '5xx' && String(r.status) === f.status && (await sameCause(w, f, from, httpLogMatch(s))) !== false;
  };
  for (let improved = true; improved && tries < budget; ) {
    improved = false;
    for (const c of simplerSpecs(best, literal)) {
      if (tries >= budget) break;
      if (await same(c)) {
        best = c;
        improved = true;
        break;
      }
    }
  }
  // Once more, for the answer and the log line of the minimal input itself.
  const logFrom = w.p.lines.length;
  const r = await sendHttp(w.p.url, best);
  const cause = await sameCause(w, f, logFrom, httpLogMatch(best));
  if (httpClass(best, r) === '5xx' && cause !== false)
    Object.assign(f, { repro: `${describeHttp(best)}\n→ ${r.status} ${r.body.slice(0, 500)}`, replay: best, log: cause ? [cause.text] : f.log });
  return tries + 1;
}

async function minimizeVd(w: World, f: Finding, conn: FuzzConn, budget: number): Promise<number> {
  let best: unknown = f.replay;
  if (!best || typeof best !== 'object') return 0;
  const waiting = new Map<number, (f: InFrame) => void>();
  const saved = conn.onAnswer;
  conn.onAnswer = (_, __, frame) => waiting.get(frame.seq as number)?.(frame);
  let tries = 0;
  let lastText = '';
  const send = async (v: unknown): Promise<InFrame | undefined> => {
    tries++;
    await conn.ensureOpen();
    const seq = conn.nextSeq();
    const withSeq = v instanceof DupKeys ? new DupKeys(v.entries.map(([k, x]) => [k, k === 'seq' ? seq : x])) : { ...(v as object), seq };
    const answer = new Promise<InFrame | undefined>((resolve) => {
      waiting.set(seq, resolve);
      setTimeout(() => resolve(undefined), VD_ANSWER_WAIT_MS);
    });
    lastText = jsonText(withSeq);
    conn.send(lastText);
    const a = await answer;
    waiting.delete(seq);
    return a;
  };
  const match = (l: LogLine) => l.device === conn.dev.id && l.msg === 'vd handler failed';
  const same = async (v: unknown) => {
    const from = w.p.lines.length;
    return `err ${(await send(v))?.err?.code}` === f.status && (await sameCause(w, f, from, match)) !== false;
  };
  const keeps = (v: unknown) => !!v && typeof v === 'object' && (v instanceof DupKeys ? v.entries.some(([k]) => k === 'req') : 'req' in v);
  try {
    for (let improved = true; improved && tries < budget; ) {
      improved = false;
      for (const c of simpler(best)) {
        if (tries >= budget) break;
        if (keeps(c) && (await same(c))) {
          best = c;
          improved = true;
          break;
        }
      }
    }
    const logFrom = w.p.lines.length;
    const a = await send(best);
    const cause = await sameCause(w, f, logFrom, match);
    if (`err ${a?.err?.code}` === f.status && cause !== false)
      Object.assign(f, { repro: `${lastText}\n→ ${JSON.stringify(a)}`, replay: best, log: cause ? [cause.text] : f.log });
  } finally {
    conn.onAnswer = saved;
  }
  return tries;
}
