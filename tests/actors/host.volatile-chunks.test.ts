import { expect, it, setDefaultTimeout } from 'bun:test';
import { sql } from 'drizzle-orm';
import { SimulatedClock } from 'xstate';
import {
  DEFAULT_VOLATILE_FLUSH_MS,
  VOLATILE_FLUSH_CHUNK_ROWS,
  VOLATILE_FLUSH_SPACING_MS,
  VOLATILE_FLUSH_TRICKLE_SPACING_MS,
} from '../../actors/host/committer.ts';
import { LAMP_AUTO_OFF_MS } from '../fixtures/lamp.machine.ts';
import { batchWatch, makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** Creating and switching on 1,100 actors takes seconds on a loaded two-core machine: more than bun's default 5 s bound. */
const TEST_TIMEOUT_MS = 30_000;
setDefaultTimeout(TEST_TIMEOUT_MS);

it('writes a large volatile flush in bounded, spaced chunks and loses none of it', async () => {
  const clock = new SimulatedClock();
  const batches = batchWatch(clock);
  const n = VOLATILE_FLUSH_CHUNK_ROWS * 2 + 100;
  const chunks = Math.ceil(n / VOLATILE_FLUSH_CHUNK_ROWS);
  // One lane: the chunks and their spacing are per lane.
  const { host } = makeHost(t, { clock, commitLanes: 1, metrics: batches.metrics });
  const ids = Array.from({ length: n }, (_, i) => `lamp:vf${i}`);
  await Promise.all(ids.map((id, i) => host.create('lamp', id, { name: `v${i}` }, { fresh: true })));
  await Promise.all(ids.map((id) => host.dispatch(id, { type: 'on' })));
  await host.flush();
  clock.increment(1000);
  const seen = await Promise.all(ids.map((id) => host.dispatch(id, { type: 'seen', at: 7 })));
  expect(seen.every((r) => r.accepted && !r.logged)).toBe(true);
  batches.seen.length = 0;
  const due = clock.now() + LAMP_AUTO_OFF_MS;
  const stored = async () =>
    (await t.db.rows<{ n: number }>(sql`select count(*)::int as n from actors where id like 'lamp:vf%' and (timers->0->>'due')::float8 = ${due}`))[0]!.n;
  clock.increment(DEFAULT_VOLATILE_FLUSH_MS - 1);
  await t.quiet();
  expect(batches.seen.length).toBe(0); // not due yet
  // The volatile flush falls due: the first chunk goes at once, each other one a spacing later; the last, less than a
  // chunk (a trickle), a trickle's spacing later.
  let next = batches.next();
  clock.increment(1);
  for (let i = 1; i < chunks; i++) {
    await next;
    next = batches.next();
    if (i === chunks - 1) {
      clock.increment(VOLATILE_FLUSH_SPACING_MS);
      await t.quiet();
      expect(batches.seen.length).toBe(i); // a trickle waits
      clock.increment(VOLATILE_FLUSH_TRICKLE_SPACING_MS - VOLATILE_FLUSH_SPACING_MS);
    } else clock.increment(VOLATILE_FLUSH_SPACING_MS);
  }
  await next;
  await t.quiet();
  expect(await stored()).toBe(n);
  const writes = batches.seen;
  expect(writes.reduce((a, w) => a + w.actors, 0)).toBe(n);
  expect(Math.max(...writes.map((w) => w.actors))).toBeLessThanOrEqual(VOLATILE_FLUSH_CHUNK_ROWS);
  expect(writes.length).toBe(chunks);
  for (let i = 1; i < writes.length; i++) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(VOLATILE_FLUSH_SPACING_MS);
  await host.stop();
});
