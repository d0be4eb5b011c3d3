import { describe, expect, it } from 'bun:test';
import {
  encodeHeartbeat,
  HeartbeatFramer,
  HIBERNATION_CMD_HEARTBEAT,
  HIBERNATION_HEARTBEAT_BYTES,
  HIBERNATION_WAKE,
  parseHeartbeat,
  WakeScanner,
} from '../../protocol/hibernation.ts';

const HB = { macid: 'a0b1c2d3e4f5', token: 'Tk-5f2a9c0123456' };
const bytes = (...parts: Array<Uint8Array | number[] | string>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : [...p])));

/** The OVC document's layout, written out by hand: magic, length 40, macid[16], cmd, 3 reserved, token[16]. */
function ovcHeartbeat(macid: string, token: string, pad = 0): Uint8Array {
  const frame = new Uint8Array(40).fill(0);
  frame.set([0xcc, 0x00, 0x00, 40]);
  frame.fill(pad, 4, 20);
  frame.set(bytes(macid), 4);
  frame[20] = 0x4a;
  frame.set(bytes(token), 24);
  return frame;
}

describe('hibernation heartbeat (OVC hibernation.md 3.1)', () => {
  it('reads the 40-byte heartbeat of the OVC document: a 16-digit device number and a NUL-padded token', () => {
    expect(parseHeartbeat(ovcHeartbeat('2009550000011079', 'abc'))).toEqual({ ok: true, value: { macid: '2009550000011079', token: 'abc' } });
  });

  it('accepts the MAC as 12 hex digits in either case, NUL- or space-padded, normalised', () => {
    expect(parseHeartbeat(ovcHeartbeat('A0B1C2D3E4F5', 'tk'))).toEqual({ ok: true, value: { macid: 'a0b1c2d3e4f5', token: 'tk' } });
    expect(parseHeartbeat(ovcHeartbeat('a0b1c2d3e4f5', 'tk', 0x20))).toEqual({ ok: true, value: { macid: 'a0b1c2d3e4f5', token: 'tk' } });
  });

  it('encodes what it parses, 40 bytes long', () => {
    const frame = encodeHeartbeat(HB);
    expect(frame.length).toBe(HIBERNATION_HEARTBEAT_BYTES);
    expect(frame).toEqual(ovcHeartbeat(HB.macid, HB.token));
    expect(parseHeartbeat(frame)).toEqual({ ok: true, value: HB });
  });

  it('refuses a wrong magic, length, command, identity or token, naming the field', () => {
    const bad = (patch: (f: Uint8Array) => void) => {
      const f = encodeHeartbeat(HB);
      patch(f);
      const r = parseHeartbeat(f);
      return r.ok ? 'accepted' : r.error;
    };
    expect(bad((f) => (f[1] = 1))).toBe('heartbeat.magic: expected 0xcc 0x00');
    expect(bad((f) => (f[3] = 41))).toBe('heartbeat.length: expected 40, got 41');
    expect(bad((f) => (f[20] = 0x4b))).toBe('heartbeat.cmd: expected 0x4a, got 0x4b');
    expect(bad((f) => f.fill(0, 4, 20))).toStartWith('heartbeat.macid:');
    expect(bad((f) => (f[6] = 0x07))).toStartWith('heartbeat.macid:');
    expect(bad((f) => f.fill(0, 24, 40))).toStartWith('heartbeat.token:');
    expect(bad((f) => (f[24] = 0xff))).toStartWith('heartbeat.token:');
    expect(parseHeartbeat(new Uint8Array(39))).toEqual({ ok: false, error: 'heartbeat: expected 40 bytes, got 39' });
  });

  it('refuses to encode a token or identity longer than 16 characters', () => {
    expect(() => encodeHeartbeat({ macid: HB.macid, token: 'x'.repeat(17) })).toThrow('heartbeat.token');
    expect(() => encodeHeartbeat({ macid: 'y'.repeat(17), token: 'x' })).toThrow('heartbeat.macid');
  });
});

describe('heartbeat framer (a TCP byte stream)', () => {
  it('joins a heartbeat split over reads, byte by byte', () => {
    const framer = new HeartbeatFramer();
    const frame = encodeHeartbeat(HB);
    const found = [...frame].flatMap((b) => framer.push(Uint8Array.of(b)));
    expect(found).toEqual([{ ok: true, value: HB }]);
  });

  it('splits several heartbeats that come in one read', () => {
    const framer = new HeartbeatFramer();
    const two = bytes(encodeHeartbeat(HB), encodeHeartbeat({ macid: 'dev-2', token: 't2' }));
    expect(framer.push(two)).toEqual([
      { ok: true, value: HB },
      { ok: true, value: { macid: 'dev-2', token: 't2' } },
    ]);
  });

  it('skips garbage before, between and after heartbeats, counting it, and finds the heartbeats', () => {
    const framer = new HeartbeatFramer();
    const stream = bytes('hello', [0xcc, 0x01, 0xcc], encodeHeartbeat(HB), 'GET / HTTP/1.1\r\n', encodeHeartbeat(HB), [0x00]);
    const found = [];
    for (let i = 0; i < stream.length; i += 7) found.push(...framer.push(stream.subarray(i, i + 7)));
    expect(found).toEqual([
      { ok: true, value: HB },
      { ok: true, value: HB },
    ]);
    expect(framer.skipped).toBe(5 + 3 + 16 + 1);
  });

  it('refuses a frame with the magic but a wrong command, and finds the heartbeat that follows inside it', () => {
    const framer = new HeartbeatFramer();
    const broken = encodeHeartbeat(HB).slice(0, 12); // cut short: the next heartbeat begins inside its 40 bytes
    const found = framer.push(bytes(broken, encodeHeartbeat(HB)));
    expect(found[0]).toEqual({ ok: false, error: 'heartbeat.cmd: expected 0x4a, got 0x63' }); // the 'c' of the next one's macid
    expect(found.at(-1)).toEqual({ ok: true, value: HB });
  });

  it('holds at most one partial heartbeat, whatever a flood sends', () => {
    const framer = new HeartbeatFramer();
    const flood = new Uint8Array(1 << 20).fill(0xcc);
    expect(framer.push(flood)).toEqual([]);
    expect(framer.skipped).toBeGreaterThanOrEqual(flood.length - (HIBERNATION_HEARTBEAT_BYTES - 1));
    // What the flood left held cannot make a valid heartbeat out of garbage; a real one after it still parses.
    const found = framer.push(encodeHeartbeat(HB));
    expect(found.at(-1)).toEqual({ ok: true, value: HB });
  });

  it('keeps a constant command byte and magic (named constants)', () => {
    expect(HIBERNATION_CMD_HEARTBEAT).toBe(0x4a);
    expect(HIBERNATION_HEARTBEAT_BYTES).toBe(40);
  });
});

describe('wake command (OVC hibernation.md 3.2)', () => {
  it('finds TOWAKEUP split over reads and after near misses', () => {
    const scanner = new WakeScanner();
    expect(HIBERNATION_WAKE).toBe('TOWAKEUP');
    expect(scanner.push(bytes('TOWA'))).toBe(0);
    expect(scanner.push(bytes('KEUP'))).toBe(1);
    expect(scanner.push(bytes('TOTOWAKEUPxxTOWAKEUPTOWAKEU'))).toBe(2);
    expect(scanner.push(bytes('P'))).toBe(1);
    expect(scanner.push(bytes('towakeup'))).toBe(0);
  });
});
