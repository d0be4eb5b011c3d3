/**
 * The host's clock and timer queue. XState does not persist or re-arm delayed events
 * (xstate #5331, #4860), so the host owns time: one min-heap of due times over all actors,
 * one platform timeout for the earliest entry, and lazy deletion by generation.
 */

/** The clock the host reads and schedules with; XState's SimulatedClock fits it in tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Longest the queue fires due entries before the event loop serves others, ms (real time). Many
 * timers can fall due at once: after a restart, every device's heartbeat check whose time passed
 * while the platform was down, 18,000 machine transitions that would hold the loop for 0.3 s.
 */
export const TIMER_SLICE_MS = 5;

/** Longest single platform timeout; longer waits re-arm (setTimeout overflows at 2^31 ms). */
export const MAX_TIMEOUT_MS = 2_000_000_000;

/** One heap entry; `timerId` null means "load this actor and arm its own timers". */
export interface QueueEntry {
  due: number;
  actorId: string;
  timerId: string | null;
  gen: number;
}

/** A min-heap of due entries that calls `onDue` for each entry as its time comes. */
export class TimerQueue {
  private heap: QueueEntry[] = [];
  private handle: unknown = undefined;
  private armedFor = Infinity;
  private stopped = false;
  private armToken = 0;

  constructor(
    private clock: Clock,
    private onDue: (e: QueueEntry) => void,
  ) {}

  /** Number of entries (including stale ones not yet popped). */
  get size(): number {
    return this.heap.length;
  }

  /** Add an entry. */
  push(e: QueueEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= e.due) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
    if (e.due < this.armedFor) this.arm();
  }

  /** Stop firing; pending entries stay (they are persisted by the host). */
  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private pop(): QueueEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || !last) return top;
    h[0] = last;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && h[l]!.due < h[m]!.due) m = l;
      if (r < n && h[r]!.due < h[m]!.due) m = r;
      if (m === i) break;
      const t = h[i]!;
      h[i] = h[m]!;
      h[m] = t;
      i = m;
    }
    return top;
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    const token = ++this.armToken;
    const top = this.heap[0];
    if (!top) {
      this.armedFor = Infinity;
      return;
    }
    this.armedFor = top.due;
    const wait = Math.min(top.due - this.clock.now(), MAX_TIMEOUT_MS);
    // Already due: fire without waiting for a clock tick (a simulated clock only ticks when told).
    if (wait <= 0) queueMicrotask(() => token === this.armToken && this.fire());
    else this.handle = this.clock.setTimeout(() => token === this.armToken && this.fire(), wait);
  }

  private fire(): void {
    this.handle = undefined;
    this.armToken++;
    this.armedFor = Infinity;
    const now = this.clock.now();
    const end = performance.now() + TIMER_SLICE_MS;
    while (!this.stopped && this.heap.length > 0 && this.heap[0]!.due <= now) {
      const e = this.pop()!;
      this.onDue(e); // may push (and so arm) again
      if (performance.now() >= end && this.heap.length > 0 && this.heap[0]!.due <= now) {
        // The rest after sockets and other timers have had their turn (a microtask would not
        // yield); a fresh token drops whatever the pushes above armed.
        if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
        this.handle = undefined;
        const token = ++this.armToken;
        this.armedFor = this.heap[0]!.due;
        setImmediate(() => token === this.armToken && this.fire());
        return;
      }
    }
    this.arm();
  }
}
