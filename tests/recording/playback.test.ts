/** Playback helpers: HTTP ranges, time-range queries, signed segment URLs. */
import { describe, expect, it } from 'bun:test';
import { parseRange } from '../../services/recording/recording-playback.ts';
import { checkSegmentUrl, segmentStem, signedSegmentUrl, urlExpiryS } from '../../services/recording/recording-urls.ts';
import { RangeQuery } from '../../protocol/recording-api.ts';

describe('HTTP Range', () => {
  it('reads the three forms of one byte range (RFC 9110 14.1.2)', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-2000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=0-0,5-9', 1000)).toEqual({ start: 0, end: 0 });
  });

  it('says unsatisfiable past the end, and ignores what it cannot read', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-1', 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange('bytes=-', 1000)).toBeUndefined();
  });
});

describe('time ranges', () => {
  it('takes epoch seconds or ISO 8601 and checks the order and width', () => {
    expect(RangeQuery.parse({ from: '1700000000', to: '1700000060.5' })).toEqual({ from: 1700000000, to: 1700000060.5 });
    expect(RangeQuery.parse({ from: '2026-01-01T00:00:00Z' })).toEqual({ from: Date.UTC(2026, 0, 1) / 1000 });
    expect(RangeQuery.safeParse({ from: '20', to: '10' }).success).toBe(false);
    expect(RangeQuery.safeParse({ from: 'yesterday' }).success).toBe(false);
    expect(RangeQuery.safeParse({ from: '0', to: String(40 * 86400) }).success).toBe(false);
  });
});

describe('signed segment URLs', () => {
  const key = Buffer.alloc(32, 1);
  const name = '1700000000000-abc123.ts';
  it('verify for their purpose, segment and expiry only', () => {
    const url = new URL(signedSegmentUrl(key, 'https://h:1', 'put', 'SESS', name, 2000));
    expect(url.pathname).toBe(`/cs/up/SESS/${name}`);
    const e = url.searchParams.get('e')!;
    const s = url.searchParams.get('s')!;
    expect(checkSegmentUrl(key, 'put', 'SESS', name, e, s, 1999)).toBe('ok');
    expect(checkSegmentUrl(key, 'put', 'SESS', name, e, s, 2001)).toBe('expired');
    expect(checkSegmentUrl(key, 'get', 'SESS', name, e, s, 1999)).toBe('forged');
    expect(checkSegmentUrl(key, 'put', 'OTHER', name, e, s, 1999)).toBe('forged');
    expect(checkSegmentUrl(key, 'put', 'SESS', name, '3000', s, 1999)).toBe('forged');
    expect(checkSegmentUrl(Buffer.alloc(32, 2), 'put', 'SESS', name, e, s, 1999)).toBe('forged');
    expect(checkSegmentUrl(key, 'put', 'SESS', name, undefined, s, 1999)).toBe('forged');
  });

  it('live at least their time to live, made at any moment of a second', () => {
    for (const madeMs of [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_500, 1_700_000_000_999]) {
      const e = urlExpiryS(madeMs, 1);
      const sig = new URL(signedSegmentUrl(key, 'https://h:1', 'put', 'SESS', name, e)).searchParams.get('s')!;
      // still good one second after it was made, and less than two
      expect(checkSegmentUrl(key, 'put', 'SESS', name, String(e), sig, (madeMs + 1000) / 1000)).toBe('ok');
      expect(checkSegmentUrl(key, 'put', 'SESS', name, String(e), sig, (madeMs + 2000) / 1000)).toBe('expired');
    }
  });

  it('name segments as the platform makes them', () => {
    expect(segmentStem(name)).toBe('1700000000000-abc123');
    for (const bad of ['0003.ts', '1-abc.ts', '../x.ts', '1-ABCDEF.ts', '1-abcdef.mp4']) expect(segmentStem(bad)).toBeUndefined();
  });
});
