/**
 * The relay worker: owns libsrt in this process's MDU, the listener, the epoll loop and every
 * media socket. Its run loop is a mailbox (one handler per command) plus srt_epoll_uwait with a
 * short timeout, re-armed with setImmediate so commands are read between waits. With no media
 * socket (idle) it does not block in libsrt: it looks without waiting and sleeps in its own event
 * loop until a timer (IDLE_POLL_TIMEOUT_MS; while no stream is granted, its next stats) or a
 * command wakes it. A wait in srt_epoll_uwait wakes every 10 ms inside libsrt (its global event's
 * timed wait), about 200 futex calls a second, and holds a command up to the timeout; the timer
 * costs neither.
 *
 * Dormant listener: once nothing has been granted, admitted or connected for `listenerDormantAfterMs`, the listener is
 * closed, and libsrt's threads for its port (SRT:RcvQ, whose wait wakes every 10 ms: 4-12 ms of CPU a second on this
 * machine kind; SRT:SndQ) end with it. The next grant opens it again, on the same port, before the grant is
 * acknowledged (a port taken meanwhile fails that grant, saying so). A handshake that arrives while it is dormant is
 * not answered (the caller times out): nothing could have been admitted then anyway.
 */
import * as srt from '../srt/socket.ts';
import { SrtEpoll } from '../srt/constants.ts';
import { AccessTable } from '../srt/acl.ts';
import { setThreadNice } from '../srt/priority.ts';
import { Relay } from './relay.ts';
import { Admission } from './admission.ts';
import type { Command, Report, WorkerConfig } from './protocol.ts';
import {
  EPOLL_MAX_EVENTS,
  HOUSEKEEPING_INTERVAL_MS,
  IDLE_POLL_TIMEOUT_MS,
  LISTEN_BACKLOG,
  MDU_THREAD_NICE,
  POLL_TIMEOUT_MS,
  SUBSCRIBER_BATCH_MAX_DELAY_MS,
  STATS_INTERVAL_MS,
} from './constants.ts';

declare const self: Worker;

const post = (r: Report, transfer: Transferable[] = []) => self.postMessage(r, transfer);

interface Running {
  config: WorkerConfig;
  /** The listener, or -1 while dormant. */
  listener: number;
  /** The port it was bound to first (config 0 picks one), where it opens again. */
  port: number;
  /** Since when nothing is granted, admitted or connected (performance.now()); null while something is. */
  emptySince: number | null;
  eid: number;
  acl: AccessTable;
  relay: Relay;
  admission: Admission;
  events: Int32Array;
  nextHousekeeping: number;
  nextStats: number;
  stopId: number | null;
}

let run: Running | null = null;
/** The idle loop's timer: set while the worker sleeps in its event loop (idle), cleared by a command's early turn. */
let idleTimer: ReturnType<typeof setTimeout> | null = null;

function start(config: WorkerConfig): void {
  // Before libsrt makes its threads: they inherit this thread's priority.
  const p = setThreadNice(MDU_THREAD_NICE);
  post({
    type: 'log',
    line:
      p.errno === 0
        ? { level: 'info', event: 'mdu.priority', nice: p.nice }
        : {
            level: 'warn',
            event: 'mdu.priority.refused',
            wanted: MDU_THREAD_NICE,
            nice: p.nice,
            errno: p.errno,
            hint: 'needs CAP_SYS_NICE; relaying at the normal priority',
          },
  });
  srt.setLogLevel(config.srtLogLevel);
  srt.startup();
  let acl: AccessTable | null = null;
  let eid = -1;
  try {
    acl = AccessTable.create();
    eid = srt.epollCreate();
    const listener = openListener(acl, eid, config.host, config.port, config.latencyMs);
    const relay = new Relay(eid, config, acl, post);
    const admission = new Admission(acl, relay, post);
    const now = performance.now();
    const port = srt.localAddress(listener)?.port ?? config.port;
    run = {
      config,
      listener,
      port,
      emptySince: now,
      eid,
      acl,
      relay,
      admission,
      events: new Int32Array(EPOLL_MAX_EVENTS * 2),
      nextHousekeeping: now,
      nextStats: now + STATS_INTERVAL_MS,
      stopId: null,
    };
    post({ type: 'ready', port });
    tick();
  } catch (e) {
    if (eid >= 0) srt.epollRelease(eid);
    srt.cleanup();
    acl?.free();
    post({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
  }
}

/** A non-blocking listener on host:port with the access callback, in the epoll set; nothing left open if it fails. */
function openListener(acl: AccessTable, eid: number, host: string, port: number, latencyMs: number): number {
  const listener = srt.createSocket();
  try {
    srt.setFlag(listener, 'rcvSyn', false); // accept() never blocks; accepted sockets inherit it
    srt.setFlag(listener, 'sndSyn', false);
    srt.setFlag(listener, 'latencyMs', latencyMs);
    acl.install(listener);
    srt.bind(listener, host, port);
    srt.listen(listener, LISTEN_BACKLOG);
    srt.epollAdd(eid, listener, SrtEpoll.IN | SrtEpoll.ERR);
    return listener;
  } catch (e) {
    srt.close(listener);
    throw e;
  }
}

/** Before a grant: the listener open (again, on its port, if it was dormant); throws what stops it. */
function awake(r: Running): void {
  r.emptySince = null;
  if (r.listener >= 0) return;
  try {
    r.listener = openListener(r.acl, r.eid, r.config.host, r.port, r.config.latencyMs);
  } catch (e) {
    throw new Error(`the SRT listener could not open again on port ${r.port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  post({ type: 'log', line: { level: 'info', event: 'mdu.listener.open', port: r.port } });
}

/** At each stats: the listener closed once nothing has been granted, admitted or connected for dormantAfterMs. */
function checkDormant(r: Running, now: number): void {
  if (!r.admission.isEmpty() || r.relay.socketCount() > 0) {
    r.emptySince = null;
    return;
  }
  r.emptySince ??= now;
  const after = r.config.listenerDormantAfterMs;
  if (r.listener < 0 || after <= 0 || now - r.emptySince < after) return;
  srt.epollRemove(r.eid, r.listener);
  srt.close(r.listener);
  r.listener = -1;
  post({ type: 'log', line: { level: 'info', event: 'mdu.listener.dormant', port: r.port, idleMs: Math.round(now - r.emptySince) } });
}

function tick(): void {
  const r = run;
  if (!r) return;
  if (r.stopId !== null) return stop(r);
  idleTimer = null;
  let idle = false;
  try {
    idle = turn(r);
  } catch (e) {
    // Never let one bad event stop the loop: log it and keep relaying.
    post({ type: 'log', line: { level: 'error', event: 'mdu.loop.failed', error: String(e) } });
  }
  if (idle) idleTimer = setTimeout(tick, idleSleepMs(r));
  else setImmediate(tick);
}

/**
 * How long the idle loop sleeps. With no grant, no handshake admitted and no refused socket to close, the access
 * callback refuses every handshake, so nothing can arrive to accept: the loop sleeps until its periodic chores (the
 * stats, refusals reported then) and a command (a grant) wakes it at once. Else IDLE_POLL_TIMEOUT_MS, to accept.
 */
function idleSleepMs(r: Running): number {
  if (!r.admission.isEmpty()) return IDLE_POLL_TIMEOUT_MS;
  return Math.max(IDLE_POLL_TIMEOUT_MS, r.nextStats - performance.now());
}

/** A command was handled while the worker slept (idle): its effect (a grant, a stop) is looked at now, not at the timer. */
function wake(): void {
  if (idleTimer === null) return;
  clearTimeout(idleTimer);
  idleTimer = null;
  setImmediate(tick);
}

/** One wake: wait for socket events (not at all when idle), dispatch them, then the periodic chores. Whether it was idle. */
function turn(r: Running): boolean {
  const batches = r.relay.hasBatches();
  const idle = r.relay.socketCount() === 0 && !batches;
  // A waiting batch bounds the wait, so it is posted on time even when no socket wakes the loop.
  const n = srt.epollWait(r.eid, r.events, idle ? 0 : batches ? Math.min(POLL_TIMEOUT_MS, SUBSCRIBER_BATCH_MAX_DELAY_MS) : POLL_TIMEOUT_MS);
  const now = performance.now();
  r.relay.now = now;
  const ev = r.events;
  for (let i = 0; i < n; i++) {
    const sock = ev[2 * i] as number;
    const flags = ev[2 * i + 1] as number;
    if (sock === r.listener) acceptOne(r, now);
    else if (!r.relay.onSocketEvent(sock, flags)) srt.epollRemove(r.eid, sock);
  }
  r.relay.flushBatches();
  if (now >= r.nextHousekeeping) {
    r.nextHousekeeping = now + HOUSEKEEPING_INTERVAL_MS;
    r.admission.checkPending(now);
    r.relay.checkSilence();
  }
  if (now >= r.nextStats) {
    r.nextStats = now + STATS_INTERVAL_MS;
    r.admission.expire(Date.now());
    r.relay.forgetIdle((id) => r.admission.hasGrants(id));
    r.relay.postStats();
    checkDormant(r, now);
  }
  return idle && n === 0 && r.relay.socketCount() === 0 && !r.relay.hasBatches();
}

/** One accept per readiness report: epoll is level-triggered, so a second pending one reports again. */
function acceptOne(r: Running, now: number): void {
  try {
    const a = srt.accept(r.listener);
    if (a) r.admission.accepted(a.sock, a.peer, now);
  } catch (e) {
    post({ type: 'log', line: { level: 'error', event: 'mdu.accept.failed', error: String(e) } });
  }
}

function stop(r: Running): void {
  run = null;
  r.relay.closeAll('stopped');
  r.admission.closeRefused();
  if (r.listener >= 0) srt.close(r.listener); // after this libsrt no longer calls the access callback
  srt.epollRelease(r.eid);
  srt.cleanup(); // joins libsrt's threads
  r.acl.free();
  post({ type: 'ack', id: r.stopId as number });
  post({ type: 'stopped' });
}

function ack(id: number, fn: () => void): void {
  try {
    fn();
    post({ type: 'ack', id });
  } catch (e) {
    post({ type: 'ack', id, error: e instanceof Error ? e.message : String(e) });
  }
}

type Handlers = { [K in Command['type']]: (cmd: Extract<Command, { type: K }>, r: Running) => void };

const handlers: Handlers = {
  start: () => {},
  grant: (c, r) =>
    ack(c.id, () => {
      awake(r);
      r.admission.grant(c);
    }),
  revoke: (c, r) =>
    ack(c.id, () => {
      r.admission.revoke(c.streamId, c.token);
      if (c.token !== undefined) r.relay.disconnectToken(c.streamId, c.token, 'revoked');
    }),
  close: (c, r) =>
    ack(c.id, () => {
      r.admission.revoke(c.streamId);
      r.relay.closeStream(c.streamId, c.reason);
    }),
  sub: (c, r) => r.relay.subscribe(c.streamId, c.subId),
  unsub: (c, r) => r.relay.unsubscribe(c.streamId, c.subId),
  inspect: (c, r) =>
    post({
      type: 'ack',
      id: c.id,
      info: {
        sockets: r.relay.socketCount() + r.admission.closingCount(),
        pendingHandshakes: r.admission.pendingCount(),
        grants: r.admission.grantCount(),
        streams: r.relay.streamIds(),
      },
    }),
  stop: (c, r) => {
    r.stopId = c.id;
  },
};

self.onmessage = (e: MessageEvent<Command>) => {
  const cmd = e.data;
  if (cmd.type === 'start') return start(cmd.config);
  if (!run) return post({ type: 'log', line: { level: 'warn', event: 'mdu.worker.not_running', command: cmd.type } });
  (handlers[cmd.type] as (c: Command, r: Running) => void)(cmd, run);
  wake();
};
