/**
 * A bare Vd client for protocol tests: it speaks the wire format by hand so that tests can send
 * exactly what a (possibly broken) camera would. Complete camera behaviour lives in device/.
 */
import { request } from 'node:https';
import { randomBytes } from 'node:crypto';

/** The HTTP answer to a Vd upgrade request that was refused. */
export interface RefusedUpgrade {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Ask for a Vd upgrade and report the status: 101 when it was accepted. `localAddress` picks the
 * source address (any 127.x.y.z on Linux): Bun's fetch and WebSocket cannot, node:https can.
 */
export function tryUpgrade(baseUrl: string, query: Record<string, string>, opts: { localAddress?: string } = {}): Promise<RefusedUpgrade> {
  const url = new URL(`/Vd?${new URLSearchParams(query)}`, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      rejectUnauthorized: false,
      // a connection of its own: a pooled one may be a dead platform's that an earlier test left on a reused port
      agent: false,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A frame received from the platform. */
export type Frame = { req?: string; event?: string; seq?: number; params?: Record<string, unknown>; resp?: unknown; err?: { code: number; msg: string } };

/** A connected raw Vd client. */
export class RawDevice {
  readonly frames: Frame[] = [];
  closed?: { code: number; reason: string };
  private waiters: Array<() => void> = [];
  private seq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => {
      try {
        this.frames.push(JSON.parse(String(m.data)));
      } catch {
        this.frames.push({ event: '(unparsable)' });
      }
      this.wake();
    };
    ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    };
  }

  /** Log in over Vd; rejects if the socket does not open. */
  static connect(baseUrl: string, query: Record<string, string>): Promise<RawDevice> {
    const url = new URL(`/Vd?${new URLSearchParams(query)}`, baseUrl.replace(/^http/, 'ws'));
    const ws = new WebSocket(url.toString(), { tls: { rejectUnauthorized: false } } as never);
    const d = new RawDevice(ws);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(d);
      ws.onerror = () => reject(new Error('vd login failed'));
    });
  }

  /** Send a raw string. */
  raw(text: string | Uint8Array<ArrayBuffer>): void {
    this.ws.send(text);
  }

  /** Send an RPC request; returns its seq. */
  request(req: string, params?: unknown): number {
    const seq = ++this.seq;
    this.ws.send(JSON.stringify(params === undefined ? { req, seq } : { req, params, seq }));
    return seq;
  }

  /** Send an event. */
  event(event: string, params?: unknown): void {
    this.ws.send(JSON.stringify(params === undefined ? { event } : { event, params }));
  }

  /** Answer a platform request. */
  answer(seq: number, resp: unknown): void {
    this.ws.send(JSON.stringify({ seq, resp }));
  }

  /** Send an RPC and wait for its answer. */
  async call(req: string, params?: unknown, timeoutMs = 5000): Promise<Frame> {
    const seq = this.request(req, params);
    return this.next((f) => f.seq === seq && f.req === undefined, timeoutMs);
  }

  /** Wait for a frame matching `pred` (received already or later). */
  async next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) {
        this.frames.splice(this.frames.indexOf(f), 1);
        return f;
      }
      if (Date.now() > end) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** Wait until the socket closes. */
  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('socket did not close');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.closed;
  }

  /** Close the socket. */
  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
