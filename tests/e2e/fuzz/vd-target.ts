/**
 * The Vd targets. Frames: every message name of the catalog (protocol/vd.ts) as request and event,
 * the PU's own messages from Appendix I's examples mutated field by field, answers with random seq,
 * garbage text, invalid UTF-8, oversized frames (made in vd-frames.ts); pipelined on several logged-in connections, each
 * request's answer matched by seq. Logins: `/Vd?…` upgrade attempts with mutated queries, each from
 * its own loopback address (the per-address login throttle would otherwise answer them all 429).
 */
import fc from 'fast-check';
import { answerPlans, fuzzAnswers } from './answers.ts';
import { loopbackSource, SOURCES, type HttpSpec } from './http.ts';
import { InputStream, Ref, resolveRefs } from './values.ts';
import { mutate, mutations } from './hostile.ts';
import { FUZZ_PASSWORD, going, remember, VICTIM_ID, VICTIMS, type World } from './world.ts';
import { fuzzHttp } from './http-judge.ts';
import type { FuzzConn, InFrame, Sent } from './vd-conn.ts';
import { triggerOf } from './tally.ts';
import { frames, renderFrame } from './vd-frames.ts';

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
