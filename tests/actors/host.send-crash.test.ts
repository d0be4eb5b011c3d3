import { afterAll, beforeAll, expect, it, setDefaultTimeout } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { SimulatedClock } from 'xstate';
import { ActorHost } from '../../actors/host/host.ts';
import { readHistory } from '../../actors/host/store.ts';
import { openDb, type Db } from '../../db/client.ts';
import { createScratchDatabase, type ScratchDatabase } from '../../db/scratch.ts';
import { freshDataDir, TEST_PG_URL } from '../helpers/db.ts';
import { bellDef, callerDef, summonerDef } from '../fixtures/outbox.machines.ts';
import { T0 } from './host.fixture.ts';

/** A child process and two PGlite starts, one of them recovering from the kill, take seconds on a loaded machine. */
const TEST_TIMEOUT_MS = 60_000;
setDefaultTimeout(TEST_TIMEOUT_MS);

/** The crashing platform (tests/fixtures/outbox-crash.ts). */
const FIXTURE = join(import.meta.dir, '../fixtures/outbox-crash.ts');

/** Where the child process and then this one find the database: a PostgreSQL scratch database, or a PGlite directory (one process at a time). */
let target: { url: string; scratch: ScratchDatabase } | { pgliteDir: string; dataDir: string };
beforeAll(async () => {
  if (TEST_PG_URL) {
    const scratch = await createScratchDatabase(TEST_PG_URL, 'h627_t');
    await (await openDb({ url: scratch.url })).close(); // migrated
    target = { url: scratch.url, scratch };
  } else {
    const dataDir = await freshDataDir();
    target = { pgliteDir: join(dataDir, 'pg'), dataDir };
  }
});
afterAll(async () => {
  if ('scratch' in target) await target.scratch.drop();
  else rmSync(target.dataDir, { recursive: true, force: true });
});

const open = (): Promise<Db> => ('url' in target ? openDb({ url: target.url, migrate: false }) : openDb({ pgliteDir: target.pgliteDir, migrate: false }));

it('delivers after a restart a message whose process was killed (SIGKILL) between its commit and its delivery, exactly once', async () => {
  const env = 'url' in target ? { DATABASE_URL: target.url } : { DATABASE_URL: '', PGLITE_DIR: target.pgliteDir };
  const child = Bun.spawn(['bun', 'run', FIXTURE], { env: { ...process.env, ...env }, stdout: 'inherit', stderr: 'inherit' });
  await child.exited;
  expect(child.signalCode).toBe('SIGKILL');

  const db = await open();
  expect(await db.rows(sql`select receiver_id from actor_outbox`)).toEqual([{ receiver_id: 'bell:k' }]); // committed, not delivered
  const clock = new SimulatedClock();
  clock.set(T0);
  const host = new ActorHost({ db, machines: [callerDef, bellDef], clock });
  expect((await host.start()).messages).toBe(1);
  const bell = await host.load('bell:k'); // joins the load the redelivery started
  expect(bell).toBeDefined();
  await host.flush();
  expect(host.peek('bell:k')!.context).toEqual({ rings: 1, last: 1 });
  await host.stop();

  const again = new ActorHost({ db, machines: [callerDef, bellDef], clock });
  expect((await again.start()).messages).toBe(0);
  expect((await readHistory(db, 'bell:k', 0, 10)).map((h) => [h.event.type, h.event.n])).toEqual([['ring', 1]]);
  expect(await db.rows(sql`select key from actor_outbox`)).toEqual([]);
  await again.stop();
  await db.close();
});

it('makes the receiver a killed process had told (and not yet made) after the restart, then delivers to it, once', async () => {
  const env = 'url' in target ? { DATABASE_URL: target.url } : { DATABASE_URL: '', PGLITE_DIR: target.pgliteDir };
  const child = Bun.spawn(['bun', 'run', FIXTURE, 'spawn'], { env: { ...process.env, ...env }, stdout: 'inherit', stderr: 'inherit' });
  await child.exited;
  expect(child.signalCode).toBe('SIGKILL');

  const db = await open();
  expect(await db.rows(sql`select receiver_id, spawn from actor_outbox`)).toEqual([
    { receiver_id: 'bell:new', spawn: { type: 'bell', input: {}, parentId: 'summoner:1' } },
  ]);
  expect(await db.rows(sql`select id from actors where id = 'bell:new'`)).toEqual([]); // told, never made
  const clock = new SimulatedClock();
  clock.set(T0);
  const host = new ActorHost({ db, machines: [callerDef, bellDef, summonerDef], clock });
  expect((await host.start()).messages).toBe(1);
  // The redelivery looks the bell up (one load turn), finds none, makes it, then rings it.
  while (!host.peek('bell:new')) await new Promise((r) => setImmediate(r));
  await host.flush();
  await host.flush();
  expect(host.peek('bell:new')?.context).toEqual({ rings: 1, last: 1 });
  expect((await host.get('bell:new'))?.parentId).toBe('summoner:1');
  await host.stop();

  const again = new ActorHost({ db, machines: [callerDef, bellDef, summonerDef], clock });
  expect((await again.start()).messages).toBe(0);
  expect((await readHistory(db, 'bell:new', 0, 10)).map((h) => [h.event.type, h.event.n])).toEqual([['ring', 1]]);
  await again.stop();
  await db.close();
});
