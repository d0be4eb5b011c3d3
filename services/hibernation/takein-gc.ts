/**
 * A full garbage collection after every HIBERNATION_TAKEIN_GC_EVERY links taken in (issue #22's benchmark: 10,000
 * sleeping cameras at 2 KiB of RSS each). Taking a camera in makes its few long-lived objects (its socket, its link,
 * the strings its pu and the maps share) among much garbage (an identity read, the pu loaded, its transition
 * committed). Left to itself, JavaScriptCore lets the heap grow to about 3 times what survived the last collection
 * before collecting again (Bun's `heapGrowthMaxIncrease`, docs/architecture.md "Runtime settings"), so a crowd of
 * cameras taken in spreads its objects over that many blocks, and a block with one live object stays: 18–19 MiB of
 * heap for 7 MiB of them. Collecting every 64 take-ins keeps the heap near what is live while they come, and costs
 * nothing once they are in. Measured with 10,000 cameras (docs/benchmarks.md, hibernation): 8–10 MiB of heap instead
 * of 18–19, 1.9 KiB of RSS a camera instead of 3.0–3.5, a collection of 31–45 ms per 64 cameras at most (the share
 * below spaces them wider in a crowd), the same take-in time within noise.
 *
 * A collection stops the event loop, so they are spaced to take at most HIBERNATION_TAKEIN_GC_SHARE of the time
 * (a bigger heap, slower collections: fewer of them, not longer stalls in all).
 */

/**
 * Links taken in between two collections (platform's choice, measured with 10,000 cameras without the collection
 * after a crowd: 128 left 1.6–2.2 KiB a camera, 64 1.6–2.2 and, without the share below, a take-in 1.5x slower).
 */
export const HIBERNATION_TAKEIN_GC_EVERY = 64;
/** Most of the time the collections may take: after one of d ms, the next waits at least d·(1/share − 1) (platform's choice). */
export const HIBERNATION_TAKEIN_GC_SHARE = 0.2;

/**
 * Take-ins since the last collection, as a share of the period, after which a quiet spell (no take-in between two of
 * the server's sweeps) collects once more (platform's choice: half a period). The end of a crowd is then collected
 * too, instead of waiting for JavaScriptCore's next collection, which a node of sleeping cameras, making little
 * garbage, may not reach for long; a trickle of take-ins costs at most one collection per half a period.
 */
export const HIBERNATION_TAKEIN_GC_TAIL = 0.5;

/** What a collector is given (the real ones by default). */
export interface TakeInCollectorDeps {
  /** A full, synchronous collection. */
  collect(): void;
  /** Now, ms (monotonic). */
  now(): number;
}

const realDeps: TakeInCollectorDeps = { collect: () => Bun.gc(true), now: () => performance.now() };

/** Counts take-ins and collects the heap when it is time. */
export class TakeInCollector {
  private sinceLast = 0;
  /** Take-ins since the last sweep ({@link quiet}). */
  private sinceQuiet = 0;
  private notBefore = Number.NEGATIVE_INFINITY;
  /** Collections made, and their time in all, ms. */
  collections = 0;
  collectedMs = 0;

  constructor(
    private readonly d: TakeInCollectorDeps = realDeps,
    private readonly every = HIBERNATION_TAKEIN_GC_EVERY,
  ) {}

  /** A link was taken in: the collection's duration in ms when it collected now, else undefined. */
  takenIn(): number | undefined {
    this.sinceQuiet++;
    if (++this.sinceLast < this.every) return undefined;
    return this.collect();
  }

  /**
   * The server's periodic sweep: after a crowd (at least HIBERNATION_TAKEIN_GC_TAIL of a period of take-ins since the last
   * collection, none since the previous sweep), collect once: the collection's duration in ms, or undefined.
   */
  quiet(): number | undefined {
    const wasQuiet = this.sinceQuiet === 0;
    this.sinceQuiet = 0;
    return wasQuiet && this.sinceLast >= this.every * HIBERNATION_TAKEIN_GC_TAIL ? this.collect() : undefined;
  }

  private collect(): number | undefined {
    const t0 = this.d.now();
    if (t0 < this.notBefore) return undefined; // asked again at the next take-in or sweep
    this.d.collect();
    const t1 = this.d.now();
    const ms = t1 - t0;
    this.sinceLast = 0;
    this.notBefore = t1 + ms * (1 / HIBERNATION_TAKEIN_GC_SHARE - 1);
    this.collections++;
    this.collectedMs += ms;
    return ms;
  }
}
