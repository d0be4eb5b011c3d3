/**
 * Messages between the main thread (`mdu.ts`) and the relay worker (`mdu.worker.ts`).
 */
import type { SrtKeyLength } from '../srt/constants.ts';
import type { SrtStats } from '../srt/stats.ts';
import type { StreamMode } from '../srt/streamid.ts';

/** Settings the worker starts with. */
export interface WorkerConfig {
  host: string;
  port: number;
  latencyMs: number;
  silenceTimeoutMs: number;
  viewerQueueBytes: number;
  srtLogLevel: number;
  /** Close the listener after this long with nothing granted, admitted or connected (mdu.worker.ts); 0: never. */
  listenerDormantAfterMs: number;
}

/** Main → worker. */
export type Command =
  | { type: 'start'; config: WorkerConfig }
  | {
      type: 'grant';
      id: number;
      streamId: string;
      token: string;
      mode: StreamMode;
      passphrase?: string;
      pbkeylen?: SrtKeyLength;
      expiresAt?: number;
    }
  | { type: 'revoke'; id: number; streamId: string; token?: string }
  | { type: 'close'; id: number; streamId: string; reason: string }
  | { type: 'sub'; streamId: string; subId: number }
  | { type: 'unsub'; streamId: string; subId: number }
  | { type: 'inspect'; id: number }
  | { type: 'stop'; id: number };

/** Why a connection was refused (`code` carries the SRT rejection code). */
export type RejectReason = 'bad-request' | 'bad-mode' | 'forbidden' | 'conflict' | 'token-reused' | 'expired' | 'handshake-failed' | 'internal';

/** Statistics of one stream, refreshed every `STATS_INTERVAL_MS`. */
export interface StreamStats {
  streamId: string;
  /** True while a publisher is connected. */
  live: boolean;
  /** Ingest bit rate over the last interval. */
  bitrateBps: number;
  /** SRT data messages received from the current publisher. */
  packets: number;
  /** Bytes received from the current publisher. */
  bytes: number;
  /** SRT viewers plus main-thread subscribers. */
  viewers: number;
  /** srt_bstats of the publisher's socket, when live. */
  srt: SrtStats | null;
  /** srt_bstats of each SRT viewer. */
  viewerSrt: { viewerId: string; srt: SrtStats }[];
}

/** Events of the MDU, by name. */
export interface MduEvents {
  'publish.start': { streamId: string; peer?: string; token?: string };
  'publish.end': { streamId: string; reason: string; packets: number; bytes: number; durationMs: number };
  /** `token` is the grant an SRT viewer was admitted with, so the platform knows whose connection it is. */
  'viewer.join': { streamId: string; viewerId: string; kind: 'srt' | 'subscriber'; peer?: string; token?: string };
  'viewer.leave': { streamId: string; viewerId: string; kind: 'srt' | 'subscriber'; reason: string; token?: string };
  rejected: { streamId?: string; mode?: StreamMode; code: number; reason: RejectReason; peer?: string; detail?: string };
  stats: StreamStats;
}

/** What `inspect()` reports, for tests and diagnostics. */
export interface MduInspect {
  /** SRT sockets the worker holds besides the listener. */
  sockets: number;
  /** Handshakes admitted by the access check but not yet accepted or failed. */
  pendingHandshakes: number;
  /** Grants not yet used. */
  grants: number;
  streams: string[];
}

/** A log line from the worker. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  [field: string]: unknown;
}

/** Worker → main. */
export type Report =
  | { type: 'ready'; port: number }
  | { type: 'fatal'; message: string }
  | { type: 'ack'; id: number; error?: string; info?: MduInspect }
  | { [K in keyof MduEvents]: { type: 'event'; name: K; event: MduEvents[K] } }[keyof MduEvents]
  /** Batches of several streams: stream `ids[i]` has `buf` from `ends[i - 1]` (0 for the first) to `ends[i]`. */
  | { type: 'data'; ids: string[]; ends: number[]; buf: Uint8Array }
  | { type: 'cache'; streamId: string; subId: number; chunk: Uint8Array | null }
  | { type: 'log'; line: LogLine }
  | { type: 'stopped' };
