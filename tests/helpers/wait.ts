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
