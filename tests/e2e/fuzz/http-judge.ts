/**
 * How an HTTP answer of the fuzz is counted and judged: its class (a rate limit, a camera's failure
 * relayed, a 5xx of the platform's own), the findings it makes, the log lines that go with it.
 */
import { describeHttp, type HttpResult, type HttpSpec, render, renderTarget, sendHttp, type Rendered } from './http.ts';
import type { LogLine } from './tally.ts';
import type { World } from './world.ts';

/** HTTP's Too Many Requests, and Vd's err code for the same (counted apart: how much the budgets refused). */
const TOO_MANY_REQUESTS = 429;

/** HTTP answers that are the device's doing, not the platform's: the RPC and live routes relay a camera that erred, timed out or is gone. */
const GATEWAY_RULES: { route: RegExp; statuses: number[]; detail: RegExp }[] = [
  { route: /\/rpc$/, statuses: [502, 503, 504], detail: /device|answer|connection closed/i },
  { route: /\/live$/, statuses: [503], detail: /restarting/i },
];

/** The class of an answer: `2xx`…`5xx`, `429` (a rate limit), `gateway` (a 5xx that relays a camera's failure), or why none came. */
export function httpClass(spec: HttpSpec, r: HttpResult): string {
  if (typeof r.status !== 'number') return r.status;
  if (r.status === TOO_MANY_REQUESTS) return '429';
  if (r.status >= 500 && GATEWAY_RULES.some((g) => g.route.test(spec.route) && g.statuses.includes(r.status as number) && g.detail.test(r.body)))
    return 'gateway';
  return `${Math.floor(r.status / 100)}xx`;
}

/** Send one HTTP input, count it and its answer, and record what is a finding. */
export async function fuzzHttp(w: World, spec: HttpSpec): Promise<HttpResult> {
  const logFrom = w.p.lines.length;
  w.tally.tried(spec.target);
  const rendered = render(spec);
  const r = await sendHttp(w.p.url, spec, rendered);
  judgeHttp(w, spec, r, logFrom, rendered);
  return r;
}

/** Count an answer and record what is a finding (5xx, hang, leak); the input is written out only when needed. */
export function judgeHttp(w: World, spec: HttpSpec, r: HttpResult, logFrom: number, rendered: Rendered): void {
  const cls = httpClass(spec, r);
  w.tally.answered(spec.target, cls);
  if (cls === 'neterr' || cls === 'unsendable') w.tally.noAnswer(spec.target, cls, `${r.error}: ${describeHttp(spec).slice(0, 300)}`);
  const marker = Buffer.from(w.marker);
  if (
    rendered.target.includes(w.marker) ||
    (rendered.bytes && Buffer.from(rendered.bytes.buffer, rendered.bytes.byteOffset, rendered.bytes.byteLength).includes(marker))
  ) {
    w.tally.noteMarkers(describeHttp(spec), w.marker);
  }
  if (cls === '5xx') {
    const text = describeHttp(spec);
    w.tally.found({
      kind: 'http-5xx',
      target: spec.target,
      where: spec.route,
      status: String(r.status),
      repro: `${text}\n→ ${r.status} ${r.body.slice(0, 500)}`,
      size: text.length,
      logFrom,
      logMatch: httpLogMatch(spec),
      logTo: w.p.lines.length,
      replay: spec,
    });
  } else if (cls === 'timeout') {
    const text = describeHttp(spec);
    w.tally.found({ kind: 'hang', target: spec.target, where: spec.route, status: 'no answer in 30 s', repro: text, size: text.length, logFrom, replay: spec });
  }
  if (typeof r.status === 'number' && r.status >= 400) w.tally.checkLeak(spec.target, spec.route, r.body, () => describeHttp(spec), logFrom);
}

/** Whether a log line is about the request of `spec` (the platform logs the path it routed). */
export function httpLogMatch(spec: HttpSpec): (l: LogLine) => boolean {
  const path = routedPath(renderTarget(spec).split('?')[0]!);
  return (l) => l.path === path;
}

/**
 * The path the platform routes and logs for a request path as sent: dot segments resolved as the
 * server's URL parser does, then percent escapes decoded as Hono's getPath does (decodeURI, run by
 * run when the whole does not decode; `%25` kept).
 */
function routedPath(sent: string): string {
  let p = sent;
  try {
    p = new URL(`http://h${sent.startsWith('/') ? '' : '/'}${sent}`).pathname;
  } catch {
    // as it is
  }
  const q = p.includes('%25') ? p.replace(/%25/g, '%2525') : p;
  try {
    return decodeURI(q);
  } catch {
    return q.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURI(m);
      } catch {
        return m;
      }
    });
  }
}
