/**
 * Worker behind `SrtCaller`: one caller socket, a blocking connect (fine off the main thread), then
 * an epoll loop that batches what it receives and sends what the main thread posts.
 */
import * as srt from './socket.ts';
import { SrtEpoll, SRT_LIVE_MAX_PAYLOAD_BYTES, SRT_LIVE_PAYLOAD_BYTES } from './constants.ts';
import type { CallerCommand, CallerReport } from './caller.ts';

declare const self: Worker;

/** Poll timeout: bounds how late a send or close command is read while idle. */
const POLL_TIMEOUT_MS = 5;
/** Received data is posted at this size or age, whichever comes first. */
const BATCH_MAX_BYTES = 64 * 1024;
/** See {@link BATCH_MAX_BYTES}. */
const BATCH_MAX_DELAY_MS = 10;

const post = (r: CallerReport, transfer: Transferable[] = []) => self.postMessage(r, transfer);
let sock = -1;
let eid = -1;
let started = false;
const events = new Int32Array(8);
const rx = new Uint8Array(SRT_LIVE_MAX_PAYLOAD_BYTES);
const batch = new Uint8Array(BATCH_MAX_BYTES);
let fill = 0;
let batchSince = 0;
let dropped = 0;

function fail(e: unknown): void {
  const err = e instanceof srt.SrtError ? e : new srt.SrtError('caller', -1, String(e));
  post({ type: 'error', op: err.op, code: err.code, message: err.message, rejectReason: err.rejectReason });
}

function finish(reason: string): void {
  if (sock >= 0) srt.close(sock);
  if (eid >= 0) srt.epollRelease(eid);
  sock = eid = -1;
  if (started) srt.cleanup();
  started = false;
  post({ type: 'closed', reason, dropped });
}

function flush(): void {
  if (fill === 0) return;
  const chunk = batch.slice(0, fill);
  fill = 0;
  post({ type: 'data', chunk }, [chunk.buffer]);
}

function tick(): void {
  if (sock < 0) return;
  const n = srt.epollWait(eid, events, POLL_TIMEOUT_MS);
  for (let i = 0; i < n; i++) {
    const flags = events[2 * i + 1] as number;
    if (flags & SrtEpoll.IN) {
      try {
        for (let m = srt.recvmsg(sock, rx); m > 0; m = srt.recvmsg(sock, rx)) {
          if (fill + m > batch.length) flush();
          if (fill === 0) batchSince = performance.now();
          batch.set(rx.subarray(0, m), fill);
          fill += m;
        }
      } catch {
        flush();
        return finish('disconnected');
      }
    }
    if (flags & SrtEpoll.ERR) {
      flush();
      return finish('disconnected');
    }
  }
  if (fill > 0 && performance.now() - batchSince >= BATCH_MAX_DELAY_MS) flush();
  setImmediate(tick);
}

const handlers: { [K in CallerCommand['type']]: (c: Extract<CallerCommand, { type: K }>) => void } = {
  connect: (c) => {
    try {
      srt.startup();
      started = true;
      sock = srt.createSocket();
      srt.setFlag(sock, 'streamId', c.streamId);
      if (c.latencyMs !== undefined) srt.setFlag(sock, 'latencyMs', c.latencyMs);
      if (c.connectTimeoutMs !== undefined) srt.setFlag(sock, 'connTimeoutMs', c.connectTimeoutMs);
      if (c.pbkeylen) srt.setFlag(sock, 'pbkeylen', c.pbkeylen);
      if (c.passphrase) srt.setFlag(sock, 'passphrase', c.passphrase);
      srt.connect(sock, c.host, c.port);
      srt.setNonBlocking(sock);
      eid = srt.epollCreate();
      srt.epollAdd(eid, sock, SrtEpoll.IN | SrtEpoll.ERR);
      post({ type: 'connected' });
      tick();
    } catch (e) {
      fail(e);
      finish('failed');
    }
  },
  send: (c) => {
    if (sock < 0) return;
    try {
      for (let o = 0; o < c.chunk.byteLength; o += SRT_LIVE_PAYLOAD_BYTES) {
        const part = c.chunk.subarray(o, Math.min(o + SRT_LIVE_PAYLOAD_BYTES, c.chunk.byteLength));
        if (srt.sendmsg(sock, part) === 0) dropped++;
      }
    } catch {
      finish('disconnected');
    }
  },
  stats: (c) => {
    try {
      post({ type: 'stats', id: c.id, stats: sock >= 0 ? srt.bstats(sock) : null });
    } catch {
      post({ type: 'stats', id: c.id, stats: null });
    }
  },
  close: () => {
    flush();
    if (sock >= 0 || started) finish('closed');
  },
};

self.onmessage = (e: MessageEvent<CallerCommand>) => (handlers[e.data.type] as (c: CallerCommand) => void)(e.data);
