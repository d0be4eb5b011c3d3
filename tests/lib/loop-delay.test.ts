import { describe, expect, it } from 'bun:test';
import {
  EVENT_LOOP_IDLE_CPU_SHARE,
  EVENT_LOOP_PROBE_CHECK_MS,
  EVENT_LOOP_PROBE_IDLE_MS,
  EVENT_LOOP_PROBE_MS,
  probeEventLoop,
  type ProbeDeps,
} from '../../lib/loop-delay.ts';

/** A simulated clock, CPU counter and timer: `run(lateMs, cpuMs)` fires the armed probe that much late, the process having used `cpuMs` since the last one. */
function simulated() {
  let now = 0;
  let cpuUs = 0;
  let armed: { at: number; ms: number; fn: () => void } | null = null;
  const delays: number[] = [];
  const deps: ProbeDeps = {
    now: () => now,
    cpuMicros: () => cpuUs,
    after: (ms, fn) => {
      armed = { at: now, ms, fn };
      return () => {
        armed = null;
      };
    },
  };
  const stop = probeEventLoop((s) => delays.push(s * 1000), deps);
  return {
    delays,
    stop,
    /** The period the probe asked for last. */
    period: () => armed?.ms,
    run(lateMs = 0, cpuMs = 0) {
      const a = armed!;
      now = a.at + a.ms + lateMs;
      cpuUs += cpuMs * 1000;
      a.fn();
    },
  };
}

describe('event-loop delay probe', () => {
  it('reports how late each probe ran', () => {
    const p = simulated();
    expect(p.period()).toBe(EVENT_LOOP_PROBE_MS);
    p.run(0, 10);
    p.run(300, 300); // a stall of 300 ms
    p.run(2, 10);
    expect(p.delays).toEqual([0, 300, 2]);
  });

  it('probes an idle process less often, and a busy one at its period again at the next probe', () => {
    const p = simulated();
    const idleCpuMs = (EVENT_LOOP_IDLE_CPU_SHARE / 2) * EVENT_LOOP_PROBE_MS;
    for (let t = 0; t < EVENT_LOOP_PROBE_CHECK_MS; t += EVENT_LOOP_PROBE_MS) p.run(0, idleCpuMs);
    expect(p.period()).toBe(EVENT_LOOP_PROBE_IDLE_MS); // a check saw under the idle share of a core
    p.run(0, (EVENT_LOOP_IDLE_CPU_SHARE / 2) * EVENT_LOOP_PROBE_IDLE_MS);
    expect(p.period()).toBe(EVENT_LOOP_PROBE_IDLE_MS);
    p.run(40, 200); // work began: the stall it caused is reported, and the period is the busy one again
    expect(p.delays.at(-1)).toBe(40);
    expect(p.period()).toBe(EVENT_LOOP_PROBE_MS);
  });

  it('keeps probing a busy process at its period', () => {
    const p = simulated();
    for (let t = 0; t < 4 * EVENT_LOOP_PROBE_CHECK_MS; t += EVENT_LOOP_PROBE_MS) {
      p.run(0, EVENT_LOOP_IDLE_CPU_SHARE * 2 * EVENT_LOOP_PROBE_MS);
      expect(p.period()).toBe(EVENT_LOOP_PROBE_MS);
    }
  });

  it('stops', () => {
    const p = simulated();
    p.stop();
    expect(p.period()).toBeUndefined();
  });
});
