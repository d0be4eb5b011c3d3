import { describe, expect, it } from 'bun:test';
import pino from 'pino';
import { LogLimiter } from '../../lib/log-limit.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('log limiter', () => {
  it('writes a few lines of a kind per key and window, then one summary of the rest', () => {
    const { log, lines } = capture();
    const l = new LogLimiter(log, { perWindow: 3, windowMs: 60_000 });
    for (let i = 0; i < 1000; i++) l.warn('CAM1', { i }, 'malformed vd frame');
    l.warn('CAM2', { i: 0 }, 'malformed vd frame');
    l.warn('CAM1', { i: 0 }, 'another kind');
    expect(lines.length).toBe(5);
    l.stop();
    expect(lines.length).toBe(6);
    expect(lines[5]).toMatchObject({ msg: 'malformed vd frame (similar lines suppressed)', suppressed: 997, i: 999 });
  });

  it('shares one key among lines past its key limit, so many devices cannot grow it either', () => {
    const { log, lines } = capture();
    const l = new LogLimiter(log, { perWindow: 1, windowMs: 60_000, maxKeys: 2 });
    for (let d = 0; d < 100; d++) l.warn(`CAM${d}`, {}, 'vd login refused');
    expect(lines.length).toBe(3); // two keys, and the shared one
    l.stop();
    expect(lines.at(-1)).toMatchObject({ suppressed: 97 });
  });
});
