/**
 * The event-loop delay probe: a timer asked to run every EVENT_LOOP_PROBE_MS reports how late
 * it ran. Everything of a Bun server (TLS, WebSocket frames, actors, commits) runs on one loop,
 * so that lateness is the longest anyone waited to be served. Bun's
 * perf_hooks.monitorEventLoopDelay misses long synchronous stretches, hence this probe.
 * Used by /metrics (lib/metrics.ts) and by the keepalive bench's bare server.
 *
 * A process that does next to nothing is probed every EVENT_LOOP_PROBE_IDLE_MS instead: 50 wakes
 * a second of an idle node cost it a fifth of its idle CPU, and an idle loop keeps no one waiting.
 * Idle is judged on the process's CPU (all its threads: getrusage) since the last check; the
 * first probe of a busy stretch then puts the period back to EVENT_LOOP_PROBE_MS.
 */

/** How often the probe asks to run while the process works. */
export const EVENT_LOOP_PROBE_MS = 20;
/** How often it asks to run while the process is idle (a stall shorter than this may then go unseen). */
export const EVENT_LOOP_PROBE_IDLE_MS = 250;
/** How often the process's CPU is read to choose the period (one getrusage call). */
export const EVENT_LOOP_PROBE_CHECK_MS = 250;
/**
 * The process's CPU share (of one core, all threads) under which it counts as idle: above an idle node's own (15-35
 * ms a second here with hundreds of cameras connected, docs/benchmarks.md), well below any load worth probing.
 */
export const EVENT_LOOP_IDLE_CPU_SHARE = 0.05;
/** Histogram buckets for event-loop delay, seconds (a keepalive answered late by a stall shows here first). */
export const EVENT_LOOP_DELAY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the probe reads and arms: the system's, or a test's simulated ones. */
export interface ProbeDeps {
  /** Milliseconds, monotonic. */
  now(): number;
  /** CPU microseconds the process has used (user + system, all threads). */
  cpuMicros(): number;
  /** Run `fn` once after `ms` without keeping the process alive; returns the cancel function. */
  after(ms: number, fn: () => void): () => void;
}

const SYSTEM: ProbeDeps = {
  now: () => performance.now(),
  cpuMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** Start probing; `observe` gets each delay in seconds. Returns the stop function. */
export function probeEventLoop(observe: (delayS: number) => void, deps: ProbeDeps = SYSTEM): () => void {
  let period = EVENT_LOOP_PROBE_MS;
  let checkedAt = deps.now();
  let cpuAt = deps.cpuMicros();
  let due = checkedAt + period;
  const probe = () => {
    const now = deps.now();
    observe(Math.max(0, now - due) / 1000);
    if (now - checkedAt >= EVENT_LOOP_PROBE_CHECK_MS) {
      const cpu = deps.cpuMicros();
      period = (cpu - cpuAt) / 1000 < EVENT_LOOP_IDLE_CPU_SHARE * (now - checkedAt) ? EVENT_LOOP_PROBE_IDLE_MS : EVENT_LOOP_PROBE_MS;
      cpuAt = cpu;
      checkedAt = now;
    }
    due = now + period;
    cancel = deps.after(period, probe);
  };
  let cancel = deps.after(period, probe);
  return () => cancel();
}
