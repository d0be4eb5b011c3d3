/**
 * The fuzz's HTTP side: a request described as data (path segments, query pairs, headers, a JSON,
 * form, text or byte body, optionally chunked), rendered to exactly what goes on the wire, and sent
 * with fetch, or with node:https from another loopback address when the platform's per-address
 * limits would otherwise stop the fuzz at the first validation (sign-ins, Vd logins, Vs).
 */
import { Agent, request } from 'node:https';
import { randomBytes } from 'node:crypto';
import { INSECURE } from '../../helpers/platform.ts';
import { formText, jsonText, pctEncode, Raw } from './values.ts';

/** How long one request may take: longer than the platform's 20 s RPC timeout (an API call waits for the device). */
export const HTTP_TIMEOUT_MS = 30_000;
/** Most of an answer's body the fuzz reads (a download or a feed is cut there). */
export const BODY_READ_MAX_BYTES = 256 * 1024;
/** MPEG-TS packet size and sync byte (ISO/IEC 13818-1). */
const TS_PACKET_BYTES = 188;
const TS_SYNC_BYTE = 0x47;
/** Byte sequences that are not UTF-8: a stray continuation byte, an overlong '/', a lone surrogate, a cut sequence. */
export const INVALID_UTF8: readonly number[][] = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]];
/** Size of the pieces a chunked body is sent in. */
const CHUNK_BYTES = 512;

/** A request body as data. */
export type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; pairs: unknown[] }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; size: number; fill?: number }
  /** Text with bytes spliced in after its first `at` (invalid UTF-8 where text is expected). */
  | { kind: 'spliced'; text: string; at: string; bytes: number[] };

/** One HTTP request as data: printed in full when it fails, and re-sent by the minimizer. */
export interface HttpSpec {
  /** Which fuzz target sent it, and the route template its answers are grouped under. */
  target: string;
  route: string;
  method: string;
  /** Path segments after the first `/`: strings are percent-encoded, Raw ones written as they are. */
  path: unknown[];
  query?: unknown[];
  headers?: Record<string, string>;
  body?: BodySpec;
  /** Send the body as a stream (Transfer-Encoding: chunked, no Content-Length). */
  chunked?: boolean;
  /** Loopback address to send from (node:https); absent: fetch from 127.0.0.1. */
  source?: string;
  /** A WebSocket upgrade attempt (node:https): 101 means the upgrade was granted. */
  upgrade?: boolean;
}

/** What came back. */
export interface HttpResult {
  status: number | 'timeout' | 'neterr' | 'unsendable';
  body: string;
  headers: Record<string, string>;
  ms: number;
  error?: string;
}

/** The URL path and query of a spec, exactly as sent. */
export function renderTarget(s: HttpSpec): string {
  const seg = (x: unknown) => (x instanceof Raw ? x.text : pctEncode(typeof x === 'string' ? x : jsonText(x)));
  const path = `/${s.path.map(seg).join('/')}`;
  return s.query && s.query.length > 0 ? `${path}?${formText(s.query)}` : path;
}

/** The body's bytes, exactly as sent. */
export function renderBody(b: BodySpec | undefined): Uint8Array<ArrayBuffer> | undefined {
  if (!b) return undefined;
  const enc = new TextEncoder();
  if (b.kind === 'json') return enc.encode(jsonText(b.value));
  if (b.kind === 'form') return enc.encode(formText(b.pairs));
  if (b.kind === 'text') return enc.encode(b.text);
  if (b.kind === 'spliced') {
    const cut = b.text.indexOf(b.at) + b.at.length;
    return new Uint8Array([...enc.encode(b.text.slice(0, cut)), ...b.bytes, ...enc.encode(b.text.slice(cut))]);
  }
  const bytes = new Uint8Array(b.size);
  // MPEG-TS-looking bytes: a sync byte at each packet's start (what a segment upload carries).
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % TS_PACKET_BYTES === 0 ? TS_SYNC_BYTE : (b.fill ?? (i * 31) & 0xff);
  return bytes;
}

/** The whole request as text, for the report (bodies over 64 KB summarised by size). */
export function describeHttp(s: HttpSpec, base = ''): string {
  const body = renderBody(s.body);
  const headers = Object.entries(s.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
  if (s.chunked) headers.push('Transfer-Encoding: chunked');
  if (s.source) headers.push(`(sent from ${s.source})`);
  const text = !body
    ? ''
    : s.body!.kind === 'bytes'
      ? `<${body.length} bytes>`
      : s.body!.kind === 'spliced'
        ? `${s.body!.text.replace(s.body!.at, `${s.body!.at}<bytes ${Buffer.from(s.body!.bytes).toString('hex')}>`)}`
        : body.length > 64 * 1024
          ? `<${body.length} bytes: ${new TextDecoder().decode(body.slice(0, 200))}…>`
          : new TextDecoder().decode(body);
  return [`${s.method} ${base}${renderTarget(s)}${s.upgrade ? ' (WebSocket upgrade)' : ''}`, ...headers, ...(text ? ['', text] : [])].join('\n');
}

function streamOf(bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let at = 0;
  return new ReadableStream({
    pull(ctl) {
      if (at >= bytes.length) return ctl.close();
      ctl.enqueue(bytes.slice(at, at + CHUNK_BYTES));
      at += CHUNK_BYTES;
    },
  });
}

async function readBounded(r: Response): Promise<string> {
  if (!r.body) return '';
  if ((r.headers.get('content-type') ?? '').includes('event-stream')) {
    await r.body.cancel().catch(() => {});
    return '';
  }
  const reader = r.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.byteLength;
    if (n >= BODY_READ_MAX_BYTES) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(parts));
}

/** A spec rendered to its wire form: the path and query, and the body's bytes. */
export interface Rendered {
  target: string;
  bytes: Uint8Array<ArrayBuffer> | undefined;
}

/** Render a spec once (its target and body), for sending and for looking into. */
export function render(s: HttpSpec): Rendered {
  return { target: renderTarget(s), bytes: renderBody(s.body) };
}

/** Send a spec to the platform at `base`. Never throws: failures to send are results too. */
export async function sendHttp(base: string, s: HttpSpec, r: Rendered = render(s)): Promise<HttpResult> {
  return s.source || s.upgrade ? sendNode(base, s, r) : sendFetch(base, s, r);
}

async function sendFetch(base: string, s: HttpSpec, { target, bytes }: Rendered): Promise<HttpResult> {
  const t0 = performance.now();
  const url = `${base}${target}`;
  try {
    const r = await fetch(url, {
      method: s.method,
      headers: s.headers,
      body: bytes && s.chunked ? streamOf(bytes) : bytes,
      redirect: 'manual',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      ...INSECURE,
    } as RequestInit);
    const body = await readBounded(r);
    return { status: r.status, body, headers: Object.fromEntries(r.headers), ms: performance.now() - t0 };
  } catch (err) {
    const e = err as Error;
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
      return { status: 'timeout', body: '', headers: {}, ms: performance.now() - t0, error: String(err) };
    // fetch refuses some requests before sending them (a header value it cannot write).
    const unsendable = e instanceof TypeError && /header|invalid|url/i.test(e.message);
    return { status: unsendable ? 'unsendable' : 'neterr', body: '', headers: {}, ms: performance.now() - t0, error: String(err) };
  }
}

const agents = new Map<string, Agent>();
/** One keep-alive agent per loopback source address. */
function agentFor(source: string): Agent {
  let a = agents.get(source);
  if (!a) {
    a = new Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false, localAddress: source } as ConstructorParameters<typeof Agent>[0]);
    agents.set(source, a);
  }
  return a;
}

/** Close every keep-alive socket of the node:https side. */
export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

function sendNode(base: string, s: HttpSpec, { target, bytes }: Rendered): Promise<HttpResult> {
  const t0 = performance.now();
  const headers: Record<string, string> = { ...s.headers };
  if (s.upgrade)
    Object.assign(headers, {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    });
  if (bytes && !s.chunked) headers['Content-Length'] = String(bytes.length);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<HttpResult, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => {
      finish({ status: 'timeout', body: '', headers: {} });
      req?.destroy();
    }, HTTP_TIMEOUT_MS);
    let req: ReturnType<typeof request> | undefined;
    try {
      const url = new URL(base);
      req = request({
        host: url.hostname,
        port: url.port,
        path: target,
        method: s.method,
        headers,
        ...(s.upgrade
          ? { agent: false, localAddress: s.source, rejectUnauthorized: false }
          : s.source
            ? { agent: agentFor(s.source) }
            : { agent: false, rejectUnauthorized: false }),
      });
    } catch (err) {
      return finish({ status: 'unsendable', body: '', headers: {}, error: String(err) });
    }
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      finish({ status: res.statusCode ?? 101, body: '', headers: flat(res.headers) });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < BODY_READ_MAX_BYTES) body += d;
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, body, headers: flat(res.headers) }));
      res.on('error', (err) => finish({ status: res.statusCode ?? 0, body, headers: flat(res.headers), error: String(err) }));
    });
    req.on('error', (err) => finish({ status: 'neterr', body: '', headers: {}, error: String(err) }));
    if (bytes) req.write(Buffer.from(bytes));
    req.end();
  });
}

function flat(h: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
}

/**
 * Blocks of loopback source addresses, one per use, so that one use's failures (a wrong password
 * slows its address down) never slow another's: `from` and how many addresses the block has.
 */
export const SOURCES = {
  vdLogin: { from: 1, size: 20_000 },
  signIn: { from: 30_000, size: 20_000 },
  vs: { from: 50_000, size: 512 },
} as const;

/** Address number `n` of a block (127.42.x.y): a client of its own for the platform's per-address limits. */
export function loopbackSource(block: { from: number; size: number }, n: number): string {
  const k = block.from + (n % block.size);
  return `127.42.${(k >> 8) & 0xff}.${k & 0xff || 1}`;
}
