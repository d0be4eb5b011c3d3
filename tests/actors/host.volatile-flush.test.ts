import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('writes volatile changes on flush and on stop', async () => {
  const { host } = makeHost(t);
  await host.create('lamp', 'lamp:f2', { name: 'f2' });
  await host.dispatch('lamp:f2', { type: 'seen', at: 7 });
  await host.flush();
  const [row] = await t.db.rows<{ context: { lastSeen: number } }>(sql`select context from actors where id = 'lamp:f2'`);
  expect(row!.context.lastSeen).toBe(7);
  await host.dispatch('lamp:f2', { type: 'seen', at: 8 });
  await host.stop();
  const [stopped] = await t.db.rows<{ context: { lastSeen: number } }>(sql`select context from actors where id = 'lamp:f2'`);
  expect(stopped!.context.lastSeen).toBe(8);
});
