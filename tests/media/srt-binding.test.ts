import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { cc } from 'bun:ffi';
import { join } from 'node:path';
import * as srt from '../../media/srt/index.ts';
import { tempDir } from './helpers.ts';

// Only non-blocking calls here: blocking ones are exercised through workers in the MDU tests.
beforeAll(() => srt.startup());
afterAll(() => srt.cleanup());

describe('libsrt binding', () => {
  it('loads libsrt 1.5', () => {
    expect(srt.version()).toStartWith('1.5.');
  });

  it('sets and reads socket flags with their types', () => {
    const s = srt.createSocket();
    srt.setFlag(s, 'latencyMs', 200);
    srt.setFlag(s, 'streamId', '#!::r=x,m=request,t=y');
    srt.setFlag(s, 'rcvSyn', false);
    srt.setFlag(s, 'pbkeylen', 32);
    srt.setFlag(s, 'passphrase', 'correct-horse-battery');
    expect(srt.getFlag(s, 'latencyMs')).toBe(200);
    expect(srt.getFlag(s, 'streamId')).toBe('#!::r=x,m=request,t=y');
    expect(srt.getFlag(s, 'rcvSyn')).toBe(false);
    expect(srt.getFlag(s, 'sndSyn')).toBe(true);
    expect(srt.getFlag(s, 'pbkeylen')).toBe(32);
    expect(srt.getFlag(s, 'payloadSize')).toBe(srt.SRT_LIVE_PAYLOAD_BYTES);
    expect(srt.sockState(s)).toBe(srt.SrtSockState.INIT);
    expect(srt.close(s)).toBe(true);
  });

  it('reports libsrt errors as SrtError with code and message', () => {
    const s = srt.createSocket();
    expect(() => srt.setFlag(s, 'passphrase', 'short')).toThrow(srt.SrtError);
    srt.close(s);
    try {
      srt.listen(s, 1);
      throw new Error('unreachable');
    } catch (e) {
      expect(e).toBeInstanceOf(srt.SrtError);
      expect((e as srt.SrtError).code).toBe(srt.SrtErrno.EINVSOCK);
      expect((e as srt.SrtError).message).toContain('srt_listen');
    }
    expect(srt.sockState(s)).toBeGreaterThanOrEqual(srt.SrtSockState.CLOSED);
  });

  it('binds to a free port and reports it; a second listener on that port fails', () => {
    const a = srt.createSocket();
    srt.bind(a, '127.0.0.1', 0);
    srt.listen(a, 4);
    const port = srt.localAddress(a)?.port ?? 0;
    expect(port).toBeGreaterThan(0);
    const b = srt.createSocket();
    expect(() => {
      srt.bind(b, '127.0.0.1', port); // libsrt may share the UDP port…
      srt.listen(b, 4); // …but not its listener
    }).toThrow(srt.SrtError);
    srt.close(a);
    srt.close(b);
  });

  it('decodes srt_bstats at the offsets libsrt compiles', () => {
    const { dir, cleanup } = tempDir();
    const names = Object.keys(srt.SRT_BSTATS_LAYOUT) as (keyof srt.SrtStats)[];
    const cName = (k: keyof srt.SrtStats) => srt.SRT_BSTATS_C_NAMES[k] ?? k;
    const src = join(dir, 'off.c');
    Bun.write(
      src,
      `#include <srt/srt.h>\n#include <stddef.h>\nint size(void){return sizeof(SRT_TRACEBSTATS);}\nint off(int i){switch(i){${names.map((k, i) => `case ${i}: return offsetof(SRT_TRACEBSTATS, ${cName(k)});`).join('')}}return -1;}\n`,
    );
    const lib = cc({ source: src, symbols: { size: { args: [], returns: 'i32' }, off: { args: ['i32'], returns: 'i32' } } });
    expect(lib.symbols.size()).toBe(srt.SRT_BSTATS_BYTES);
    for (const [i, k] of names.entries()) expect([k, lib.symbols.off(i)]).toEqual([k, srt.SRT_BSTATS_LAYOUT[k][0]]);
    lib.close();
    cleanup();
  });

  it('encodes and decodes IPv4 and IPv6 socket addresses', () => {
    expect(srt.decodeSockaddr(srt.encodeSockaddr('127.0.0.1', 9000))).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(srt.decodeSockaddr(srt.encodeSockaddr('::1', 9001))).toEqual({ host: '::1', port: 9001 });
    expect(srt.decodeSockaddr(srt.encodeSockaddr('localhost', 1))?.host).toBe('127.0.0.1');
    expect(() => srt.encodeSockaddr('example.org', 1)).toThrow(RangeError);
    expect(srt.formatEndpoint({ host: '::1', port: 5 })).toBe('[::1]:5');
  });

  it('names rejection codes', () => {
    expect(srt.rejectReasonName(srt.SrtRej.BADSECRET)).toBe('REJ_BADSECRET');
    expect(srt.rejectReasonName(srt.SrtRejx.FORBIDDEN)).toBe('REJX_FORBIDDEN');
    expect(srt.rejectReasonText(srt.SrtRej.UNSECURE)).toContain('assword');
  });
});
