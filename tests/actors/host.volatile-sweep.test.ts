import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { DEFAULT_VOLATILE_FLUSH_MS, VOLATILE_CONTEXT_REFRESH_MS, VOLATILE_SWEEP_MS } from '../../actors/host/committer.ts';
import { batchWatch, makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('writes no row for a change of volatile keys alone until its stored context is a minute old', async () => {
  const batches = batchWatch();
  const { host, clock } = makeHost(t, { metrics: batches.metrics });
  await host.create('lamp', 'lamp:s', { name: 's' }); // in off: `seen` changes lastSeen only, no timer
  type Row = { context: { lastSeen: number }; updated: number };
  const read = async () =>
    (await t.db.rows<Row>(sql`select context, (extract(epoch from updated_at) * 1000)::float8 as updated from actors where id = 'lamp:s'`))[0]!;
  const before = await read();
  expect((await host.dispatch('lamp:s', { type: 'seen', at: 42 })).logged).toBe(false);
  const written = batches.seen.length;
  clock.increment(DEFAULT_VOLATILE_FLUSH_MS * 2); // a volatile flush would have written it by now
  await t.quiet();
  expect(batches.seen.length).toBe(written);
  expect(await read()).toEqual(before);
  clock.increment(VOLATILE_CONTEXT_REFRESH_MS + VOLATILE_SWEEP_MS); // the sweep finds its context a minute old
  const next = batches.next();
  clock.increment(DEFAULT_VOLATILE_FLUSH_MS);
  await next;
  const after = await read();
  expect(after.context.lastSeen).toBe(42);
  expect(after.updated).toBeGreaterThan(before.updated);
  await host.stop();
});
