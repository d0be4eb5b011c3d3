import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { VOLATILE_CONTEXT_REFRESH_MS } from '../../actors/host/committer.ts';
import { readHistory } from '../../actors/host/store.ts';
import { LAMP_AUTO_OFF_MS } from '../fixtures/lamp.machine.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('keeps a last-seen change out of the log: its timers are stored at once, the time itself within a minute', async () => {
  const { host, clock } = makeHost(t);
  await host.create('lamp', 'lamp:c', { name: 'c' });
  await host.dispatch('lamp:c', { type: 'on' });
  clock.increment(1000);
  const r = await host.dispatch('lamp:c', { type: 'seen', at: 42 });
  expect(r.logged).toBe(false);
  await host.flush();
  type Row = { context: { lastSeen: number }; timers: Array<{ due: number }> };
  const [row] = await t.db.rows<Row>(sql`select context, timers from actors where id = 'lamp:c'`);
  expect(row!.timers[0]!.due).toBe(clock.now() + LAMP_AUTO_OFF_MS); // the re-armed timer
  expect((await readHistory(t.db, 'lamp:c', -1, 10)).length).toBe(2);
  clock.increment(VOLATILE_CONTEXT_REFRESH_MS);
  await host.dispatch('lamp:c', { type: 'seen', at: 43 });
  await host.flush();
  const [later] = await t.db.rows<Row>(sql`select context, timers from actors where id = 'lamp:c'`);
  expect(later!.context.lastSeen).toBe(43);
  await host.dispatch('lamp:c', { type: 'label', text: 'x' });
  const h = await readHistory(t.db, 'lamp:c', -1, 10);
  expect(h.at(-1)!.context.lastSeen).toBe(43); // the next logged row carries it
  await host.stop();
});
