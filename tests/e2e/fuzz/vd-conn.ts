/**
 * One fuzzing camera's Vd connection: a logged-in WebSocket that sends whatever it is given (text
 * or bytes, pipelined), keeps the requests it sent by seq until their answer comes, hands the
 * platform's own requests to an answering policy, and logs in again after the platform closes it.
 */

/** A camera the fuzz provisioned. */
export interface DeviceCreds {
  id: string;
  password: string;
  mac: string;
  channels: number[];
}

/** A frame the platform sent. */
export type InFrame = {
  req?: unknown;
  event?: unknown;
  seq?: unknown;
  params?: Record<string, unknown>;
  resp?: unknown;
  err?: { code?: unknown; msg?: unknown };
};

/** A request the fuzz sent and is waiting on. */
export interface Sent {
  /** Input index in its stream, and the frame's text as sent. */
  index: number;
  name: string;
  text: string;
  /** The frame as data (with its raw tokens and repeated keys), for the minimizer. */
  value?: unknown;
  logFrom: number;
  sentAt: number;
}

/** Delay before logging in again after a close or a refused login, growing per failure up to the max. */
const RECONNECT_BASE_MS = 50;
const RECONNECT_MAX_MS = 2000;
/** Frames each connection remembers for attributing errors in the log. */
const RECENT_FRAMES = 500;
/** Keepalive period of the well-behaved cameras (well within three 10 s heartbeats). */
export const POLITE_KEEPALIVE_MS = 3000;

/** A Vd connection of one fuzz camera. */
export class FuzzConn {
  ws?: WebSocket;
  open = false;
  stopped = false;
  failures = 0;
  logins = 0;
  private seq = 0;
  readonly pending = new Map<number, Sent>();
  /** The frames sent last (to name the input behind an error in the log that no answer showed). */
  readonly recent: Sent[] = [];
  private waiters: (() => void)[] = [];
  private keepalive?: ReturnType<typeof setInterval>;

  /** The platform asked something (answer it); an answer to one of ours came; the socket closed. */
  onPlatformRequest: (conn: FuzzConn, f: InFrame & { req: string; seq: number }) => void = () => {};
  onAnswer: (conn: FuzzConn, sent: Sent | undefined, f: InFrame) => void = () => {};
  onClose: (conn: FuzzConn, code: number, pending: Sent[]) => void = () => {};

  constructor(
    readonly base: string,
    readonly dev: DeviceCreds,
    readonly extraQuery: Record<string, string> = {},
  ) {}

  /** Log in (again); resolves whether the socket opened. */
  connect(): Promise<boolean> {
    const query = new URLSearchParams({
      login_code: this.dev.id,
      login_passwd: this.dev.password,
      hardware_model: 'FUZZ-CAM',
      firmware_model: 'V1.0.0',
      sdk: '1.0',
      reconnect: this.logins > 0 ? '1' : '0',
      ...this.extraQuery,
    });
    const ws = new WebSocket(`${this.base.replace(/^https/, 'wss')}/Vd?${query}`, { tls: { rejectUnauthorized: false } } as never);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    return new Promise((resolve) => {
      ws.onopen = () => {
        this.open = true;
        this.failures = 0;
        this.logins++;
        this.wake();
        resolve(true);
      };
      ws.onmessage = (m) => this.receive(m.data);
      ws.onclose = (e) => {
        const wasOpen = this.open;
        this.open = false;
        if (this.ws === ws) this.ws = undefined;
        const lost = [...this.pending.values()];
        this.pending.clear();
        if (wasOpen) this.onClose(this, e.code, lost);
        else this.failures++;
        this.wake();
        resolve(false);
      };
    });
  }

  /** Keep the connection open: log in again until it works or the conn is stopped. */
  async ensureOpen(): Promise<void> {
    while (!this.open && !this.stopped) {
      if (this.failures > 0) await Bun.sleep(Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(this.failures, 6)));
      if (this.stopped) return;
      await this.connect();
    }
  }

  /** A fresh seq for a request of ours. */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Remember a frame among the recent ones (a bounded ring). */
  remember(s: Sent): void {
    this.recent.push(s);
    if (this.recent.length > RECENT_FRAMES) this.recent.shift();
  }

  /** Send text or bytes; false when the socket is not open. */
  send(data: string | Uint8Array<ArrayBuffer>): boolean {
    if (!this.open || !this.ws) return false;
    try {
      this.ws.send(data);
      return true;
    } catch {
      return false;
    }
  }

  /** Bytes queued in the socket, not yet written. */
  get buffered(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** Resolve at the next answer, open or close (or after `ms`). */
  settle(ms = 50): Promise<void> {
    return new Promise((r) => {
      this.waiters.push(r);
      setTimeout(r, ms);
    });
  }

  /** Send a valid Keepalive every few seconds (cameras that must stay online). */
  keepAlive(periodMs = POLITE_KEEPALIVE_MS): void {
    const beat = () =>
      this.send(
        JSON.stringify({ req: 'Keepalive', seq: this.nextSeq(), params: { state: 1, channels: this.dev.channels.map((channel) => ({ channel, state: 1 })) } }),
      );
    this.keepalive = setInterval(beat, periodMs);
  }

  /** Close for good. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.keepalive);
    this.ws?.close();
    this.wake();
  }

  private receive(data: unknown): void {
    let f: InFrame;
    try {
      f = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer)) as InFrame;
    } catch {
      return;
    }
    if (typeof f.req === 'string' && typeof f.seq === 'number') this.onPlatformRequest(this, f as InFrame & { req: string; seq: number });
    else if ('resp' in f || 'err' in f) {
      const sent = typeof f.seq === 'number' ? this.pending.get(f.seq) : undefined;
      if (sent) this.pending.delete(f.seq as number);
      this.onAnswer(this, sent, f);
      this.wake();
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
