/**
 * Just enough MPEG-TS (ISO/IEC 13818-1) for a relay: whole 188-byte packets, PAT → PMT → video PID,
 * H.264/HEVC keyframe detection, and a bounded cache from the latest keyframe so a viewer joining
 * mid-stream starts decodable. No allocation per packet: the cache grows by doubling, rarely.
 */

/** Size of one TS packet. */
export const TS_PACKET_BYTES = 188;
/** First byte of every TS packet. */
export const TS_SYNC_BYTE = 0x47;
/** PID of the Program Association Table. */
export const TS_PID_PAT = 0;
/** PID of null (stuffing) packets, whose continuity counter means nothing. */
export const TS_PID_NULL = 0x1fff;

/** PMT stream types the tracker recognises as video (ISO/IEC 13818-1 Table 2-34). */
export const STREAM_TYPE_H264 = 0x1b;
/** HEVC stream type, see {@link STREAM_TYPE_H264}. */
export const STREAM_TYPE_HEVC = 0x24;

const bufferCopy = Buffer.prototype.copy;

/** Copy `len` bytes from `src[srcOff]` to `dst[dstOff]` without allocating a view (hot path). */
export function copyBytes(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
  bufferCopy.call(src, dst, dstOff, srcOff, srcOff + len);
}

/** PID of the packet at `p`. */
export function tsPid(buf: Uint8Array, p: number): number {
  return (((buf[p + 1] as number) & 0x1f) << 8) | (buf[p + 2] as number);
}

/** Continuity counter of the packet at `p`. */
export function tsCc(buf: Uint8Array, p: number): number {
  return (buf[p + 3] as number) & 0x0f;
}

/** True when the packet at `p` carries a payload (its CC then advances). */
export function tsHasPayload(buf: Uint8Array, p: number): boolean {
  return ((buf[p + 3] as number) & 0x10) !== 0;
}

/** True when `len` bytes at `off` are whole packets, each starting with the sync byte. */
export function isAligned(buf: Uint8Array, off: number, len: number): boolean {
  if (len % TS_PACKET_BYTES !== 0) return false;
  for (let p = off; p < off + len; p += TS_PACKET_BYTES) if (buf[p] !== TS_SYNC_BYTE) return false;
  return true;
}

/** Offset of the payload of the packet at `p`, or -1 when it has none. */
function payloadStart(buf: Uint8Array, p: number): number {
  const afc = ((buf[p + 3] as number) >> 4) & 3;
  if (!(afc & 1)) return -1;
  const start = afc & 2 ? p + 5 + (buf[p + 4] as number) : p + 4;
  return start < p + TS_PACKET_BYTES ? start : -1;
}

/** Start of the PSI section in a payload-unit-start packet, or -1. */
function sectionStart(buf: Uint8Array, p: number): number {
  const pl = payloadStart(buf, p);
  if (pl < 0 || !((buf[p + 1] as number) & 0x40)) return -1;
  const s = pl + 1 + (buf[pl] as number);
  return s + 3 <= p + TS_PACKET_BYTES ? s : -1;
}

/** Follows one program's PSI and video PID, and keeps the keyframe cache. */
export class TsTracker {
  /** The latest PAT and PMT packets, replayed at the head of the cache. */
  private readonly pat = new Uint8Array(TS_PACKET_BYTES);
  private readonly pmt = new Uint8Array(TS_PACKET_BYTES);
  private hasPat = false;
  private hasPmt = false;
  private pmtPid = -1;
  /** Elementary PID of the video stream, once the PMT named one. */
  videoPid = -1;
  /** Stream type of the video PID (H.264 or HEVC). */
  videoType = 0;
  /** Keyframes seen since the last reset. */
  keyframes = 0;
  private cache: Uint8Array;
  private fill = 0;
  private valid = false;

  constructor(
    private readonly cacheMaxBytes: number,
    cacheInitialBytes: number,
  ) {
    this.cache = new Uint8Array(Math.min(cacheInitialBytes, cacheMaxBytes));
  }

  /** Forget everything (a new publisher starts a new program). */
  reset(): void {
    this.hasPat = this.hasPmt = this.valid = false;
    this.pmtPid = this.videoPid = -1;
    this.videoType = 0;
    this.fill = 0;
  }

  /** Data from the latest keyframe (PAT and PMT first), or null when no keyframe is known. */
  cached(): Uint8Array | null {
    return this.valid ? this.cache.subarray(0, this.fill) : null;
  }

  /** Feed whole, aligned packets (see {@link isAligned}). */
  push(buf: Uint8Array, off: number, len: number): void {
    const end = off + len;
    let from = off;
    for (let p = off; p < end; p += TS_PACKET_BYTES) {
      const pid = tsPid(buf, p);
      if (pid === TS_PID_PAT) this.onPat(buf, p);
      else if (pid === this.pmtPid) this.onPmt(buf, p);
      else if (pid === this.videoPid && this.isKeyframe(buf, p)) {
        // Restart the cache here; PAT/PMT copies are the latest ones before this packet.
        this.keyframes++;
        this.fill = 0;
        this.valid = true;
        if (this.hasPat) this.append(this.pat, 0, TS_PACKET_BYTES);
        if (this.hasPmt) this.append(this.pmt, 0, TS_PACKET_BYTES);
        from = p;
      }
    }
    if (this.valid) this.append(buf, from, end - from);
  }

  private append(buf: Uint8Array, off: number, len: number): void {
    if (this.fill + len > this.cache.length) {
      if (this.fill + len > this.cacheMaxBytes) {
        // A GOP longer than the cache: no keyframe is known until the next one.
        this.valid = false;
        this.fill = 0;
        return;
      }
      let size = this.cache.length * 2;
      while (size < this.fill + len) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.cacheMaxBytes));
      grown.set(this.cache.subarray(0, this.fill));
      this.cache = grown;
    }
    copyBytes(buf, off, len, this.cache, this.fill);
    this.fill += len;
  }

  private onPat(buf: Uint8Array, p: number): void {
    const s = sectionStart(buf, p);
    if (s < 0 || buf[s] !== 0x00) return;
    const sectionEnd = Math.min(s + 3 + ((((buf[s + 1] as number) & 0x0f) << 8) | (buf[s + 2] as number)) - 4, p + TS_PACKET_BYTES);
    for (let e = s + 8; e + 4 <= sectionEnd; e += 4) {
      const program = ((buf[e] as number) << 8) | (buf[e + 1] as number);
      if (program === 0) continue; // network PID
      this.pmtPid = (((buf[e + 2] as number) & 0x1f) << 8) | (buf[e + 3] as number);
      break;
    }
    copyBytes(buf, p, TS_PACKET_BYTES, this.pat, 0);
    this.hasPat = true;
  }

  private onPmt(buf: Uint8Array, p: number): void {
    const s = sectionStart(buf, p);
    if (s < 0 || buf[s] !== 0x02) return;
    const sectionEnd = Math.min(s + 3 + ((((buf[s + 1] as number) & 0x0f) << 8) | (buf[s + 2] as number)) - 4, p + TS_PACKET_BYTES);
    let e = s + 12 + ((((buf[s + 10] as number) & 0x0f) << 8) | (buf[s + 11] as number));
    for (; e + 5 <= sectionEnd; e += 5 + ((((buf[e + 3] as number) & 0x0f) << 8) | (buf[e + 4] as number))) {
      const type = buf[e] as number;
      if (type === STREAM_TYPE_H264 || type === STREAM_TYPE_HEVC) {
        this.videoPid = (((buf[e + 1] as number) & 0x1f) << 8) | (buf[e + 2] as number);
        this.videoType = type;
        break;
      }
    }
    copyBytes(buf, p, TS_PACKET_BYTES, this.pmt, 0);
    this.hasPmt = true;
  }

  /** A PES start flagged random-access, or whose first bytes hold an IDR/IRAP or parameter-set NAL. */
  private isKeyframe(buf: Uint8Array, p: number): boolean {
    if (!((buf[p + 1] as number) & 0x40)) return false; // not a payload unit start
    const afc = ((buf[p + 3] as number) >> 4) & 3;
    if (afc & 2 && (buf[p + 4] as number) > 0 && (buf[p + 5] as number) & 0x40) return true; // random_access_indicator
    const pes = payloadStart(buf, p);
    const end = p + TS_PACKET_BYTES;
    if (pes < 0 || pes + 9 > end || buf[pes] !== 0 || buf[pes + 1] !== 0 || buf[pes + 2] !== 1) return false;
    for (let i = pes + 9 + (buf[pes + 8] as number); i + 3 < end; i++) {
      if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) continue;
      const h = buf[i + 3] as number;
      if (this.videoType === STREAM_TYPE_HEVC) {
        const t = (h >> 1) & 0x3f;
        if ((t >= 16 && t <= 21) || t === 32 || t === 33) return true;
      } else {
        const t = h & 0x1f;
        if (t === 5 || t === 7) return true;
      }
    }
    return false;
  }
}

/**
 * Turns arbitrary byte chunks into whole, sync-aligned packets (the slow path for a publisher whose
 * messages are not 188-byte multiples). Output is written to `out`; returns the bytes written.
 */
export class TsAligner {
  private readonly carry = new Uint8Array(TS_PACKET_BYTES);
  private carried = 0;

  /** Align `len` bytes at `off` into `out` (must hold `len + 188` bytes). */
  align(buf: Uint8Array, off: number, len: number, out: Uint8Array): number {
    let o = 0;
    let i = off;
    const end = off + len;
    if (this.carried > 0) {
      const need = TS_PACKET_BYTES - this.carried;
      if (len < need) {
        this.carry.set(buf.subarray(i, end), this.carried);
        this.carried += len;
        return 0;
      }
      this.carry.set(buf.subarray(i, i + need), this.carried);
      i += need;
      this.carried = 0;
      if (this.carry[0] === TS_SYNC_BYTE) {
        out.set(this.carry, o);
        o += TS_PACKET_BYTES;
      }
    }
    while (i < end) {
      if (buf[i] !== TS_SYNC_BYTE) {
        i++; // resynchronise on the next sync byte
        continue;
      }
      if (end - i < TS_PACKET_BYTES) {
        this.carry.set(buf.subarray(i, end));
        this.carried = end - i;
        break;
      }
      out.set(buf.subarray(i, i + TS_PACKET_BYTES), o);
      o += TS_PACKET_BYTES;
      i += TS_PACKET_BYTES;
    }
    return o;
  }
}
