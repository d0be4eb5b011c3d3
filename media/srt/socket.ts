/**
 * Typed binding over libsrt (the role `node-srt` plays on npm). Blocking calls (`connect`, `accept`
 * and I/O on a blocking socket, `epollWait` with a timeout) belong in a Worker, never on the main thread.
 *
 * @example
 * ```ts
 * startup()
 * const s = createSocket()
 * setFlag(s, 'rcvSyn', false)
 * bind(s, '127.0.0.1', 0); listen(s, 16)
 * ```
 */
import { srtLib } from './ffi.ts';
import { SrtErrno, SrtRej, SrtEpollFlag, SrtOpt, SrtSockState, type SrtKeyLength } from './constants.ts';
import { decodeSockaddr, encodeSockaddr, SOCKADDR_MAX_BYTES, type Endpoint } from './sockaddr.ts';
import { decodeStats, SRT_BSTATS_BYTES, type SrtStats } from './stats.ts';

/** An SRT socket id (`SRTSOCKET`). */
export type SrtSocket = number;

/** A libsrt failure: `code` is `srt_getlasterror`, `message` its `srt_getlasterror_str`. */
export class SrtError extends Error {
  override readonly name = 'SrtError';
  constructor(
    /** The libsrt call that failed. */
    readonly op: string,
    /** libsrt's error code (`SrtErrno`). */
    readonly code: number,
    message: string,
    /** `srt_getrejectreason` when `code` is `ECONNREJ`. */
    readonly rejectReason?: number,
  ) {
    super(`${op}: ${message} (${code})`);
  }
}

/** Build an {@link SrtError} from the calling thread's last libsrt error. */
export function lastError(op: string, sock?: SrtSocket): SrtError {
  const lib = srtLib();
  const code = lib.srt_getlasterror(null);
  const message = String(lib.srt_getlasterror_str());
  const reason = code === SrtErrno.ECONNREJ && sock !== undefined ? lib.srt_getrejectreason(sock) : undefined;
  return new SrtError(op, code, message, reason);
}

function check(op: string, rc: number, sock?: SrtSocket): number {
  if (rc < 0) throw lastError(op, sock);
  return rc;
}

/** Start libsrt in this process (reference-counted by libsrt; pair with {@link cleanup}). */
export function startup(): void {
  check('srt_startup', srtLib().srt_startup());
}

/** Release one {@link startup}; the last one stops libsrt's threads. */
export function cleanup(): void {
  check('srt_cleanup', srtLib().srt_cleanup());
}

/** libsrt's version as `major.minor.patch`. */
export function version(): string {
  const v = srtLib().srt_getversion();
  return `${v >> 16}.${(v >> 8) & 0xff}.${v & 0xff}`;
}

/** Set libsrt's own log level (syslog numbers: 2 critical … 7 debug). */
export function setLogLevel(level: number): void {
  srtLib().srt_setloglevel(level);
}

/** Create a socket (live mode by default). */
export function createSocket(): SrtSocket {
  return check('srt_create_socket', srtLib().srt_create_socket());
}

/** Socket flags this binding reads and writes, with their JS types. */
export interface SrtFlags {
  latencyMs: number;
  rcvLatencyMs: number;
  peerLatencyMs: number;
  streamId: string;
  passphrase: string;
  pbkeylen: SrtKeyLength | 0;
  rcvSyn: boolean;
  sndSyn: boolean;
  payloadSize: number;
  messageApi: boolean;
  connTimeoutMs: number;
  peerIdleTimeoutMs: number;
  enforcedEncryption: boolean;
  sndBufBytes: number;
  rcvBufBytes: number;
  state: number;
  kmState: number;
}

type FlagKind = 'int' | 'bool' | 'string';
const FLAGS: Record<keyof SrtFlags, readonly [number, FlagKind]> = {
  latencyMs: [SrtOpt.LATENCY, 'int'],
  rcvLatencyMs: [SrtOpt.RCVLATENCY, 'int'],
  peerLatencyMs: [SrtOpt.PEERLATENCY, 'int'],
  streamId: [SrtOpt.STREAMID, 'string'],
  passphrase: [SrtOpt.PASSPHRASE, 'string'],
  pbkeylen: [SrtOpt.PBKEYLEN, 'int'],
  rcvSyn: [SrtOpt.RCVSYN, 'bool'],
  sndSyn: [SrtOpt.SNDSYN, 'bool'],
  payloadSize: [SrtOpt.PAYLOADSIZE, 'int'],
  messageApi: [SrtOpt.MESSAGEAPI, 'bool'],
  connTimeoutMs: [SrtOpt.CONNTIMEO, 'int'],
  peerIdleTimeoutMs: [SrtOpt.PEERIDLETIMEO, 'int'],
  enforcedEncryption: [SrtOpt.ENFORCEDENCRYPTION, 'bool'],
  sndBufBytes: [SrtOpt.SNDBUF, 'int'],
  rcvBufBytes: [SrtOpt.RCVBUF, 'int'],
  state: [SrtOpt.STATE, 'int'],
  kmState: [SrtOpt.KMSTATE, 'int'],
};

// Scratch buffers reused by every call on this thread: no allocation per call.
/** Longest string option value (`SRTO_STREAMID`: 512 bytes) plus a NUL. */
const OPT_STRING_BYTES = 513;
const optBuf = new Uint8Array(OPT_STRING_BYTES);
const optView = new DataView(optBuf.buffer);
const lenBuf = new Int32Array(1);
const addrBuf = new Uint8Array(SOCKADDR_MAX_BYTES);
const statsBuf = new Uint8Array(SRT_BSTATS_BYTES);
const statsView = new DataView(statsBuf.buffer);
const eventsBuf = new Int32Array(1);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Set a socket flag (`srt_setsockflag`). */
export function setFlag<K extends keyof SrtFlags>(sock: SrtSocket, name: K, value: SrtFlags[K]): void {
  const [opt, kind] = FLAGS[name];
  let len = 4;
  if (kind === 'string') {
    const r = encoder.encodeInto(String(value), optBuf);
    if (r.read !== String(value).length || r.written >= OPT_STRING_BYTES) throw new RangeError(`${name} too long`);
    len = r.written;
  } else optView.setInt32(0, kind === 'bool' ? (value ? 1 : 0) : Number(value), true);
  check(`srt_setsockflag(${name})`, srtLib().srt_setsockflag(sock, opt, optBuf, len), sock);
}

/** Read a socket flag (`srt_getsockflag`). */
export function getFlag<K extends keyof SrtFlags>(sock: SrtSocket, name: K): SrtFlags[K] {
  const [opt, kind] = FLAGS[name];
  optBuf.fill(0, 0, 8);
  lenBuf[0] = OPT_STRING_BYTES;
  check(`srt_getsockflag(${name})`, srtLib().srt_getsockflag(sock, opt, optBuf, lenBuf), sock);
  const len = lenBuf[0] ?? 0;
  if (kind === 'string') return decoder.decode(optBuf.subarray(0, len)) as SrtFlags[K];
  // libsrt writes bools as one byte and ints as four.
  if (kind === 'bool') return ((len === 1 ? optBuf[0] : optView.getInt32(0, true)) !== 0) as SrtFlags[K];
  return optView.getInt32(0, true) as SrtFlags[K];
}

/** Make send and receive non-blocking (both `SRTO_SNDSYN` and `SRTO_RCVSYN` off). */
export function setNonBlocking(sock: SrtSocket): void {
  setFlag(sock, 'sndSyn', false);
  setFlag(sock, 'rcvSyn', false);
}

/** Bind to a local IP literal and port (0 picks a free port). */
export function bind(sock: SrtSocket, host: string, port: number): void {
  const sa = encodeSockaddr(host, port);
  check('srt_bind', srtLib().srt_bind(sock, sa, sa.byteLength), sock);
}

/** Start listening; `backlog` bounds handshakes waiting for `accept`. */
export function listen(sock: SrtSocket, backlog: number): void {
  check('srt_listen', srtLib().srt_listen(sock, backlog), sock);
}

/** Accept one connection, or `null` when none is pending on a non-blocking listener. */
export function accept(sock: SrtSocket): { sock: SrtSocket; peer: Endpoint | undefined } | null {
  lenBuf[0] = SOCKADDR_MAX_BYTES;
  const s = srtLib().srt_accept(sock, addrBuf, lenBuf);
  if (s < 0) {
    const err = lastError('srt_accept', sock);
    if (err.code === SrtErrno.EASYNCRCV) return null;
    throw err;
  }
  return { sock: s, peer: decodeSockaddr(addrBuf.subarray(0, lenBuf[0])) };
}

/** Connect as caller (blocking unless `SRTO_RCVSYN` is off); a rejection carries `rejectReason`. */
export function connect(sock: SrtSocket, host: string, port: number): void {
  const sa = encodeSockaddr(host, port);
  check('srt_connect', srtLib().srt_connect(sock, sa, sa.byteLength), sock);
}

/** The local address a socket is bound to. */
export function localAddress(sock: SrtSocket): Endpoint | undefined {
  lenBuf[0] = SOCKADDR_MAX_BYTES;
  check('srt_getsockname', srtLib().srt_getsockname(sock, addrBuf, lenBuf), sock);
  return decodeSockaddr(addrBuf.subarray(0, lenBuf[0]));
}

/** The peer's address of a connected socket, or undefined when it has none. */
export function peerAddress(sock: SrtSocket): Endpoint | undefined {
  lenBuf[0] = SOCKADDR_MAX_BYTES;
  if (srtLib().srt_getpeername(sock, addrBuf, lenBuf) < 0) return undefined;
  return decodeSockaddr(addrBuf.subarray(0, lenBuf[0]));
}

/** Close a socket; false when libsrt no longer knew it. */
export function close(sock: SrtSocket): boolean {
  return srtLib().srt_close(sock) === 0;
}

/** Socket state (`SrtSockState`); `NONEXIST` once libsrt has forgotten it. */
export function sockState(sock: SrtSocket): number {
  return srtLib().srt_getsockstate(sock);
}

/** True while the socket is connected. */
export function isConnected(sock: SrtSocket): boolean {
  return sockState(sock) === SrtSockState.CONNECTED;
}

/**
 * Send one message (live mode: at most `SRTO_PAYLOADSIZE` bytes). Returns the bytes sent, or 0 when a
 * non-blocking socket's buffer is full; throws {@link SrtError} otherwise.
 */
export function sendmsg(sock: SrtSocket, data: Uint8Array, len = data.byteLength): number {
  const n = srtLib().srt_sendmsg(sock, data, len, -1, 0);
  if (n >= 0) return n;
  const err = lastError('srt_sendmsg', sock);
  if (err.code === SrtErrno.EASYNCSND) return 0;
  throw err;
}

/** Receive one message into `buf`. Returns its length, or 0 when nothing is ready (non-blocking). */
export function recvmsg(sock: SrtSocket, buf: Uint8Array, cap = buf.byteLength): number {
  const n = srtLib().srt_recvmsg(sock, buf, cap);
  if (n > 0) return n;
  const err = lastError('srt_recvmsg', sock);
  if (err.code === SrtErrno.EASYNCRCV) return 0;
  throw err;
}

/** Statistics of a socket; `clear` restarts the interval behind the rate fields. */
export function bstats(sock: SrtSocket, clear = false): SrtStats {
  check('srt_bstats', srtLib().srt_bstats(sock, statsBuf, clear ? 1 : 0), sock);
  return decodeStats(statsView);
}

/** Rejection reason of a failed connect (`srt_getrejectreason`). */
export function rejectReason(sock: SrtSocket): number {
  return srtLib().srt_getrejectreason(sock);
}

/** libsrt's text for an internal rejection reason (codes ≥ 1000 are the application's). */
export function rejectReasonText(code: number): string {
  return code < 1000 ? String(srtLib().srt_rejectreason_str(code)) : `application code ${code}`;
}

/** Create an epoll set that may be empty (`SRT_EPOLL_ENABLE_EMPTY`). */
export function epollCreate(): number {
  const eid = check('srt_epoll_create', srtLib().srt_epoll_create());
  srtLib().srt_epoll_set(eid, SrtEpollFlag.ENABLE_EMPTY);
  return eid;
}

/** Watch `sock` for `events` (`SrtEpoll` flags). */
export function epollAdd(eid: number, sock: SrtSocket, events: number): void {
  eventsBuf[0] = events;
  check('srt_epoll_add_usock', srtLib().srt_epoll_add_usock(eid, sock, eventsBuf), sock);
}

/** Change the events watched for `sock`. */
export function epollUpdate(eid: number, sock: SrtSocket, events: number): void {
  eventsBuf[0] = events;
  check('srt_epoll_update_usock', srtLib().srt_epoll_update_usock(eid, sock, eventsBuf), sock);
}

/** Stop watching `sock` (harmless when libsrt already dropped it). */
export function epollRemove(eid: number, sock: SrtSocket): void {
  srtLib().srt_epoll_remove_usock(eid, sock);
}

/**
 * Wait up to `timeoutMs` for events; fills `out` with `[sock, events]` pairs and returns how many
 * pairs. Blocking: call it from a Worker.
 */
export function epollWait(eid: number, out: Int32Array, timeoutMs: number): number {
  const n = srtLib().srt_epoll_uwait(eid, out, out.length >> 1, timeoutMs);
  if (n >= 0) return n;
  const err = lastError('srt_epoll_uwait');
  if (err.code === SrtErrno.ETIMEOUT) return 0;
  throw err;
}

/** Release an epoll set. */
export function epollRelease(eid: number): void {
  srtLib().srt_epoll_release(eid);
}

/** True when a rejection reason means the passphrases did not match or one side had none. */
export function isSecretMismatch(reason: number): boolean {
  return reason === SrtRej.BADSECRET || reason === SrtRej.UNSECURE;
}
