/**
 * The MDU (media distribution unit) of the Vm interface: an SRT listener that admits publishers
 * (cameras, `m=publish`) and viewers (`m=request`) by single-use tokens, and relays MPEG-TS from
 * each publisher to its viewers. All SRT work runs in a Worker; this class is the main-thread face.
 *
 * @example
 * ```ts
 * const mdu = await Mdu.start({ port: 9000, latencyMs: 120, log: (l) => console.log(JSON.stringify(l)) })
 * await mdu.allowPublisher({ streamId: 's1', token: 't1', passphrase: 'at-least-10', pbkeylen: 16 })
 * mdu.on('publish.start', (e) => console.log(e.streamId))
 * const stop = mdu.subscribe('s1', (chunk) => ws.getBufferedAmount() < LIMIT && ws.send(chunk) >= 0)
 * ```
 */
import type { SrtKeyLength } from '../srt/constants.ts';
import type { Command, LogLine, MduEvents, MduInspect, Report, StreamStats, WorkerConfig } from './protocol.ts';
import { SubscriberHub, type ChunkHandler } from './subscribers.ts';
import {
  DEFAULT_LATENCY_MS,
  LISTENER_DORMANT_AFTER_MS,
  PUBLISH_SILENCE_TIMEOUT_MS,
  SRT_LOG_LEVEL,
  SUBSCRIBER_QUEUE_MAX_BYTES,
  SUBSCRIBER_RETRY_MS,
  VIEWER_QUEUE_MAX_BYTES,
} from './constants.ts';

/** Structured logger: one object per event (the host writes it as a JSON line). */
export type MduLogger = (line: LogLine) => void;

/** Options of {@link Mdu.start}. */
export interface MduOptions {
  /** UDP port of the SRT listener; 0 picks a free one (see `mdu.port`). */
  port: number;
  /** Address to listen on (an IP literal). */
  host?: string;
  /** SRT latency (TSBPD delay) offered to callers. */
  latencyMs?: number;
  log?: MduLogger;
  /** A publisher silent this long is cut off with reason 'silent'. */
  silenceTimeoutMs?: number;
  /** Backlog bound of one SRT viewer before it is dropped as 'slow'. */
  viewerQueueBytes?: number;
  /** Backlog bound of one main-thread subscriber before it is dropped as 'slow'. */
  subscriberQueueBytes?: number;
  /** libsrt's own stderr log level (syslog numbers). */
  srtLogLevel?: number;
  /** Close the listener after this long with nothing granted or connected, until the next grant; 0: never. */
  listenerDormantAfterMs?: number;
}

/** A publisher's credentials, as issued with PushLive. */
export interface PublisherGrant {
  streamId: string;
  /** Single-use token carried as `t=` in the stream id. */
  token: string;
  /** Per-stream passphrase (10..79 characters); omit for an unencrypted stream. */
  passphrase?: string;
  pbkeylen?: SrtKeyLength;
}

/** A viewer's credentials; the token no longer admits anyone after `expiresAt` (wall-clock ms). */
export interface ViewerGrant extends PublisherGrant {
  expiresAt?: number;
}

type Listener<K extends keyof MduEvents> = (event: MduEvents[K]) => void;

const EVENT_LEVEL: Record<keyof MduEvents, LogLine['level'] | null> = {
  'publish.start': 'info',
  'publish.end': 'info',
  'viewer.join': 'info',
  'viewer.leave': 'info',
  rejected: 'warn',
  stats: null,
};

/** The relay engine driven by the stream actors. */
export class Mdu {
  private readonly listeners = new Map<keyof MduEvents, Set<Listener<keyof MduEvents>>>();
  private readonly acks = new Map<number, { resolve: (info?: MduInspect) => void; reject: (e: Error) => void }>();
  private readonly latest = new Map<string, StreamStats>();
  private readonly hub: SubscriberHub;
  private nextId = 1;
  private stopped: Promise<void> | null = null;
  private stoppedResolve: (() => void) | null = null;

  private constructor(
    private readonly worker: Worker,
    /** The UDP port the listener is bound to. */
    readonly port: number,
    private readonly log: MduLogger,
    subscriberQueueBytes: number,
  ) {
    this.hub = new SubscriberHub({
      queueMaxBytes: subscriberQueueBytes,
      retryMs: SUBSCRIBER_RETRY_MS,
      send: (m) => this.post(m),
      onJoin: (streamId, viewerId) => this.emit('viewer.join', { streamId, viewerId, kind: 'subscriber' }),
      onLeave: (streamId, viewerId, reason) => this.emit('viewer.leave', { streamId, viewerId, kind: 'subscriber', reason }),
    });
    worker.onmessage = (e: MessageEvent<Report>) => this.onReport(e.data);
    worker.addEventListener('error', (e) => this.log({ level: 'error', event: 'mdu.worker.error', error: String(e.message) }));
    worker.addEventListener('close', () => this.onWorkerGone());
  }

  /** Start the worker and its SRT listener; resolves once it listens. */
  static start(opts: MduOptions): Promise<Mdu> {
    const log = opts.log ?? ((line: LogLine) => console.log(JSON.stringify(line)));
    const config: WorkerConfig = {
      host: opts.host ?? '0.0.0.0',
      port: opts.port,
      latencyMs: opts.latencyMs ?? DEFAULT_LATENCY_MS,
      silenceTimeoutMs: opts.silenceTimeoutMs ?? PUBLISH_SILENCE_TIMEOUT_MS,
      viewerQueueBytes: opts.viewerQueueBytes ?? VIEWER_QUEUE_MAX_BYTES,
      srtLogLevel: opts.srtLogLevel ?? SRT_LOG_LEVEL,
      listenerDormantAfterMs: opts.listenerDormantAfterMs ?? LISTENER_DORMANT_AFTER_MS,
    };
    const worker = new Worker(new URL('./mdu.worker.ts', import.meta.url).href);
    return new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<Report>) => {
        const r = e.data;
        if (r.type === 'ready') {
          const mdu = new Mdu(worker, r.port, log, opts.subscriberQueueBytes ?? SUBSCRIBER_QUEUE_MAX_BYTES);
          log({ level: 'info', event: 'mdu.started', host: config.host, port: r.port, latencyMs: config.latencyMs });
          resolve(mdu);
        } else if (r.type === 'fatal') {
          worker.terminate();
          reject(new Error(`MDU failed to start: ${r.message}`));
        } else if (r.type === 'log') log(r.line);
      };
      worker.addEventListener('error', (e) => reject(new Error(`MDU worker: ${e.message}`)));
      worker.postMessage({ type: 'start', config } satisfies Command);
    });
  }

  /** Admit one publisher of `streamId` (its token is single-use). */
  allowPublisher(grant: PublisherGrant): Promise<void> {
    return this.request({ type: 'grant', id: 0, mode: 'publish', ...pick(grant) }).then(() => undefined);
  }

  /** Admit one SRT viewer of `streamId` until `expiresAt`. */
  allowViewer(grant: ViewerGrant): Promise<void> {
    return this.request({ type: 'grant', id: 0, mode: 'request', ...pick(grant), expiresAt: grant.expiresAt }).then(() => undefined);
  }

  /** Withdraw unused grants (one token, or all of the stream's); a peer admitted with `token` is disconnected. */
  revoke(streamId: string, token?: string): Promise<void> {
    return this.request({ type: 'revoke', id: 0, streamId, token }).then(() => undefined);
  }

  /** Withdraw every grant of a stream and disconnect its publisher and all viewers with `reason`. */
  closeStream(streamId: string, reason: string): Promise<void> {
    this.hub.closeStream(streamId, reason);
    this.latest.delete(streamId);
    return this.request({ type: 'close', id: 0, streamId, reason }).then(() => undefined);
  }

  /** Listen to an event; returns the function that stops listening. */
  on<K extends keyof MduEvents>(name: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as Listener<keyof MduEvents>);
    return () => set.delete(fn as Listener<keyof MduEvents>);
  }

  /**
   * Receive a stream's MPEG-TS on the main thread, whole 188-byte packets, starting at the latest
   * keyframe. `onChunk` returns false when it cannot take a chunk now: it is offered again later,
   * and a subscriber whose backlog passes `subscriberQueueBytes` is dropped ('slow').
   */
  subscribe(streamId: string, onChunk: ChunkHandler, onEnd?: (reason: string) => void): () => void {
    return this.hub.add(streamId, onChunk, onEnd);
  }

  /** The latest statistics of a stream (refreshed every second), or undefined. */
  stats(streamId: string): StreamStats | undefined {
    return this.latest.get(streamId);
  }

  /** Sockets, pending handshakes and grants held by the worker (tests, diagnostics). */
  inspect(): Promise<MduInspect> {
    return this.request({ type: 'inspect', id: 0 }).then((info) => info as MduInspect);
  }

  /** Disconnect everyone, close the listener, stop libsrt and the worker. */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.hub.closeAll('stopped');
    this.hub.dispose();
    this.stopped = new Promise<void>((resolve) => (this.stoppedResolve = resolve));
    this.post({ type: 'stop', id: this.nextId++ });
    return this.stopped;
  }

  private post(cmd: Command): void {
    this.worker.postMessage(cmd);
  }

  private request(cmd: Extract<Command, { id: number }>): Promise<MduInspect | undefined> {
    if (this.stopped) return Promise.reject(new Error('MDU stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.acks.set(id, { resolve, reject });
      this.post({ ...cmd, id });
    });
  }

  private emit<K extends keyof MduEvents>(name: K, event: MduEvents[K]): void {
    const level = EVENT_LEVEL[name];
    if (level) this.log({ level, event: `mdu.${name}`, ...event });
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        fn(event);
      } catch (e) {
        this.log({ level: 'error', event: 'mdu.listener.failed', name, error: String(e) });
      }
    }
  }

  private onReport(r: Report): void {
    if (r.type === 'data') {
      for (let i = 0, start = 0; i < r.ids.length; start = r.ends[i]!, i++) this.hub.onData(r.ids[i]!, r.buf.subarray(start, r.ends[i]));
      return;
    }
    if (r.type === 'cache') return this.hub.onCache(r.streamId, r.subId, r.chunk);
    if (r.type === 'event') {
      if (r.name === 'stats') this.latest.set(r.event.streamId, r.event);
      return this.emit(r.name, r.event as never);
    }
    if (r.type === 'ack') {
      const p = this.acks.get(r.id);
      this.acks.delete(r.id);
      if (r.error) p?.reject(new Error(r.error));
      else p?.resolve(r.info);
      return;
    }
    if (r.type === 'log') return this.log(r.line);
    if (r.type === 'stopped') {
      this.log({ level: 'info', event: 'mdu.stopped', port: this.port });
      this.worker.terminate();
    }
  }

  /** The worker ended: after stop() as planned, or by a crash (everything pending fails). */
  private onWorkerGone(): void {
    if (!this.stopped) {
      this.log({ level: 'error', event: 'mdu.worker.exited', port: this.port });
      this.stopped = Promise.resolve();
      this.hub.closeAll('mdu failed');
      this.hub.dispose();
    }
    for (const p of this.acks.values()) p.reject(new Error('MDU stopped'));
    this.acks.clear();
    this.stoppedResolve?.();
  }
}

function pick(g: PublisherGrant): { streamId: string; token: string; passphrase?: string; pbkeylen?: SrtKeyLength } {
  return { streamId: g.streamId, token: g.token, passphrase: g.passphrase, pbkeylen: g.pbkeylen };
}
