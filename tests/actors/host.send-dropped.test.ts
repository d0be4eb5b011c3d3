import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { bellDef, callerDef } from '../fixtures/outbox.machines.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('deletes a message its receiver ignores, and one to an actor that does not exist', async () => {
  const { host } = makeHost(t, { machines: [callerDef, bellDef] });
  await host.create('bell', 'bell:m', {});
  await host.dispatch('bell:m', { type: 'mute' }); // a muted bell ignores rings
  await host.create('caller', 'caller:m', { peer: 'bell:m' });
  await host.create('caller', 'caller:x', { peer: 'bell:nobody' });
  await host.dispatch('caller:m', { type: 'call' });
  await host.dispatch('caller:x', { type: 'call' });
  await t.quiet(); // the receivers' loads and the outbox deletes
  expect(host.peek('bell:m')!.seq).toBe(1); // no row for the ignored ring
  expect(await t.db.rows(sql`select key from actor_outbox`)).toEqual([]);
  await host.stop();
});
