import { describe, expect, it } from 'bun:test';
import { STREAM_TYPE_H264, TS_PACKET_BYTES, TsAligner, TsTracker, isAligned, tsPid } from '../../media/mdu/ts.ts';
import { ByteRing } from '../../media/mdu/ring.ts';
import { TsChecker, testClip } from './helpers.ts';

const MESSAGE_BYTES = 1316;

/** Feed a clip as SRT would deliver it: 7 packets per message. */
function feed(t: TsTracker, clip: Uint8Array, upTo = clip.byteLength): void {
  for (let o = 0; o < upTo; o += MESSAGE_BYTES) t.push(clip, o, Math.min(MESSAGE_BYTES, upTo - o));
}

describe('MPEG-TS tracking', () => {
  it('finds the H.264 PID from PAT and PMT and one keyframe per second', async () => {
    const clip = await testClip();
    expect(isAligned(clip, 0, clip.byteLength)).toBe(true);
    const t = new TsTracker(4 << 20, 64 << 10);
    feed(t, clip);
    expect(t.videoType).toBe(STREAM_TYPE_H264);
    expect(t.videoPid).toBeGreaterThan(0);
    expect(t.keyframes).toBeGreaterThanOrEqual(5); // 6 s at -g 25
    expect(t.keyframes).toBeLessThanOrEqual(7);
  });

  it('caches from the latest keyframe, PAT and PMT first, with continuous counters', async () => {
    const clip = await testClip();
    const t = new TsTracker(4 << 20, 16 << 10); // small start: the cache must grow
    feed(t, clip, Math.floor(clip.byteLength / 2 / MESSAGE_BYTES) * MESSAGE_BYTES);
    const cached = t.cached();
    expect(cached).not.toBeNull();
    const c = cached as Uint8Array;
    expect(isAligned(c, 0, c.byteLength)).toBe(true);
    expect(tsPid(c, 0)).toBe(0);
    expect(tsPid(c, TS_PACKET_BYTES * 2)).toBe(t.videoPid);
    expect((c[TS_PACKET_BYTES * 2 + 5] as number) & 0x40).toBe(0x40); // random_access_indicator
    const check = new TsChecker();
    check.push(c);
    expect(check.gaps).toBe(0);
  });

  it('drops the cache when a GOP outgrows its bound', async () => {
    const clip = await testClip();
    const t = new TsTracker(8 * 1024, 4 * 1024);
    feed(t, clip);
    expect(t.cached()).toBeNull();
  });

  it('detects keyframes from IDR NAL units when the adaptation field says nothing', async () => {
    const clip = (await testClip()).slice();
    for (let p = 0; p < clip.byteLength; p += TS_PACKET_BYTES) {
      const afc = ((clip[p + 3] as number) >> 4) & 3;
      if (afc & 2 && (clip[p + 4] as number) > 0) clip[p + 5] = (clip[p + 5] as number) & ~0x40;
    }
    const t = new TsTracker(4 << 20, 64 << 10);
    feed(t, clip);
    expect(t.keyframes).toBeGreaterThanOrEqual(5);
  });

  it('realigns chunks cut anywhere into whole packets', async () => {
    const clip = await testClip();
    const a = new TsAligner();
    const out = new Uint8Array(4096 + TS_PACKET_BYTES);
    const parts: Uint8Array[] = [];
    for (let o = 0, i = 0; o < 200_000; i++) {
      const n = 1 + ((i * 7919) % 4096);
      const m = a.align(clip, o, n, out);
      parts.push(out.slice(0, m));
      o += n;
    }
    const joined = Buffer.concat(parts);
    expect(isAligned(joined, 0, joined.byteLength)).toBe(true);
    expect(Buffer.compare(joined, clip.subarray(0, joined.byteLength))).toBe(0);
  });
});

describe('viewer byte ring', () => {
  it('queues up to capacity, wraps, and hands out contiguous runs', () => {
    const r = new ByteRing(8);
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(r.push(src, 0, 6)).toBe(true);
    expect(r.push(src, 0, 3)).toBe(false);
    r.consume(4);
    expect(r.push(src, 0, 6)).toBe(true); // wraps
    expect(r.size).toBe(8);
    expect(r.peek(100)).toEqual([4, 4]);
    r.consume(4);
    expect(r.peek(3)).toEqual([0, 3]);
  });
});
