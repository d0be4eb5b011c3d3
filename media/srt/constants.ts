/**
 * Numbers from libsrt 1.5's public headers (`/usr/include/srt/srt.h`, `access_control.h`), named
 * once so no other file carries a bare option, error or rejection code.
 */

/** Socket options (`SRT_SOCKOPT`) this project uses, with libsrt's numbers. */
export const SrtOpt = {
  MSS: 0,
  SNDSYN: 1,
  RCVSYN: 2,
  SNDBUF: 5,
  RCVBUF: 6,
  LINGER: 7,
  REUSEADDR: 15,
  MAXBW: 16,
  STATE: 17,
  LATENCY: 23,
  PASSPHRASE: 26,
  PBKEYLEN: 27,
  KMSTATE: 28,
  CONNTIMEO: 36,
  SNDKMSTATE: 40,
  RCVKMSTATE: 41,
  RCVLATENCY: 43,
  PEERLATENCY: 44,
  STREAMID: 46,
  MESSAGEAPI: 48,
  PAYLOADSIZE: 49,
  TRANSTYPE: 50,
  ENFORCEDENCRYPTION: 53,
  PEERIDLETIMEO: 55,
} as const;

/** Error codes (`SRT_ERRNO`) returned by `srt_getlasterror`. */
export const SrtErrno = {
  EUNKNOWN: -1,
  SUCCESS: 0,
  ECONNSETUP: 1000,
  ENOSERVER: 1001,
  ECONNREJ: 1002,
  ESOCKFAIL: 1003,
  ESECFAIL: 1004,
  ESCLOSED: 1005,
  ECONNFAIL: 2000,
  ECONNLOST: 2001,
  ENOCONN: 2002,
  EINVPARAM: 5003,
  EINVSOCK: 5004,
  ELARGEMSG: 5012,
  EINVPOLLID: 5013,
  EPOLLEMPTY: 5014,
  EBINDCONFLICT: 5015,
  EASYNCFAIL: 6000,
  EASYNCSND: 6001,
  EASYNCRCV: 6002,
  ETIMEOUT: 6003,
  ECONGEST: 6004,
} as const;

/** Socket states (`SRT_SOCKSTATUS`) returned by `srt_getsockstate`. */
export const SrtSockState = {
  INIT: 1,
  OPENED: 2,
  LISTENING: 3,
  CONNECTING: 4,
  CONNECTED: 5,
  BROKEN: 6,
  CLOSING: 7,
  CLOSED: 8,
  NONEXIST: 9,
} as const;

/** libsrt's own rejection reasons (`SRT_REJECT_REASON`, below 1000). */
export const SrtRej = {
  UNKNOWN: 0,
  SYSTEM: 1,
  PEER: 2,
  RESOURCE: 3,
  ROGUE: 4,
  BACKLOG: 5,
  IPE: 6,
  CLOSE: 7,
  VERSION: 8,
  RDVCOOKIE: 9,
  BADSECRET: 10,
  UNSECURE: 11,
  MESSAGEAPI: 12,
  CONGESTION: 13,
  FILTER: 14,
  GROUP: 15,
  TIMEOUT: 16,
} as const;

/** Access-control rejection codes (`access_control.h`): 1000 + the HTTP status they mirror. */
export const SrtRejx = {
  FALLBACK: 1000,
  BAD_REQUEST: 1400,
  UNAUTHORIZED: 1401,
  FORBIDDEN: 1403,
  NOTFOUND: 1404,
  BAD_MODE: 1405,
  CONFLICT: 1409,
  ISE: 1500,
} as const;

/** Epoll event flags (`SRT_EPOLL_OPT`). */
export const SrtEpoll = { IN: 0x1, OUT: 0x4, ERR: 0x8, ET: 1 << 31 } as const;

/** Epoll behaviour flags (`SRT_EPOLL_FLAGS`) for `srt_epoll_set`. */
export const SrtEpollFlag = { ENABLE_EMPTY: 1, ENABLE_OUTPUTCHECK: 2 } as const;

/** Transmission types (`SRT_TRANSTYPE`). */
export const SrtTransType = { LIVE: 0, FILE: 1 } as const;

/** Largest payload of one live-mode message: 7 MPEG-TS packets (srt.h `SRT_LIVE_DEF_PLSIZE`). */
export const SRT_LIVE_PAYLOAD_BYTES = 1316;

/** Largest UDP payload libsrt accepts in live mode (srt.h `SRT_LIVE_MAX_PLSIZE`): receive buffers use it. */
export const SRT_LIVE_MAX_PAYLOAD_BYTES = 1456;

/** Longest stream id a caller may send (libsrt docs, `SRTO_STREAMID`). */
export const SRT_STREAMID_MAX_BYTES = 512;

/** Passphrase length bounds libsrt enforces (`SRTO_PASSPHRASE`: 10..79 characters). */
export const SRT_PASSPHRASE_MIN_CHARS = 10;
/** Upper passphrase bound, see {@link SRT_PASSPHRASE_MIN_CHARS}. */
export const SRT_PASSPHRASE_MAX_CHARS = 79;

/** AES key lengths in bytes accepted by `SRTO_PBKEYLEN` (AES-128/192/256). */
export type SrtKeyLength = 16 | 24 | 32;

/** Human name of a rejection code, internal (`SRT_REJ_*`) or access-control (`SRT_REJX_*`). */
export function rejectReasonName(code: number): string {
  for (const [name, value] of Object.entries(SrtRejx)) if (value === code) return `REJX_${name}`;
  for (const [name, value] of Object.entries(SrtRej)) if (value === code) return `REJ_${name}`;
  return code >= 2000 ? `user:${code}` : code >= 1000 ? `http:${code - 1000}` : `rej:${code}`;
}
