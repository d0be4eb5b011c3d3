/** Polling for end-to-end tests: wait until a condition over something read from the platform holds. */

/** Poll `read` until `ok` holds for its value (every 100 ms), or fail after `ms` with the last value. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v).slice(0, 500)}`);
    await Bun.sleep(100);
  }
}

/**
 * What `p` rejects with (undefined when it resolves), for `expect(await rejectionOf(p)).toBeInstanceOf(…)`. Use it
 * instead of `expect(p).rejects` where `p` waits on the actor host: Bun's `rejects` waits for a pending promise in a
 * nested turn of the event loop, and a promise resolved by `setImmediate` in it (the commit lane's) was seen to wait
 * for the next timer of the outer loop, 0.9 s later (tests/cluster/fencing.test.ts on PGlite; Bun 1.4.5).
 */
export function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}
