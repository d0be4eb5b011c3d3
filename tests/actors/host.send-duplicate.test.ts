import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { readHistory } from '../../actors/host/store.ts';
import type { Db } from '../../db/client.ts';
import { type Logger, silentLog } from '../../lib/log.ts';
import { bellDef, callerDef } from '../fixtures/outbox.machines.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();
const machines = [callerDef, bellDef];

it('applies a message delivered twice only once: by two starts of one host, or by two hosts racing', async () => {
  // A message left in the outbox, as by a crash between the sender's commit and the delivery.
  const a = makeHost(t, {
    machines,
    beforeDeliver: () => {
      throw new Error('crashed before delivering');
    },
  });
  await a.host.create('bell', 'bell:d', {});
  await a.host.create('caller', 'caller:d', { peer: 'bell:d' });
  await a.host.dispatch('caller:d', { type: 'call' });
  await a.host.stop();
  expect((await t.db.rows(sql`select key from actor_outbox`)).length).toBe(1);

  // Host c reads the outbox, then waits while host b delivers the message and commits it; b's two
  // starts both read it before either delivers. (PostgreSQL runs their statements in parallel.)
  const real = t.db;
  const isOutbox = (rows: unknown[]) => rows[0] !== undefined && typeof rows[0] === 'object' && 'receiver_id' in (rows[0] as object);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let cRead: () => void = () => {};
  const cHasRead = new Promise<void>((resolve) => {
    cRead = resolve;
  });
  const late: Db = {
    ...real,
    rows: (async (q: Parameters<Db['rows']>[0]) => {
      const rows = await real.rows(q);
      if (isOutbox(rows)) {
        cRead();
        await held;
      }
      return rows;
    }) as Db['rows'],
  };
  let bReads = 0;
  let bothRead: () => void = () => {};
  const bHaveRead = new Promise<void>((resolve) => {
    bothRead = resolve;
  });
  const together: Db = {
    ...real,
    rows: (async (q: Parameters<Db['rows']>[0]) => {
      const rows = await real.rows(q);
      if (isOutbox(rows) && ++bReads === 2) bothRead();
      if (isOutbox(rows)) await bHaveRead;
      return rows;
    }) as Db['rows'],
  };
  const said: string[] = [];
  const log = { ...silentLog, info: (_: unknown, msg?: string) => said.push(String(msg)), child: () => log } as unknown as Logger;
  const c = makeHost(t, { db: late, machines, log });
  const cStarted = c.host.start();
  await cHasRead;
  const b = makeHost(t, { db: together, machines });
  const [first, second] = await Promise.all([b.host.start(), b.host.start()]); // twice: the second finds it in flight
  expect([first.messages, second.messages]).toEqual([1, 1]);
  await t.quiet();
  await b.host.flush();
  expect(b.host.peek('bell:d')!.context.rings).toBe(1);
  await b.host.stop();

  // c delivers its stale copy: the receiver's log refuses the key a second time, and c reloads the bell.
  release();
  expect((await cStarted).messages).toBe(1);
  await t.quiet();
  await c.host.flush();
  expect(said).toContain('duplicate message dropped; actor reloads from the store on next use');
  expect((await c.host.get('bell:d'))!.context.rings).toBe(1);
  expect((await readHistory(t.db, 'bell:d', 0, 10)).map((h) => h.event.type)).toEqual(['ring']);
  await c.host.stop();

  // A start after all that finds nothing to deliver.
  const d = makeHost(t, { machines });
  expect((await d.host.start()).messages).toBe(0);
  await d.host.stop();
});
