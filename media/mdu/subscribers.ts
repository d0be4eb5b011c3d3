/**
 * Main-thread viewers (MPEG-TS over WebSocket and the like): fan-out of the worker's batches with a
 * bounded backlog per subscriber, so one slow consumer never holds up another.
 */

/** Receives whole TS packets; return false when the chunk was not taken (it is offered again later). */
export type ChunkHandler = (chunk: Uint8Array) => boolean;

interface Subscriber {
  id: number;
  streamId: string;
  onChunk: ChunkHandler;
  onEnd?: (reason: string) => void;
  /** Waiting for the keyframe cache; batches before it are already inside it. */
  pending: boolean;
  backlog: Uint8Array[];
  backlogBytes: number;
}

/** Options of a {@link SubscriberHub}. */
export interface HubOptions {
  /** Backlog bound per subscriber before it is dropped as 'slow'. */
  queueMaxBytes: number;
  /** How often backlogs are offered again. */
  retryMs: number;
  /** Tell the worker about joins and leaves. */
  send: (msg: { type: 'sub' | 'unsub'; streamId: string; subId: number }) => void;
  /** A subscriber joined or left (for events and logs). */
  onJoin: (streamId: string, viewerId: string) => void;
  onLeave: (streamId: string, viewerId: string, reason: string) => void;
}

/** Subscribers by stream, fed from the worker's 'cache' and 'data' reports. */
export class SubscriberHub {
  private readonly byStream = new Map<string, Map<number, Subscriber>>();
  private nextId = 1;
  private retryTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly opts: HubOptions) {}

  /** Add a subscriber; returns its unsubscribe function. */
  add(streamId: string, onChunk: ChunkHandler, onEnd?: (reason: string) => void): () => void {
    const sub: Subscriber = { id: this.nextId++, streamId, onChunk, onEnd, pending: true, backlog: [], backlogBytes: 0 };
    let subs = this.byStream.get(streamId);
    if (!subs) this.byStream.set(streamId, (subs = new Map()));
    subs.set(sub.id, sub);
    this.opts.send({ type: 'sub', streamId, subId: sub.id });
    this.opts.onJoin(streamId, viewerId(sub));
    return () => this.remove(sub, 'unsubscribed');
  }

  /** Subscribers of a stream. */
  count(streamId: string): number {
    return this.byStream.get(streamId)?.size ?? 0;
  }

  /** The worker's keyframe cache for one new subscriber: it starts there. */
  onCache(streamId: string, subId: number, chunk: Uint8Array | null): void {
    const sub = this.byStream.get(streamId)?.get(subId);
    if (!sub) return;
    sub.pending = false;
    if (chunk && chunk.byteLength > 0) this.deliver(sub, chunk);
  }

  /** A batch of whole TS packets for every ready subscriber of the stream. */
  onData(streamId: string, chunk: Uint8Array): void {
    const subs = this.byStream.get(streamId);
    if (!subs) return;
    for (const sub of subs.values()) if (!sub.pending) this.deliver(sub, chunk);
  }

  /** Drop every subscriber of a stream. */
  closeStream(streamId: string, reason: string): void {
    for (const sub of [...(this.byStream.get(streamId)?.values() ?? [])]) this.remove(sub, reason);
  }

  /** Drop everyone (shutdown). */
  closeAll(reason: string): void {
    for (const id of [...this.byStream.keys()]) this.closeStream(id, reason);
  }

  private deliver(sub: Subscriber, chunk: Uint8Array): void {
    if (sub.backlog.length > 0) this.flush(sub);
    if (sub.backlog.length === 0 && this.offer(sub, chunk)) return;
    // A copy: the chunk may be a view into a batch of several streams, which the backlog would keep whole.
    sub.backlog.push(chunk.slice());
    sub.backlogBytes += chunk.byteLength;
    if (sub.backlogBytes > this.opts.queueMaxBytes) return this.remove(sub, 'slow');
    this.armRetry();
  }

  /** Offer a chunk; a throwing handler counts as gone. */
  private offer(sub: Subscriber, chunk: Uint8Array): boolean {
    try {
      return sub.onChunk(chunk) !== false;
    } catch {
      queueMicrotask(() => this.remove(sub, 'error'));
      return true;
    }
  }

  private flush(sub: Subscriber): void {
    while (sub.backlog.length > 0) {
      const head = sub.backlog[0] as Uint8Array;
      if (!this.offer(sub, head)) return;
      sub.backlog.shift();
      sub.backlogBytes -= head.byteLength;
    }
  }

  private armRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => {
      let waiting = false;
      for (const subs of this.byStream.values())
        for (const sub of subs.values()) {
          this.flush(sub);
          waiting ||= sub.backlog.length > 0;
        }
      if (!waiting && this.retryTimer) {
        clearInterval(this.retryTimer);
        this.retryTimer = null;
      }
    }, this.opts.retryMs);
  }

  private remove(sub: Subscriber, reason: string): void {
    const subs = this.byStream.get(sub.streamId);
    if (!subs?.delete(sub.id)) return;
    if (subs.size === 0) this.byStream.delete(sub.streamId);
    sub.backlog = [];
    this.opts.send({ type: 'unsub', streamId: sub.streamId, subId: sub.id });
    this.opts.onLeave(sub.streamId, viewerId(sub), reason);
    try {
      sub.onEnd?.(reason);
    } catch {
      // the subscriber is gone either way
    }
  }

  /** Stop the retry timer. */
  dispose(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
  }
}

const viewerId = (sub: Subscriber) => `sub-${sub.id}`;
