/** Continuous mode's merging: frames into presences with a start and an end, not one event per frame. */
import { describe, expect, it } from 'bun:test';
import { Presence } from '../../../services/detection/presence.ts';

const GONE_MS = 5_000;
const seen = (...c: [string, number][]) => new Map(c);

describe('presence', () => {
  it('starts a presence on the first frame a class is in, and says nothing while it stays', () => {
    const p = new Presence(GONE_MS);
    expect(p.frame(0, seen(['person', 0.6]))).toEqual([{ kind: 'start', class: 'person', at: 0, score: 0.6 }]);
    expect(p.frame(1000, seen(['person', 0.8]))).toEqual([]);
  });

  it('keeps one presence across a missed frame or two, and ends it after the gap, from first to last sighting', () => {
    const p = new Presence(GONE_MS);
    p.frame(0, seen(['person', 0.6]));
    p.frame(1000, seen(['person', 0.8]));
    expect(p.frame(3000, seen())).toEqual([]);
    expect(p.frame(4000, seen(['person', 0.5]))).toEqual([]);
    expect(p.frame(9000, seen())).toEqual([{ kind: 'end', class: 'person', from: 0, to: 4000, bestScore: 0.8 }]);
  });

  it('tracks classes apart, and ends all open ones when the feed stops', () => {
    const p = new Presence(GONE_MS);
    p.frame(0, seen(['person', 0.6]));
    expect(p.frame(1000, seen(['person', 0.6], ['dog', 0.4]))).toEqual([{ kind: 'start', class: 'dog', at: 1000, score: 0.4 }]);
    expect(p.close()).toEqual([
      { kind: 'end', class: 'person', from: 0, to: 1000, bestScore: 0.6 },
      { kind: 'end', class: 'dog', from: 1000, to: 1000, bestScore: 0.4 },
    ]);
  });

  it('takes frames whose results come out of order: an older frame neither ends nor shortens a presence', () => {
    const p = new Presence(GONE_MS);
    p.frame(1000, seen(['person', 0.6]));
    p.frame(5500, seen(['person', 0.7]));
    expect(p.frame(2000, seen(['person', 0.5]))).toEqual([]);
    expect(p.expire(10_000)).toEqual([]);
    expect(p.expire(10_500)).toEqual([{ kind: 'end', class: 'person', from: 1000, to: 5500, bestScore: 0.7 }]);
  });
});
