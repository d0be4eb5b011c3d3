/**
 * `SRT_TRACEBSTATS` (srt.h `struct CBytePerfMon`) decoded into a typed object. Offsets are those of
 * libsrt 1.5 on 64-bit Linux; `tests/media/srt-binding.test.ts` checks them against `offsetof`.
 */

/** `sizeof(SRT_TRACEBSTATS)` in libsrt 1.5 (x86_64). */
export const SRT_BSTATS_BYTES = 496;

/** Per-socket statistics from `srt_bstats`: totals since connect, rates over the last interval. */
export interface SrtStats {
  /** Milliseconds since the socket connected. */
  msTimeStamp: number;
  /** Data packets sent, retransmissions included. */
  pktSent: number;
  /** Data packets received. */
  pktRecv: number;
  /** Packets the peer reported lost (sender side). */
  pktSndLoss: number;
  /** Packets detected lost (receiver side). */
  pktRcvLoss: number;
  /** Packets retransmitted. */
  pktRetrans: number;
  /** Packets dropped by the sender as too late to play. */
  pktSndDrop: number;
  /** Packets dropped by the receiver as too late to play. */
  pktRcvDrop: number;
  /** Packets that could not be decrypted. */
  pktRcvUndecrypt: number;
  /** Bytes sent, retransmissions included. */
  byteSent: number;
  /** Bytes received. */
  byteRecv: number;
  /** Bytes lost (receiver side). */
  byteRcvLoss: number;
  /** Bytes retransmitted. */
  byteRetrans: number;
  /** Bytes dropped by the sender. */
  byteSndDrop: number;
  /** Bytes dropped by the receiver (estimate). */
  byteRcvDrop: number;
  /** Sending rate over the last interval, Mbit/s. */
  mbpsSendRate: number;
  /** Receiving rate over the last interval, Mbit/s. */
  mbpsRecvRate: number;
  /** Smoothed round-trip time, ms. */
  msRTT: number;
  /** Estimated link bandwidth, Mbit/s. */
  mbpsBandwidth: number;
  /** Packets in flight (sent, not acknowledged). */
  pktFlightSize: number;
  /** Unacknowledged packets in the sender buffer. */
  pktSndBuf: number;
  /** Timespan of the sender buffer, ms. */
  msSndBuf: number;
  /** Undelivered packets in the receiver buffer. */
  pktRcvBuf: number;
  /** Timespan of the receiver buffer, ms. */
  msRcvBuf: number;
  /** Negotiated receiver latency (TSBPD delay), ms. */
  msRcvTsbPdDelay: number;
  /** Negotiated sender latency (peer's TSBPD delay), ms. */
  msSndTsbPdDelay: number;
}

type Kind = 'i64' | 'u64' | 'i32' | 'f64';

/** Field → [byte offset, C type] in `struct CBytePerfMon`. */
export const SRT_BSTATS_LAYOUT: Readonly<Record<keyof SrtStats, readonly [number, Kind]>> = {
  msTimeStamp: [0, 'i64'],
  pktSent: [8, 'i64'],
  pktRecv: [16, 'i64'],
  pktSndLoss: [24, 'i32'],
  pktRcvLoss: [28, 'i32'],
  pktRetrans: [32, 'i32'],
  pktSndDrop: [64, 'i32'],
  pktRcvDrop: [68, 'i32'],
  pktRcvUndecrypt: [72, 'i32'],
  byteSent: [80, 'u64'],
  byteRecv: [88, 'u64'],
  byteRcvLoss: [96, 'u64'],
  byteRetrans: [104, 'u64'],
  byteSndDrop: [112, 'u64'],
  byteRcvDrop: [120, 'u64'],
  mbpsSendRate: [184, 'f64'],
  mbpsRecvRate: [192, 'f64'],
  pktFlightSize: [320, 'i32'],
  msRTT: [328, 'f64'],
  mbpsBandwidth: [336, 'f64'],
  pktSndBuf: [364, 'i32'],
  msSndBuf: [372, 'i32'],
  msSndTsbPdDelay: [376, 'i32'],
  pktRcvBuf: [380, 'i32'],
  msRcvBuf: [388, 'i32'],
  msRcvTsbPdDelay: [392, 'i32'],
};

/** C field names for the layout keys whose libsrt name differs (the `*Total` counters). */
export const SRT_BSTATS_C_NAMES: Readonly<Partial<Record<keyof SrtStats, string>>> = {
  pktSent: 'pktSentTotal',
  pktRecv: 'pktRecvTotal',
  pktSndLoss: 'pktSndLossTotal',
  pktRcvLoss: 'pktRcvLossTotal',
  pktRetrans: 'pktRetransTotal',
  pktSndDrop: 'pktSndDropTotal',
  pktRcvDrop: 'pktRcvDropTotal',
  pktRcvUndecrypt: 'pktRcvUndecryptTotal',
  byteSent: 'byteSentTotal',
  byteRecv: 'byteRecvTotal',
  byteRcvLoss: 'byteRcvLossTotal',
  byteRetrans: 'byteRetransTotal',
  byteSndDrop: 'byteSndDropTotal',
  byteRcvDrop: 'byteRcvDropTotal',
};

/** Decode a `SRT_TRACEBSTATS` filled by `srt_bstats`. */
export function decodeStats(view: DataView): SrtStats {
  const out = {} as Record<keyof SrtStats, number>;
  for (const [key, [off, kind]] of Object.entries(SRT_BSTATS_LAYOUT) as [keyof SrtStats, readonly [number, Kind]][]) {
    out[key] =
      kind === 'i64'
        ? Number(view.getBigInt64(off, true))
        : kind === 'u64'
          ? Number(view.getBigUint64(off, true))
          : kind === 'i32'
            ? view.getInt32(off, true)
            : view.getFloat64(off, true);
  }
  return out;
}
