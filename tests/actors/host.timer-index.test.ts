import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { TIMER_INDEX_GRAIN_MS, timerIndexTime } from '../../actors/host/committer.ts';
import { LAMP_AUTO_OFF_MS } from '../fixtures/lamp.machine.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('indexes the earliest timer on a coarse grain, the exact due time staying in the timers, and a restart fires it on time', async () => {
  const a = makeHost(t);
  a.clock.set(Date.UTC(2026, 0, 1, 10, 0, 30)); // 30 s into a grain
  await a.host.create('lamp', 'lamp:grain', { name: 'g' });
  await a.host.dispatch('lamp:grain', { type: 'on' });
  const due = a.clock.now() + LAMP_AUTO_OFF_MS;
  await a.host.flush();
  type Row = { next: number; timers: Array<{ due: number }> };
  const read = async () =>
    (await t.db.rows<Row>(sql`select (extract(epoch from next_timer_at) * 1000)::float8 as next, timers from actors where id = 'lamp:grain'`))[0]!;
  const first = await read();
  expect(first.timers[0]!.due).toBe(due);
  expect(first.next).toBe(timerIndexTime(due));
  expect(first.next).toBeLessThanOrEqual(due);
  expect(due - first.next).toBeLessThan(TIMER_INDEX_GRAIN_MS);
  // Re-armed a little later, within the same grain: the exact time moves, the indexed one does not.
  a.clock.increment(1000);
  await a.host.dispatch('lamp:grain', { type: 'seen', at: a.clock.now() });
  await a.host.flush();
  const second = await read();
  expect(second.timers[0]!.due).toBe(due + 1000);
  expect(second.next).toBe(first.next);
  await a.host.stop();
  // A restart loads the actor at the indexed time and fires the timer at its exact time, not before.
  const b = makeHost(t);
  b.clock.set(first.next - 1);
  await b.host.start();
  b.clock.increment(due + 1000 - first.next); // one ms before the exact due: the index entry loads the actor
  await t.quiet();
  expect(b.host.peek('lamp:grain')?.stateKey).toBe('on');
  b.clock.increment(1);
  expect(b.host.peek('lamp:grain')?.stateKey).toBe('off');
  await b.host.stop();
});
