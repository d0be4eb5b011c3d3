/**
 * The messages of the live bench's processes: the load generator's main thread and its SRT worker
 * (bench/live-srt.worker.ts) exchange SrtCommand and SrtReport; the generator (bench/live-load.ts)
 * answers the bench (bench/live.bench.ts) with SrtMeasure and WsMeasure and takes ViewSpec.
 */
import type { SrtTarget, Summary } from './live-ts.ts';

/** Main → worker. */
export type SrtCommand =
  | { type: 'init'; sample: Uint8Array; rateBps: number; latencyMs: number; maxSamples: number; maxSeconds: number }
  | { type: 'publish'; id: number; target: SrtTarget }
  | { type: 'unpublish'; id: number }
  | { type: 'view'; id: number; stream: number; target: SrtTarget }
  | { type: 'close-all' }
  | { type: 'reset'; at: number }
  | { type: 'measure' };

/** Totals of the SRT side over the measured window. */
export interface SrtMeasure {
  /** Publishers and viewers connected now. */
  publishers: number;
  viewers: number;
  /** Messages and bytes the publishers sent in the window. */
  sentMessages: number;
  sentBytes: number;
  /** TS packets viewers should have got, and got, between their first and last probe of the window. */
  expected: number;
  received: number;
  /** Bytes the SRT viewers received in the window. */
  receivedBytes: number;
  /** Added delay: end-to-end minus the publisher's and the viewer's negotiated SRT latency. */
  delay: Summary;
  /** The same without the seconds in which the generator stalled (and the one after each). */
  delayCalm: Summary;
  /** Seconds of the window left out of `delayCalm`. */
  stalled: number[];
  /** The seconds of the window with the worst delays, `[second, ms]`. */
  worstSeconds: [number, number][];
  /** Local UDP ports of the generator's publishers and viewers (to attribute kernel drops). */
  ports: number[];
  /** Lowest and highest per-viewer mean delay: a wide spread means per-connection offsets (TSBPD time bases). */
  viewerMeanMs: [number, number];
  /** Negotiated latencies seen (publisher → relay, relay → viewer), ms. */
  pubLatencyMs: number[];
  viewLatencyMs: number[];
  /** Most a send was behind schedule, ms; messages libsrt refused (send buffer full). */
  maxSendLagMs: number;
  refused: number;
  /** Probes naming another stream than the viewer's (would be a relay mix-up). */
  crossTalk: number;
  /** Viewers and publishers that broke during the window. */
  broken: number;
  /** libsrt counters summed over sockets (whole run): receiver-detected losses, too-late drops, retransmissions. */
  srt: { viewRcvLoss: number; viewRcvDrop: number; pubRetrans: number; pubSndDrop: number; pubSndLoss: number };
}

/** Worker → main. */
export type SrtReport =
  | { type: 'connected'; kind: 'pub' | 'view'; id: number; ok: boolean; latencyMs: number; error?: string }
  | { type: 'broken'; kind: 'pub' | 'view'; id: number }
  | { type: 'measured'; m: SrtMeasure }
  | { type: 'ack' };

/** Totals of the WSS viewers over the measured window (same meaning as in {@link SrtMeasure}). */
export interface WsMeasure {
  viewers: number;
  expected: number;
  received: number;
  receivedBytes: number;
  /** End-to-end minus the publisher's negotiated SRT latency (one SRT hop). */
  delay: Summary;
  /** The same without the seconds in which the generator stalled (as the SRT side found them). */
  delayCalm: Summary;
  /** The seconds of the window with the worst delays, `[second, ms]`. */
  worstSeconds: [number, number][];
  /** Lowest and highest per-viewer mean delay. */
  viewerMeanMs: [number, number];
  /** Messages that were not whole TS packets; probes naming another stream. */
  misaligned: number;
  crossTalk: number;
  /** Viewers the platform closed during the run, with the first reasons. */
  closed: number;
  closeReasons: string[];
}

/** One viewer/stream pairing of a `view` command. */
export interface ViewSpec {
  stream: number;
  srtUrl?: string;
  wsUrl?: string;
}
