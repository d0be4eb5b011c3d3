import { describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { TIMER_SLICE_MS, TimerQueue, type QueueEntry } from '../../actors/host/timer-queue.ts';

/** Burn real time, as a machine transition does. */
function busy(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}

describe('TimerQueue', () => {
  it('fires due entries in due order', async () => {
    const clock = new SimulatedClock();
    clock.set(1000);
    const fired: number[] = [];
    const q = new TimerQueue(clock, (e) => fired.push(e.due));
    for (const due of [1500, 1100, 1300, 1200, 1400]) q.push({ due, actorId: 'a', timerId: 't', gen: 0 });
    clock.increment(350);
    await Bun.sleep(0);
    expect(fired).toEqual([1100, 1200, 1300]);
    clock.increment(200);
    await Bun.sleep(0);
    expect(fired).toEqual([1100, 1200, 1300, 1400, 1500]);
  });

  it('fires a crowd of due entries in slices, letting the event loop run between them, and loses none', async () => {
    const clock = new SimulatedClock();
    clock.set(0);
    const fired: QueueEntry[] = [];
    let q: TimerQueue;
    const reArmed: number[] = [];
    // Each entry costs a millisecond of work and re-arms itself for later (as a heartbeat check does).
    q = new TimerQueue(clock, (e) => {
      busy(1);
      fired.push(e);
      if (e.gen === 0) {
        q.push({ due: 10_000 + e.due, actorId: e.actorId, timerId: 't', gen: 1 });
        reArmed.push(e.due);
      }
    });
    const n = 8 * TIMER_SLICE_MS;
    for (let i = 0; i < n; i++) q.push({ due: 100 + i, actorId: `a${i}`, timerId: 't', gen: 0 });
    let turns = 0;
    const firedAtTurn: number[] = [];
    const tick = setInterval(() => {
      turns++;
      firedAtTurn.push(fired.length);
    }, 0);
    clock.increment(1000); // every entry is due at once
    while (fired.length < n) await Bun.sleep(1);
    clearInterval(tick);
    expect(fired.map((e) => e.due)).toEqual(Array.from({ length: n }, (_, i) => 100 + i));
    // Other callbacks ran while the crowd was being fired, not only after it.
    expect(firedAtTurn.some((k) => k > 0 && k < n)).toBe(true);
    expect(reArmed.length).toBe(n);
    expect(q.size).toBe(n); // the re-armed entries, not yet due
    clock.increment(20_000);
    while (fired.length < 2 * n) await Bun.sleep(1);
    expect(fired.slice(n).map((e) => e.gen)).toEqual(Array.from({ length: n }, () => 1));
    expect(turns).toBeGreaterThan(0);
  });
});
