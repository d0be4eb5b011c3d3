/**
 * The hibernation server's wire protocol (H.627.2 names the server in Vs `HibernationDomain`, I.1, and GetServerInfo
 * `hibernation`/`hb_token`, I.2.2; its protocol is OVC docs/hibernation.md, NOTES 20): one long TCP connection from a
 * sleeping device, binary, big-endian. The device sends a 40-byte heartbeat every 60 s; the platform wakes it with
 * the 8 ASCII bytes `TOWAKEUP`, after which it logs in as usual (Vs, Vd).
 *
 * The heartbeat's `macid` (16 characters, NUL- or space-padded) is the device's MAC (12 hex digits, either case) or
 * its device id (OVC: a 16-digit number); its `token` (NUL-padded) is the `hb_token` GetServerInfo handed out.
 * @module
 */
import { normalizeDeviceIdentity } from './identity.ts';
import type { Result } from './errors.ts';

/** First byte of a heartbeat (its sync field). */
export const HIBERNATION_MAGIC_0 = 0xcc; // OVC hibernation.md 3.1 `magic`
/** Second byte of a heartbeat. */
export const HIBERNATION_MAGIC_1 = 0x00; // OVC hibernation.md 3.1 `magic`
/** Length of a heartbeat, bytes; also the value of its `length` field. */
export const HIBERNATION_HEARTBEAT_BYTES = 40; // OVC hibernation.md 3.1 `length`
/** Offset of the big-endian uint16 `length` field. */
const LENGTH_OFFSET = 2;
/** Offset and size of `macid`. */
const MACID_OFFSET = 4;
/** Bytes of the heartbeat's `macid` field. */
export const HIBERNATION_MACID_BYTES = 16; // OVC hibernation.md 3.1 `char macid[16]`
/** Offset of the `cmd` byte. */
const CMD_OFFSET = MACID_OFFSET + HIBERNATION_MACID_BYTES;
/** The heartbeat's command byte. */
export const HIBERNATION_CMD_HEARTBEAT = 0x4a; // OVC hibernation.md 3.1 `cmd`
/** Reserved bytes after `cmd`. */
const RESERVED_BYTES = 3; // OVC hibernation.md 3.1 reserved1..3
/** Offset of the `token` field. */
const TOKEN_OFFSET = CMD_OFFSET + 1 + RESERVED_BYTES;
/** Bytes of the heartbeat's `token` field (the `hb_token`, NUL-padded). */
export const HIBERNATION_TOKEN_BYTES = 16; // OVC hibernation.md 3.1 `char token[16]`; H.627.2 I.2.2 hb_token ≤ 16
/** The wake command, platform → device. */
export const HIBERNATION_WAKE = 'TOWAKEUP'; // OVC hibernation.md 3.2 `char cmd[8]`
/** The wake command as bytes. */
export const HIBERNATION_WAKE_BYTES = new TextEncoder().encode(HIBERNATION_WAKE);
/** How often a sleeping device sends its heartbeat. */
export const HIBERNATION_HB_INTERVAL_S = 60; // OVC hibernation.md 2.1 step 3, 3.1
/** A sleeping device is offline after this long without a heartbeat (a dropped TCP link alone is not offline). */
export const HIBERNATION_OFFLINE_AFTER_S = 135; // OVC hibernation.md 2.2

/** A heartbeat as the device sent it: its identity (normalised, docs/protocol.md) and its token. */
export interface HibernationHeartbeat {
  macid: string;
  token: string;
}

/** Field padding the device may use: NUL (the OVC struct) or space. */
const PAD = /[\0 ]+$/;
/** A `token` is printable ASCII (an `hb_token` the platform made). */
const PRINTABLE = /^[\x21-\x7e]*$/;

/** Decode a NUL/space-padded ASCII field; undefined when it holds a byte outside printable ASCII before the padding. */
function field(bytes: Uint8Array): string | undefined {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  const trimmed = text.replace(PAD, '');
  return PRINTABLE.test(trimmed) ? trimmed : undefined;
}

/**
 * Parse one 40-byte heartbeat (the frame must be exactly that long): magic, length, `cmd`, the identity and the token.
 * @example parseHeartbeat(encodeHeartbeat({ macid: 'a0b1c2d3e4f5', token: 'tk' })) // { ok: true, value: { macid: 'a0b1c2d3e4f5', token: 'tk' } }
 */
export function parseHeartbeat(frame: Uint8Array): Result<HibernationHeartbeat> {
  if (frame.length !== HIBERNATION_HEARTBEAT_BYTES)
    return { ok: false, error: `heartbeat: expected ${HIBERNATION_HEARTBEAT_BYTES} bytes, got ${frame.length}` };
  if (frame[0] !== HIBERNATION_MAGIC_0 || frame[1] !== HIBERNATION_MAGIC_1) return { ok: false, error: 'heartbeat.magic: expected 0xcc 0x00' };
  const length = (frame[LENGTH_OFFSET]! << 8) | frame[LENGTH_OFFSET + 1]!;
  if (length !== HIBERNATION_HEARTBEAT_BYTES) return { ok: false, error: `heartbeat.length: expected ${HIBERNATION_HEARTBEAT_BYTES}, got ${length}` };
  const cmd = frame[CMD_OFFSET]!;
  if (cmd !== HIBERNATION_CMD_HEARTBEAT) return { ok: false, error: `heartbeat.cmd: expected 0x4a, got 0x${cmd.toString(16).padStart(2, '0')}` };
  const rawId = field(frame.subarray(MACID_OFFSET, CMD_OFFSET));
  const macid = rawId === undefined || rawId === '' ? undefined : normalizeDeviceIdentity(rawId);
  if (macid === undefined) return { ok: false, error: 'heartbeat.macid: expected a MAC address or a device id of printable characters' };
  const token = field(frame.subarray(TOKEN_OFFSET, TOKEN_OFFSET + HIBERNATION_TOKEN_BYTES));
  if (token === undefined || token === '') return { ok: false, error: 'heartbeat.token: expected 1-16 printable characters, NUL-padded' };
  return { ok: true, value: { macid, token } };
}

/**
 * Encode a heartbeat (the device side: the simulator, tests, the benchmark). `macid` and `token` must be printable
 * ASCII of at most 16 characters; they are NUL-padded.
 */
export function encodeHeartbeat(hb: HibernationHeartbeat): Uint8Array {
  if (hb.macid.length > HIBERNATION_MACID_BYTES || !PRINTABLE.test(hb.macid)) throw new RangeError('heartbeat.macid: at most 16 printable ASCII characters');
  if (hb.token.length > HIBERNATION_TOKEN_BYTES || !PRINTABLE.test(hb.token)) throw new RangeError('heartbeat.token: at most 16 printable ASCII characters');
  const frame = new Uint8Array(HIBERNATION_HEARTBEAT_BYTES);
  frame[0] = HIBERNATION_MAGIC_0;
  frame[1] = HIBERNATION_MAGIC_1;
  frame[LENGTH_OFFSET] = HIBERNATION_HEARTBEAT_BYTES >> 8;
  frame[LENGTH_OFFSET + 1] = HIBERNATION_HEARTBEAT_BYTES & 0xff;
  for (let i = 0; i < hb.macid.length; i++) frame[MACID_OFFSET + i] = hb.macid.charCodeAt(i);
  frame[CMD_OFFSET] = HIBERNATION_CMD_HEARTBEAT;
  for (let i = 0; i < hb.token.length; i++) frame[TOKEN_OFFSET + i] = hb.token.charCodeAt(i);
  return frame;
}

/** What the framer found in the bytes it was given: heartbeats, refused frames, and garbage skipped. */
export type HeartbeatFrame = { ok: true; value: HibernationHeartbeat } | { ok: false; error: string };

/**
 * Cuts a TCP byte stream into heartbeats. Bytes may come in any split (a heartbeat over several reads, several in
 * one); anything before a magic is skipped and counted (`skipped`); a frame with the magic but a bad length or
 * command is refused and the search resumes one byte after its magic. It keeps at most one partial frame
 * (HIBERNATION_HEARTBEAT_BYTES − 1 bytes): what a peer sends can never grow it.
 */
export class HeartbeatFramer {
  private readonly buf = new Uint8Array(HIBERNATION_HEARTBEAT_BYTES);
  private held = 0;
  /** Bytes skipped so far because they began no heartbeat. */
  skipped = 0;

  /** Feed the next bytes of the stream; the frames completed by them, in order. */
  push(chunk: Uint8Array): HeartbeatFrame[] {
    const out: HeartbeatFrame[] = [];
    for (let i = 0; i < chunk.length; ) {
      if (this.held === 0) {
        // Look for the first magic byte in what is left of the chunk.
        const start = chunk.indexOf(HIBERNATION_MAGIC_0, i);
        if (start < 0) {
          this.skipped += chunk.length - i;
          break;
        }
        this.skipped += start - i;
        i = start;
      }
      const take = Math.min(HIBERNATION_HEARTBEAT_BYTES - this.held, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + take), this.held);
      this.held += take;
      i += take;
      if (this.held >= 2 && this.buf[1] !== HIBERNATION_MAGIC_1) {
        this.resync(); // a lone 0xcc: garbage, not a refused heartbeat
        continue;
      }
      if (this.held < HIBERNATION_HEARTBEAT_BYTES) continue;
      const parsed = parseHeartbeat(this.buf);
      out.push(parsed);
      if (parsed.ok) this.held = 0;
      else this.resync(); // its bytes after the magic may hold the next heartbeat
    }
    return out;
  }

  /** Drop the held frame's first byte (it began no heartbeat) and keep what follows from its next magic byte. */
  private resync(): void {
    const rest = this.buf.subarray(1, this.held);
    const next = rest.indexOf(HIBERNATION_MAGIC_0);
    const keep = next < 0 ? 0 : rest.length - next;
    this.skipped += this.held - keep;
    this.buf.copyWithin(0, this.held - keep, this.held);
    this.held = keep;
    // What is kept may itself begin with a wrong second byte: check again.
    if (this.held >= 2 && this.buf[1] !== HIBERNATION_MAGIC_1) this.resync();
  }
}

/**
 * Finds `TOWAKEUP` in the platform → device byte stream (the device side), in any split; keeps at most 7 bytes.
 * @example new WakeScanner().push(new TextEncoder().encode('TOWAKEUP')) // 1
 */
export class WakeScanner {
  private matched = 0;

  /** Feed the next bytes; how many wake commands they completed. */
  push(chunk: Uint8Array): number {
    let wakes = 0;
    for (const b of chunk) {
      if (b === HIBERNATION_WAKE_BYTES[this.matched]) this.matched++;
      else this.matched = b === HIBERNATION_WAKE_BYTES[0] ? 1 : 0;
      if (this.matched === HIBERNATION_WAKE_BYTES.length) {
        wakes++;
        this.matched = 0;
      }
    }
    return wakes;
  }
}
