/**
 * The worker's data path: publisher sockets in, SRT viewers and main-thread batches out. Runs on the
 * relay worker only. The hot loop calls libsrt through raw FFI with addresses into buffers allocated
 * once, so a relayed packet costs one srt_recvmsg, one srt_sendmsg per viewer and a few copies.
 */
import { ptr, type Pointer } from 'bun:ffi';
import { srtLib } from '../srt/ffi.ts';
import * as srt from '../srt/socket.ts';
import { SrtEpoll, SrtErrno, SRT_LIVE_MAX_PAYLOAD_BYTES, SRT_LIVE_PAYLOAD_BYTES } from '../srt/constants.ts';
import type { AccessTable } from '../srt/acl.ts';
import type { SrtStats } from '../srt/stats.ts';
import { copyBytes, isAligned, TsAligner, TsTracker, TS_PACKET_BYTES } from './ts.ts';
import { ByteRing } from './ring.ts';
import type { Report, WorkerConfig } from './protocol.ts';
import { KEYFRAME_CACHE_INITIAL_BYTES, KEYFRAME_CACHE_MAX_BYTES, SUBSCRIBER_BATCH_MAX_BYTES, SUBSCRIBER_BATCH_MAX_DELAY_MS } from './constants.ts';

/** Receive buffer: one live-mode message at most. */
const RX_BYTES = SRT_LIVE_MAX_PAYLOAD_BYTES;

interface Publisher {
  sock: number;
  token: string;
  peer?: string;
  since: number;
  lastPacketAt: number;
  packets: number;
  bytes: number;
}

interface Viewer {
  sock: number;
  id: string;
  token: string;
  stream: Stream;
  queue: ByteRing | null;
  watchingOut: boolean;
}

class Stream {
  publisher: Publisher | null = null;
  /** SRT viewers, an array so the hot loop iterates without an iterator object. */
  viewers: Viewer[] = [];
  subscribers = new Set<number>();
  readonly ts = new TsTracker(KEYFRAME_CACHE_MAX_BYTES, KEYFRAME_CACHE_INITIAL_BYTES);
  aligner: TsAligner | null = null;
  batch: Uint8Array | null = null;
  batchFill = 0;
  batchSince = 0;
  statsBytes = 0;
  statsAt = 0;
  constructor(readonly id: string) {}
}

/** Streams, their publisher and viewers, and the packet path between them. */
export class Relay {
  private readonly lib = srtLib();
  private readonly streams = new Map<string, Stream>();
  private readonly publisherOf = new Map<number, Stream>();
  private readonly viewerOf = new Map<number, Viewer>();
  private readonly batching = new Set<Stream>();
  private readonly rx = new Uint8Array(RX_BYTES);
  private readonly rxPtr = ptr(this.rx);
  private readonly aligned = new Uint8Array(RX_BYTES + TS_PACKET_BYTES);
  private readonly alignedPtr = ptr(this.aligned);
  /** Time of the current wake (performance.now()), set by the loop once per wake. */
  now = 0;

  constructor(
    private readonly eid: number,
    private readonly config: WorkerConfig,
    private readonly acl: AccessTable,
    private readonly report: (r: Report, transfer?: Transferable[]) => void,
  ) {}

  private stream(id: string): Stream {
    let s = this.streams.get(id);
    if (!s) this.streams.set(id, (s = new Stream(id)));
    return s;
  }

  /** True when `streamId` has a publisher. */
  isLive(streamId: string): boolean {
    return !!this.streams.get(streamId)?.publisher;
  }

  /** SRT sockets held (publishers and viewers). */
  socketCount(): number {
    return this.publisherOf.size + this.viewerOf.size;
  }

  /** Ids of the streams known to the relay. */
  streamIds(): string[] {
    return [...this.streams.keys()];
  }

  /** Dispatch one epoll event; false when the socket is not the relay's. */
  onSocketEvent(sock: number, events: number): boolean {
    const stream = this.publisherOf.get(sock);
    if (stream) {
      if (events & SrtEpoll.IN) this.readPublisher(stream);
      if (events & SrtEpoll.ERR && stream.publisher?.sock === sock) this.endPublisher(stream, 'disconnected');
      return true;
    }
    const viewer = this.viewerOf.get(sock);
    if (!viewer) return false;
    if (events & SrtEpoll.ERR) this.dropViewer(viewer, 'disconnected');
    else if (events & SrtEpoll.OUT) this.flushViewer(viewer);
    return true;
  }

  /** Take an accepted socket as the publisher of `streamId` (throws when libsrt refuses to watch it). */
  addPublisher(streamId: string, sock: number, token: string, peer?: string): void {
    srt.epollAdd(this.eid, sock, SrtEpoll.IN | SrtEpoll.ERR);
    const s = this.stream(streamId);
    s.publisher = { sock, token, peer, since: this.now, lastPacketAt: this.now, packets: 0, bytes: 0 };
    s.statsBytes = 0;
    s.statsAt = this.now;
    s.ts.reset();
    s.aligner = null;
    this.publisherOf.set(sock, s);
    this.acl.setLive(streamId, true);
    this.report({ type: 'event', name: 'publish.start', event: { streamId, peer, token } });
  }

  /** Take an accepted socket as an SRT viewer of `streamId`; it starts at the latest keyframe. */
  addViewer(streamId: string, sock: number, token: string, peer?: string): void {
    srt.epollAdd(this.eid, sock, SrtEpoll.ERR);
    const s = this.stream(streamId);
    const v: Viewer = { sock, id: `srt-${sock}`, token, stream: s, queue: null, watchingOut: false };
    s.viewers.push(v);
    this.viewerOf.set(sock, v);
    this.report({ type: 'event', name: 'viewer.join', event: { streamId, viewerId: v.id, kind: 'srt', peer, token } });
    const cached = s.ts.cached();
    if (cached) this.send(v, cached, ptr(cached), 0, cached.byteLength);
  }

  private readPublisher(s: Stream): void {
    const pub = s.publisher;
    if (!pub) return;
    const lib = this.lib;
    // One message per readiness report: epoll is level-triggered, so a socket with more ready
    // reports again at once, and no call ends in libsrt's costly EAGAIN path (a C++ exception).
    const n = lib.srt_recvmsg(pub.sock, this.rxPtr, RX_BYTES);
    if (n <= 0) {
      if (n < 0 && lib.srt_getlasterror(null) !== SrtErrno.EASYNCRCV) this.endPublisher(s, 'disconnected');
      return;
    }
    pub.packets++;
    pub.bytes += n;
    pub.lastPacketAt = this.now;
    if (s.aligner === null && isAligned(this.rx, 0, n)) this.forward(s, this.rx, this.rxPtr, n);
    else {
      s.aligner ??= new TsAligner();
      const m = s.aligner.align(this.rx, 0, n, this.aligned);
      if (m > 0) this.forward(s, this.aligned, this.alignedPtr, m);
    }
  }

  /** Whole TS packets at the start of `buf` go to the cache, each SRT viewer and the batch. */
  private forward(s: Stream, buf: Uint8Array, base: number, len: number): void {
    s.ts.push(buf, 0, len);
    const viewers = s.viewers;
    for (let i = viewers.length - 1; i >= 0; i--) this.send(viewers[i] as Viewer, buf, base, 0, len);
    if (s.subscribers.size > 0) this.appendBatch(s, buf, len);
  }

  private send(v: Viewer, buf: Uint8Array, base: number, off: number, len: number): void {
    if (v.queue !== null && v.queue.size > 0) {
      if (!v.queue.push(buf, off, len)) this.dropViewer(v, 'slow');
      return;
    }
    const lib = this.lib;
    const end = off + len;
    for (let o = off; o < end; ) {
      const n = Math.min(SRT_LIVE_PAYLOAD_BYTES, end - o);
      if (lib.srt_sendmsg(v.sock, (base + o) as Pointer, n, -1, 0) < 0) {
        if (lib.srt_getlasterror(null) === SrtErrno.EASYNCSND) this.enqueue(v, buf, o, end - o);
        else this.dropViewer(v, 'disconnected');
        return;
      }
      o += n;
    }
  }

  private enqueue(v: Viewer, buf: Uint8Array, off: number, len: number): void {
    const unit = SRT_LIVE_PAYLOAD_BYTES;
    v.queue ??= new ByteRing(Math.max(unit, Math.floor(this.config.viewerQueueBytes / unit) * unit));
    if (!v.queue.push(buf, off, len)) return this.dropViewer(v, 'slow');
    if (!v.watchingOut) {
      srt.epollUpdate(this.eid, v.sock, SrtEpoll.ERR | SrtEpoll.OUT);
      v.watchingOut = true;
    }
  }

  private flushViewer(v: Viewer): void {
    const q = v.queue;
    const lib = this.lib;
    while (q !== null && q.size > 0) {
      const [off, n] = q.peek(SRT_LIVE_PAYLOAD_BYTES);
      if (lib.srt_sendmsg(v.sock, (q.base + off) as Pointer, n, -1, 0) < 0) {
        if (lib.srt_getlasterror(null) !== SrtErrno.EASYNCSND) this.dropViewer(v, 'disconnected');
        return;
      }
      q.consume(n);
    }
    if (v.watchingOut) {
      srt.epollUpdate(this.eid, v.sock, SrtEpoll.ERR);
      v.watchingOut = false;
    }
  }

  private appendBatch(s: Stream, buf: Uint8Array, len: number): void {
    const batch = (s.batch ??= new Uint8Array(SUBSCRIBER_BATCH_MAX_BYTES));
    if (s.batchFill + len > batch.length) this.flushBatch(s);
    if (s.batchFill === 0) {
      s.batchSince = this.now;
      this.batching.add(s);
    }
    copyBytes(buf, 0, len, batch, s.batchFill);
    s.batchFill += len;
  }

  /** Post one stream's batch now (it is full, or a subscriber joins or the stream ends). */
  private flushBatch(s: Stream): void {
    this.batching.delete(s);
    if (s.batchFill === 0 || !s.batch) return;
    this.postBatches([s], s.batchFill);
  }

  /**
   * The batches of `list` in one message: one buffer, each stream's bytes one after another. One
   * post per wake rather than one per stream: the main thread handles a message event and a buffer
   * per post, and at 50 streams per-stream posts were 9,500 a second.
   */
  private postBatches(list: Stream[], total: number): void {
    const buf = new Uint8Array(total);
    const ids: string[] = [];
    const ends: number[] = [];
    let at = 0;
    for (const s of list) {
      copyBytes(s.batch!, 0, s.batchFill, buf, at);
      at += s.batchFill;
      s.batchFill = 0;
      ids.push(s.id);
      ends.push(at);
    }
    this.report({ type: 'data', ids, ends, buf }, [buf.buffer]);
  }

  /** True while some batch waits to be posted. */
  hasBatches(): boolean {
    return this.batching.size > 0;
  }

  /** Post every batch older than `SUBSCRIBER_BATCH_MAX_DELAY_MS`, together. */
  flushBatches(): void {
    if (this.batching.size === 0) return;
    const due: Stream[] = [];
    let total = 0;
    for (const s of this.batching) {
      if (this.now - s.batchSince < SUBSCRIBER_BATCH_MAX_DELAY_MS) continue;
      due.push(s);
      total += s.batchFill;
    }
    for (const s of due) this.batching.delete(s);
    if (total > 0) this.postBatches(due, total);
  }

  /** A main-thread subscriber joins: pending data is posted first, then the keyframe cache for it alone. */
  subscribe(streamId: string, subId: number): void {
    const s = this.stream(streamId);
    this.flushBatch(s);
    s.subscribers.add(subId);
    const cached = s.ts.cached();
    const chunk = cached ? cached.slice() : null;
    this.report({ type: 'cache', streamId, subId, chunk }, chunk ? [chunk.buffer] : []);
  }

  /** A main-thread subscriber leaves. */
  unsubscribe(streamId: string, subId: number): void {
    this.streams.get(streamId)?.subscribers.delete(subId);
  }

  /** Close the publisher of a stream and tell why. */
  private endPublisher(s: Stream, reason: string): void {
    const pub = s.publisher;
    if (!pub) return;
    this.flushBatch(s);
    s.publisher = null;
    this.publisherOf.delete(pub.sock);
    srt.epollRemove(this.eid, pub.sock);
    srt.close(pub.sock);
    this.acl.setLive(s.id, false);
    s.ts.reset();
    const event = { streamId: s.id, reason, packets: pub.packets, bytes: pub.bytes, durationMs: Math.round(this.now - pub.since) };
    this.report({ type: 'event', name: 'publish.end', event });
  }

  /** Close an SRT viewer and tell why. */
  private dropViewer(v: Viewer, reason: string): void {
    if (this.viewerOf.get(v.sock) !== v) return;
    this.viewerOf.delete(v.sock);
    const list = v.stream.viewers;
    list.splice(list.indexOf(v), 1);
    srt.epollRemove(this.eid, v.sock);
    srt.close(v.sock);
    this.report({ type: 'event', name: 'viewer.leave', event: { streamId: v.stream.id, viewerId: v.id, kind: 'srt', reason, token: v.token } });
  }

  /** Disconnect the peer admitted with `token` (a revoked grant); true if one was. */
  disconnectToken(streamId: string, token: string, reason: string): boolean {
    const s = this.streams.get(streamId);
    if (!s) return false;
    if (s.publisher?.token === token) {
      this.endPublisher(s, reason);
      return true;
    }
    const v = s.viewers.find((x) => x.token === token);
    if (v) this.dropViewer(v, reason);
    return !!v;
  }

  /** Disconnect everyone on a stream and forget it. */
  closeStream(streamId: string, reason: string): void {
    const s = this.streams.get(streamId);
    if (!s) return;
    this.endPublisher(s, reason);
    for (const v of [...s.viewers]) this.dropViewer(v, reason);
    this.batching.delete(s);
    this.streams.delete(streamId);
  }

  /** Disconnect everything (shutdown). */
  closeAll(reason: string): void {
    for (const id of [...this.streams.keys()]) this.closeStream(id, reason);
  }

  /** Cut publishers silent for longer than the configured timeout. */
  checkSilence(): void {
    for (const s of this.publisherOf.values()) {
      const pub = s.publisher;
      if (pub && this.now - pub.lastPacketAt > this.config.silenceTimeoutMs) this.endPublisher(s, 'silent');
    }
  }

  /** Forget streams with nobody on them and no grant left (`hasGrants` asks the admission side). */
  forgetIdle(hasGrants: (streamId: string) => boolean): void {
    for (const [id, s] of this.streams) if (!s.publisher && s.viewers.length === 0 && s.subscribers.size === 0 && !hasGrants(id)) this.streams.delete(id);
  }

  /** Post a 'stats' event for each stream with a publisher or viewers. */
  postStats(): void {
    for (const s of this.streams.values()) {
      if (!s.publisher && s.viewers.length === 0 && s.subscribers.size === 0) continue;
      const pub = s.publisher;
      const dt = this.now - s.statsAt;
      const bytes = pub?.bytes ?? 0;
      const bitrateBps = pub && dt > 0 ? Math.round(((bytes - s.statsBytes) * 8 * 1000) / dt) : 0;
      s.statsBytes = bytes;
      s.statsAt = this.now;
      const viewerSrt: { viewerId: string; srt: SrtStats }[] = [];
      for (const v of s.viewers) {
        const st = safeStats(v.sock);
        if (st) viewerSrt.push({ viewerId: v.id, srt: st });
      }
      this.report({
        type: 'event',
        name: 'stats',
        event: {
          streamId: s.id,
          live: !!pub,
          bitrateBps,
          packets: pub?.packets ?? 0,
          bytes,
          viewers: s.viewers.length + s.subscribers.size,
          srt: pub ? safeStats(pub.sock) : null,
          viewerSrt,
        },
      });
    }
  }
}

function safeStats(sock: number): SrtStats | null {
  try {
    return srt.bstats(sock, true);
  } catch {
    return null;
  }
}
