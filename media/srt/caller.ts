/**
 * An SRT caller (client) on its own Worker: the device simulator's publisher and the tests' viewer.
 *
 * @example
 * ```ts
 * const c = await SrtCaller.connect({ host: '127.0.0.1', port, streamId: '#!::r=s,m=publish,t=tok' })
 * c.send(tsBytes)
 * await c.close()
 * ```
 */
import type { SrtKeyLength } from './constants.ts';
import { SrtError } from './socket.ts';
import type { SrtStats } from './stats.ts';

/** Where and how to connect. */
export interface CallerOptions {
  /** IP literal of the listener. */
  host: string;
  port: number;
  streamId: string;
  passphrase?: string;
  pbkeylen?: SrtKeyLength;
  latencyMs?: number;
  connectTimeoutMs?: number;
}

/** Main → caller worker. */
export type CallerCommand = ({ type: 'connect' } & CallerOptions) | { type: 'send'; chunk: Uint8Array } | { type: 'stats'; id: number } | { type: 'close' };

/** Caller worker → main. */
export type CallerReport =
  | { type: 'connected' }
  | { type: 'error'; op: string; code: number; message: string; rejectReason?: number }
  | { type: 'data'; chunk: Uint8Array }
  | { type: 'stats'; id: number; stats: SrtStats | null }
  | { type: 'closed'; reason: string; dropped: number };

/** A connected SRT caller; blocking libsrt calls run on its worker. */
export class SrtCaller {
  /** Called with batches of received bytes (message boundaries are not kept). */
  onData: ((chunk: Uint8Array) => void) | null = null;
  /** Resolves with why the connection ended ('closed', 'disconnected'). */
  readonly closed: Promise<string>;
  private resolveClosed!: (reason: string) => void;
  private readonly statsWaiters = new Map<number, (s: SrtStats | null) => void>();
  private nextId = 1;
  private ended = false;
  /** Messages libsrt refused to queue (send buffer full). */
  dropped = 0;

  private constructor(private readonly worker: Worker) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
  }

  /** Connect; rejects with an {@link SrtError} whose `rejectReason` says why a listener refused. */
  static connect(opts: CallerOptions): Promise<SrtCaller> {
    const worker = new Worker(new URL('./caller.worker.ts', import.meta.url).href);
    const caller = new SrtCaller(worker);
    return new Promise((resolve, reject) => {
      let error: SrtError | null = null;
      worker.onmessage = (e: MessageEvent<CallerReport>) => {
        const r = e.data;
        if (r.type === 'connected') resolve(caller);
        else if (r.type === 'error') error = new SrtError(r.op, r.code, r.message, r.rejectReason);
        else if (r.type === 'data') caller.onData?.(r.chunk);
        else if (r.type === 'stats') {
          caller.statsWaiters.get(r.id)?.(r.stats);
          caller.statsWaiters.delete(r.id);
        } else if (r.type === 'closed') {
          caller.ended = true;
          caller.dropped = r.dropped;
          worker.terminate();
          for (const w of caller.statsWaiters.values()) w(null);
          caller.resolveClosed(r.reason);
          if (error) reject(error);
        }
      };
      worker.postMessage({ type: 'connect', ...opts } satisfies CallerCommand);
    });
  }

  /** Send bytes, split into live-mode messages of at most 1316 bytes. */
  send(chunk: Uint8Array): void {
    if (!this.ended) this.worker.postMessage({ type: 'send', chunk } satisfies CallerCommand);
  }

  /** srt_bstats of the socket, or null once closed. */
  stats(): Promise<SrtStats | null> {
    if (this.ended) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.statsWaiters.set(id, resolve);
      this.worker.postMessage({ type: 'stats', id } satisfies CallerCommand);
    });
  }

  /** Close the socket and the worker. */
  close(): Promise<string> {
    if (!this.ended) this.worker.postMessage({ type: 'close' } satisfies CallerCommand);
    return this.closed;
  }
}
