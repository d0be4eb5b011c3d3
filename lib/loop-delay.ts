/**
 * The event-loop delay probe: a timer asked to run every EVENT_LOOP_PROBE_MS reports how late
 * it ran. Everything of a Bun server (TLS, WebSocket frames, actors, commits) runs on one loop,
 * so that lateness is the longest anyone waited to be served. Bun's
 * perf_hooks.monitorEventLoopDelay misses long synchronous stretches, hence this probe.
 * Used by /metrics (lib/metrics.ts) and by the keepalive bench's bare server.
 */

/** How often the probe asks to run. */
export const EVENT_LOOP_PROBE_MS = 20;
/** Histogram buckets for event-loop delay, seconds (a keepalive answered late by a stall shows here first). */
export const EVENT_LOOP_DELAY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Start probing; `observe` gets each delay in seconds. Returns the stop function. */
export function probeEventLoop(observe: (delayS: number) => void): () => void {
  let due = performance.now() + EVENT_LOOP_PROBE_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    observe(Math.max(0, now - due) / 1000);
    due = now + EVENT_LOOP_PROBE_MS;
  }, EVENT_LOOP_PROBE_MS);
  timer.unref();
  return () => clearInterval(timer);
}
