/**
 * The live benchmark's SRT side, one Worker for every socket of the load generator: publishers
 * replaying the sample at a fixed rate (7 TS packets per message, a timestamp probe every
 * `PROBE_EVERY_MESSAGES`), SRT viewers reading them back, one epoll for all. Publishers share one
 * local UDP port and viewers another (two libsrt multiplexers). The hot path calls libsrt through raw
 * FFI with addresses into buffers allocated once: no allocation per packet.
 */
import { ptr, type Pointer } from 'bun:ffi';
import * as srt from '../media/srt/socket.ts';
import { srtLib } from '../media/srt/ffi.ts';
import { SrtEpoll, SrtErrno, SRT_LIVE_MAX_PAYLOAD_BYTES } from '../media/srt/constants.ts';
import { copyBytes, TS_PACKET_BYTES } from '../media/mdu/ts.ts';
import { SRT_LOG_LEVEL } from '../media/mdu/constants.ts';
import {
  clockMs,
  DEFAULT_LATENCY_MS,
  GENERATOR_STALL_MS,
  initProbeSlot,
  JOIN_SETTLE_MS,
  MSG_BYTES,
  MSG_PACKETS,
  PROBE_EVERY_MESSAGES,
  ProbeReader,
  SampleSet,
  SecondMax,
  stalledSeconds,
  writeProbe,
  type SrtTarget,
} from './live-ts.ts';
import type { SrtCommand, SrtMeasure, SrtReport } from './live-messages.ts';
import { newPub, newView, type Pub, type View } from './live-srt-entries.ts';

declare const self: Worker;

/** Longest epoll wait: bounds how late a paced message leaves (messages are due every ~5 ms per stream at 2 Mbit/s). */
const POLL_TIMEOUT_MS = 1;
/** A publisher this far behind its schedule skips ahead instead of bursting (the generator was starved). */
const MAX_CATCH_UP_MS = 500;

const post = (r: SrtReport) => self.postMessage(r);
const lib = srtLib();
let sample: Uint8Array = new Uint8Array(0);
let samplePtr = 0;
let samplePackets = 0;
let intervalMs = 5;
let latencyMs = DEFAULT_LATENCY_MS;
let eid = -1;
const pubPort = { port: 0 };
const viewPort = { port: 0 };
const pubs = new Map<number, Pub>();
const views = new Map<number, View>();
/** Publishers in a dense array for the pacing loop (rebuilt when one is added or dropped). */
let pubList: Pub[] = [];
const bySock = new Map<number, Pub | View>();
const events = new Int32Array(4096);
const msg = new Uint8Array(MSG_BYTES);
const msgPtr = ptr(msg);
const msgView = new DataView(msg.buffer);
const rx = new Uint8Array(SRT_LIVE_MAX_PAYLOAD_BYTES);
const rxPtr = ptr(rx);
const probe = new ProbeReader();
let delays = new SampleSet(1);
let perSecond = new SecondMax(1);
let lagPerSecond = new SecondMax(1);
let windowStart = Infinity;
let maxSendLagMs = 0;
let refused = 0;
let crossTalk = 0;
let broken = 0;
let running = false;

function open(target: SrtTarget, local: { port: number }): number {
  const s = srt.createSocket();
  try {
    srt.setFlag(s, 'latencyMs', latencyMs);
    if (target.streamId) srt.setFlag(s, 'streamId', target.streamId);
    if (target.passphrase) {
      srt.setFlag(s, 'pbkeylen', target.pbkeylen ?? 16);
      srt.setFlag(s, 'passphrase', target.passphrase);
    }
    srt.setNonBlocking(s); // connect returns at once; epoll says OUT when connected, ERR when refused
    srt.bind(s, '0.0.0.0', local.port); // one UDP port (one libsrt multiplexer) per role
    local.port ||= srt.localAddress(s)?.port ?? 0;
    srt.epollAdd(eid, s, SrtEpoll.OUT | SrtEpoll.ERR);
    srt.connect(s, target.host, target.port);
    return s;
  } catch (e) {
    srt.close(s);
    throw e;
  }
}

function drop(e: Pub | View): void {
  if (e.sock < 0) return;
  bySock.delete(e.sock);
  srt.epollRemove(eid, e.sock);
  srt.close(e.sock);
  e.sock = -1;
  e.live = false;
  if (e.kind === 'pub') pubList = [...pubs.values()].filter((p) => p.live);
}

/** Build and send one message of publisher `p`. */
function sendOne(p: Pub, now: number): void {
  const withProbe = p.messages % PROBE_EVERY_MESSAGES === PROBE_EVERY_MESSAGES - 1;
  const fromFile = withProbe ? MSG_PACKETS - 1 : MSG_PACKETS;
  let at: number;
  if (!withProbe && p.cursor + MSG_PACKETS <= samplePackets)
    at = samplePtr + p.cursor * TS_PACKET_BYTES; // straight from the sample
  else {
    for (let k = 0; k < fromFile; k++) copyBytes(sample, ((p.cursor + k) % samplePackets) * TS_PACKET_BYTES, TS_PACKET_BYTES, msg, k * TS_PACKET_BYTES);
    if (withProbe) {
      const off = (MSG_PACKETS - 1) * TS_PACKET_BYTES;
      writeProbe(msgView, off, p.cc, p.id, p.probeSeq++, p.tsIndex + MSG_PACKETS - 1, clockMs());
      p.cc = (p.cc + 1) & 0x0f;
    }
    at = msgPtr;
  }
  p.cursor = (p.cursor + fromFile) % samplePackets;
  if (lib.srt_sendmsg(p.sock, at as Pointer, MSG_BYTES, -1, 0) < 0) {
    if (lib.srt_getlasterror(null) === SrtErrno.EASYNCSND) refused++;
    else {
      broken++;
      post({ type: 'broken', kind: 'pub', id: p.id });
      return drop(p);
    }
  }
  p.messages++;
  p.tsIndex += MSG_PACKETS;
  if (now >= windowStart) p.winMessages++;
}

function sendDue(now: number): void {
  for (let i = 0; i < pubList.length; i++) {
    const p = pubList[i] as Pub;
    if (!p.live) continue;
    const lag = now - p.next;
    if (lag < 0) continue;
    if (now >= windowStart) {
      if (lag > maxSendLagMs) maxSendLagMs = lag;
      lagPerSecond.push(now - windowStart, lag);
    }
    if (lag > MAX_CATCH_UP_MS) p.next = now;
    while (p.live && p.next <= now) {
      sendOne(p, now);
      p.next += intervalMs;
    }
  }
}

/** One message of viewer `v`: count its TS packets, and time the probes in it. */
function readView(v: View): void {
  const n = lib.srt_recvmsg(v.sock, rxPtr, rx.length);
  if (n <= 0) {
    if (n < 0 && lib.srt_getlasterror(null) !== SrtErrno.EASYNCRCV) {
      broken++;
      post({ type: 'broken', kind: 'view', id: v.id });
      drop(v);
    }
    return;
  }
  const now = clockMs();
  if (now >= windowStart) v.winBytes += n;
  for (let p = 0; p + TS_PACKET_BYTES <= n; p += TS_PACKET_BYTES) {
    v.rx++;
    if (!ProbeReader.isProbe(rx, p) || !probe.read(rx, p)) continue;
    if (probe.stream !== v.stream) {
      crossTalk++;
      continue;
    }
    if (probe.sentAt < windowStart || now - v.joinedAt < JOIN_SETTLE_MS) continue;
    const pub = pubs.get(v.stream);
    const d = now - probe.sentAt - (pub?.latencyMs ?? latencyMs) - v.latencyMs;
    delays.push(d, now - windowStart);
    perSecond.push(now - windowStart, d);
    v.delaySum += d;
    v.delayN++;
    v.loss.probe(probe.tsIndex, v.rx);
  }
}

function onEvent(e: Pub | View, flags: number): void {
  if (!e.live) {
    // Still connecting: OUT means connected, ERR means refused or timed out.
    if (flags & SrtEpoll.OUT && srt.isConnected(e.sock)) {
      e.live = true;
      const st = srt.bstats(e.sock);
      // The negotiated latency this hop holds packets for: subtracted from end-to-end delays.
      e.latencyMs = e.kind === 'pub' ? st.msSndTsbPdDelay : st.msRcvTsbPdDelay;
      srt.epollUpdate(eid, e.sock, e.kind === 'pub' ? SrtEpoll.ERR : SrtEpoll.IN | SrtEpoll.ERR);
      if (e.kind === 'pub') {
        e.next = clockMs();
        pubList = [...pubs.values()].filter((p) => p.live);
      } else e.joinedAt = clockMs();
      post({ type: 'connected', kind: e.kind, id: e.id, ok: true, latencyMs: e.latencyMs });
    } else if (flags & SrtEpoll.ERR) {
      const reason = srt.rejectReason(e.sock);
      post({ type: 'connected', kind: e.kind, id: e.id, ok: false, latencyMs: 0, error: `connect failed: ${srt.rejectReasonText(reason)} (${reason})` });
      drop(e);
    }
    return;
  }
  if (e.kind === 'view' && flags & SrtEpoll.IN) readView(e);
  if (flags & SrtEpoll.ERR && e.sock >= 0) {
    broken++;
    post({ type: 'broken', kind: e.kind, id: e.id });
    drop(e);
  }
}

function loop(): void {
  if (!running) return;
  sendDue(clockMs());
  const n = lib.srt_epoll_uwait(eid, events, events.length >> 1, POLL_TIMEOUT_MS);
  for (let i = 0; i < n; i++) {
    const e = bySock.get(events[2 * i] as number);
    if (e) onEvent(e, events[2 * i + 1] as number);
  }
  setImmediate(loop);
}

function measure(): SrtMeasure {
  let expected = 0;
  let received = 0;
  let receivedBytes = 0;
  let sentMessages = 0;
  const s = { viewRcvLoss: 0, viewRcvDrop: 0, pubRetrans: 0, pubSndDrop: 0, pubSndLoss: 0 };
  for (const v of views.values()) {
    // A viewer that broke keeps its counts up to then; 'broken' says it happened.
    expected += v.loss.expected();
    received += v.loss.received();
    receivedBytes += v.winBytes;
    if (!v.live) continue;
    const st = srt.bstats(v.sock);
    s.viewRcvLoss += st.pktRcvLoss;
    s.viewRcvDrop += st.pktRcvDrop;
  }
  for (const p of pubs.values()) {
    sentMessages += p.winMessages;
    if (!p.live) continue;
    const st = srt.bstats(p.sock);
    s.pubRetrans += st.pktRetrans;
    s.pubSndDrop += st.pktSndDrop;
    s.pubSndLoss += st.pktSndLoss;
  }
  const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  const stalled = stalledSeconds(lagPerSecond.all(), GENERATOR_STALL_MS);
  const means = [...views.values()].filter((v) => v.delayN > 0).map((v) => v.delaySum / v.delayN);
  const livePubs = [...pubs.values()].filter((p) => p.live);
  const liveViews = [...views.values()].filter((v) => v.live);
  return {
    publishers: livePubs.length,
    viewers: liveViews.length,
    sentMessages,
    sentBytes: sentMessages * MSG_BYTES,
    expected,
    received,
    receivedBytes,
    delay: delays.summary(),
    delayCalm: delays.summary(stalled),
    stalled: [...stalled].sort((a, b) => a - b),
    worstSeconds: perSecond.worst(3),
    ports: [pubPort.port, viewPort.port].filter((p) => p > 0),
    viewerMeanMs: [Math.min(...means), Math.max(...means)],
    pubLatencyMs: uniq(livePubs.map((p) => p.latencyMs)),
    viewLatencyMs: uniq(liveViews.map((v) => v.latencyMs)),
    maxSendLagMs,
    refused,
    crossTalk,
    broken,
    srt: s,
  };
}

const handlers: { [K in SrtCommand['type']]: (c: Extract<SrtCommand, { type: K }>) => void } = {
  init: (c) => {
    sample = c.sample;
    samplePtr = ptr(sample);
    samplePackets = sample.byteLength / TS_PACKET_BYTES;
    intervalMs = (MSG_BYTES * 8 * 1000) / c.rateBps;
    latencyMs = c.latencyMs;
    delays = new SampleSet(c.maxSamples);
    perSecond = new SecondMax(c.maxSeconds);
    lagPerSecond = new SecondMax(c.maxSeconds);
    initProbeSlot(msg, (MSG_PACKETS - 1) * TS_PACKET_BYTES);
    srt.setLogLevel(SRT_LOG_LEVEL); // drops and losses are counted from srt_bstats, not logged per event
    srt.startup();
    eid = srt.epollCreate();
    running = true;
    post({ type: 'ack' });
    loop();
  },
  publish: (c) => {
    const old = pubs.get(c.id);
    if (old) drop(old);
    const p = newPub(c.id);
    pubs.set(c.id, p);
    try {
      p.sock = open(c.target, pubPort);
      bySock.set(p.sock, p);
    } catch (e) {
      post({ type: 'connected', kind: 'pub', id: c.id, ok: false, latencyMs: 0, error: String(e) });
    }
  },
  unpublish: (c) => {
    const p = pubs.get(c.id);
    if (p) drop(p);
  },
  view: (c) => {
    const old = views.get(c.id);
    if (old) drop(old);
    const v = newView(c.id, c.stream);
    views.set(c.id, v);
    try {
      v.sock = open(c.target, viewPort);
      bySock.set(v.sock, v);
    } catch (e) {
      post({ type: 'connected', kind: 'view', id: c.id, ok: false, latencyMs: 0, error: String(e) });
    }
  },
  'close-all': () => {
    for (const e of [...views.values(), ...pubs.values()]) drop(e);
    views.clear();
    pubs.clear();
    pubList = [];
    pubPort.port = viewPort.port = 0;
    windowStart = Infinity;
    post({ type: 'ack' });
  },
  reset: (c) => {
    windowStart = c.at;
    delays.clear();
    perSecond.clear();
    lagPerSecond.clear();
    maxSendLagMs = 0;
    refused = crossTalk = broken = 0;
    for (const v of views.values()) {
      v.winBytes = 0;
      v.delaySum = v.delayN = 0;
      v.loss.reset();
    }
    for (const p of pubs.values()) p.winMessages = 0;
    post({ type: 'ack' });
  },
  measure: () => post({ type: 'measured', m: measure() }),
};

self.onmessage = (e: MessageEvent<SrtCommand>) => (handlers[e.data.type] as (c: SrtCommand) => void)(e.data);
