/**
 * Settings of the process itself, which must be in its environment before it starts: Bun's
 * native allocator (mimalloc) reads them once, at process start, so no code of ours can set them
 * later. `bun run start` sets them (package.json), as do `bun run bench` and the tests' platform
 * processes; a value already in the environment wins, so an operator can override each one.
 *
 * Why: with Bun's defaults, memory freed by the allocator goes back to the OS after 100 ms, and
 * the next request faults it in again, page by page. Under load that is most of the platform's
 * kernel time: a Vr upload of 256 KiB, a commit batch's JSON, a TLS record all take fresh pages.
 * Measured on the 2-core CI machine, 2026-11-26, defaults against these settings, same commit:
 * `bench vr` 72,000–106,000 page faults per 5 s against 10,000, 289–417 cycles/s against
 * 455–595; `bench actors` (host in-process) 18–21 µs of Bun CPU per event against 10.5–13.
 * The price is freed memory held up to 10 s longer (RSS 366 MB against 190–217 MB at the end
 * of `bench vr`'s 64-PU upload run). Those figures were measured with the gaps inside pages in use kept
 * (MIMALLOC_PURGE_HOLES=0), not yet with the 10 s sweep of them below. docs/architecture.md, "Runtime settings".
 */

/** The settings, as environment variables. */
export const RUNTIME_ENV = {
  /**
   * Free memory goes back to the OS once unused for 10 s (jemalloc's default decay time), not
   * 100 ms: a server under load reuses it long before that, and an idle one still shrinks.
   */
  MIMALLOC_PURGE_DELAY: '10000',
  /**
   * The free gaps inside pages still in use go back to the OS too (Bun's default), so that one long-lived object does
   * not keep its whole page resident: 10,000 sleeping cameras, each taken in among the garbage of its login, cost
   * 7.6–11 KiB of RSS each with the gaps kept, 3.6–4.7 KiB with them returned (docs/benchmarks.md, hibernation).
   */
  MIMALLOC_PURGE_HOLES: '1',
  /**
   * But a thread's gaps are swept at most every 10 s, not every 100 ms (Bun's default): under load they are reused
   * within milliseconds, and faulting them in again after each sweep is kernel time.
   */
  MIMALLOC_PURGE_HOLES_MIN_INTERVAL: '10000',
} as const satisfies Record<string, string>;

export type RuntimeEnvName = keyof typeof RUNTIME_ENV;

/** The settings an environment lacks, with their values: what to add when spawning a platform process. */
export function runtimeEnvFor(env: Record<string, string | undefined> = process.env): Partial<Record<RuntimeEnvName, string>> {
  const out: Partial<Record<RuntimeEnvName, string>> = {};
  for (const [k, v] of Object.entries(RUNTIME_ENV) as Array<[RuntimeEnvName, string]>) if (env[k] === undefined) out[k] = v;
  return out;
}

/** Names of the settings this process started without (it was not started by `bun run start`). */
export function missingRuntimeEnv(env: Record<string, string | undefined> = process.env): RuntimeEnvName[] {
  return Object.keys(runtimeEnvFor(env)) as RuntimeEnvName[];
}
