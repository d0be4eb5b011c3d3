import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { readHistory } from '../../actors/host/store.ts';
import type { Db } from '../../db/client.ts';
import { bellDef, callerDef } from '../fixtures/outbox.machines.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** What postgres.js reports while the database does not accept connections (SQLSTATE 55000): the committer retries it. */
const notAccepting = () => Object.assign(new Error('database "h627" is not currently accepting connections'), { name: 'PostgresError', code: '55000' });

it('delivers a message to another actor only after the commit that stores the sender’s event, with its effect key', async () => {
  const gate = { down: false };
  const real = t.db;
  const db: Db = { ...real, rows: (q) => real.rows(q), prepared: (text, params) => (gate.down ? Promise.reject(notAccepting()) : real.prepared(text, params)) };
  const { host } = makeHost(t, { db, machines: [callerDef, bellDef] });
  await host.create('bell', 'bell:1', {});
  await host.create('caller', 'caller:1', { peer: 'bell:1' });
  gate.down = true; // the sender's commit cannot happen
  host.send('caller:1', { type: 'call' });
  await t.quiet();
  expect(host.peek('caller:1')!.context.calls).toBe(1); // decided in memory
  expect(host.peek('bell:1')!.context.rings).toBe(0); // not delivered: not committed
  expect(await t.db.rows(sql`select key from actor_outbox`)).toEqual([]);
  gate.down = false;
  await host.flush(); // the sender's commit, then the delivery
  await host.flush(); // the receiver's commit
  expect(host.peek('bell:1')!.context).toEqual({ rings: 1, last: 1 });
  const [ring] = await t.db.rows<{ key: string }>(sql`select delivery_key as key from actor_events where actor_id = 'bell:1' and seq = 1`);
  expect(ring!.key).toBe('caller:1:1:0');
  expect((await readHistory(t.db, 'bell:1', 0, 10)).map((h) => h.event.type)).toEqual(['ring']);
  expect(await t.db.rows(sql`select key from actor_outbox`)).toEqual([]); // deleted by the receiver's commit
  await host.stop();
});
