/**
 * The hibernation server's take-in collector (services/hibernation/takein-gc.ts): a full collection every
 * HIBERNATION_TAKEIN_GC_EVERY take-ins, spaced so that collections take at most HIBERNATION_TAKEIN_GC_SHARE of the
 * time. On a simulated clock: each collection "takes" what the test says.
 */
import { describe, expect, it } from 'bun:test';
import { HIBERNATION_TAKEIN_GC_EVERY, HIBERNATION_TAKEIN_GC_SHARE, HIBERNATION_TAKEIN_GC_TAIL, TakeInCollector } from '../../services/hibernation/takein-gc.ts';

/** A collector on a clock the test moves; each collection advances it by `gcMs`. */
function collector(gcMs: number) {
  const clock = { now: 0 };
  const c = new TakeInCollector({ collect: () => void (clock.now += gcMs), now: () => clock.now });
  return { c, clock };
}

describe('take-in collector', () => {
  it(`collects once every ${HIBERNATION_TAKEIN_GC_EVERY} take-ins, and says how long it took`, () => {
    const { c, clock } = collector(40);
    const at: number[] = [];
    for (let n = 1; n <= 3 * HIBERNATION_TAKEIN_GC_EVERY; n++) {
      clock.now += 10; // take-ins 10 ms apart: the collections are far enough apart
      if (c.takenIn() !== undefined) at.push(n);
    }
    expect(at).toEqual([1, 2, 3].map((k) => k * HIBERNATION_TAKEIN_GC_EVERY));
    expect(c.collections).toBe(3);
    expect(c.collectedMs).toBe(120);
  });

  it('waits after a slow collection, so that collections take at most their share of the time', () => {
    const gcMs = 100;
    const { c, clock } = collector(gcMs);
    const gap = gcMs * (1 / HIBERNATION_TAKEIN_GC_SHARE - 1); // 400 ms after a 100 ms collection
    for (let n = 0; n < HIBERNATION_TAKEIN_GC_EVERY; n++) c.takenIn(); // all at once: the first collection
    expect(c.collections).toBe(1);
    const end = clock.now;
    // A crowd taken in at once right after: no collection until the gap has passed, then one at the next take-in.
    for (let n = 0; n < 2 * HIBERNATION_TAKEIN_GC_EVERY; n++) expect(c.takenIn()).toBeUndefined();
    clock.now = end + gap - 1;
    expect(c.takenIn()).toBeUndefined();
    clock.now = end + gap;
    expect(c.takenIn()).toBe(gcMs);
    expect(c.collections).toBe(2);
    // From one collection's start to the next's: one collection's time over its share.
    expect(clock.now - gcMs - (end - gcMs)).toBe(gcMs / HIBERNATION_TAKEIN_GC_SHARE);
  });

  it('collects nothing for fewer take-ins than its period while they come', () => {
    const { c } = collector(40);
    for (let n = 1; n < HIBERNATION_TAKEIN_GC_EVERY; n++) expect(c.takenIn()).toBeUndefined();
    expect(c.quiet()).toBeUndefined(); // take-ins since the last sweep: the crowd is still coming
    expect(c.collections).toBe(0);
  });

  it("collects a crowd's tail once take-ins stop for a sweep, and not a trickle's few", () => {
    const tail = HIBERNATION_TAKEIN_GC_EVERY * HIBERNATION_TAKEIN_GC_TAIL;
    const { c, clock } = collector(40);
    for (let n = 0; n < HIBERNATION_TAKEIN_GC_EVERY + tail; n++) c.takenIn(); // one period collected, then the tail
    expect(c.collections).toBe(1);
    clock.now += 1000;
    expect(c.quiet()).toBeUndefined(); // take-ins since the last sweep
    expect(c.quiet()).toBe(40); // none since: the tail is collected
    expect(c.quiet()).toBeUndefined(); // nothing since
    for (let n = 1; n < tail; n++) c.takenIn(); // a trickle: fewer than the tail
    c.quiet();
    expect(c.quiet()).toBeUndefined();
    expect(c.collections).toBe(2);
  });
});
