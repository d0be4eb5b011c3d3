/**
 * The group committer and the host while the database is unavailable (issue #19, point 7): the
 * writes of an outage stay pending and are written, in order, when it returns; no actor is fenced
 * (dropped from memory with its writes undone); waits are bounded; a commit whose answer was lost
 * with its connection is recognised as done; a timer whose actor cannot be loaded is tried again.
 * The outage is a Db whose queries fail as postgres.js fails them; the database behind it is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost, TIMER_LOAD_RETRY_MS } from '../../actors/host/host.ts';
import { COMMIT_WAIT_MAX_MS } from '../../actors/host/committer.ts';
import { loadActorRow, readHistory } from '../../actors/host/store.ts';
import type { Db } from '../../db/client.ts';
import { DatabaseUnavailableError } from '../../db/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { silentLog } from '../../lib/log.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { until } from '../helpers/wait.ts';
import { LAMP_AUTO_OFF_MS, lampV1 } from '../fixtures/lamp.machine.ts';

/** What a database with `ALLOW_CONNECTIONS false` answers postgres.js (SQLSTATE 55000). */
const notAccepting = () => Object.assign(new Error('database "h627" is not currently accepting connections'), { name: 'PostgresError', code: '55000' });
/** A connection lost after the statement was sent. */
const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

/** A Db in front of the test database that can be made unavailable, or lose the answer of its next statement. */
function outageDb(real: Db) {
  const state = { down: false, loseNextAnswer: false, failures: 0, hung: null as Promise<void> | null, sentWhileHung: 0 };
  const gate = async <T>(run: () => Promise<T>): Promise<T> => {
    if (state.hung) {
      // A hung database: the statement neither fails nor answers (a connection that never connects) until released.
      state.sentWhileHung++;
      await state.hung;
    }
    if (state.down) {
      state.failures++;
      throw notAccepting();
    }
    const out = await run();
    if (state.loseNextAnswer) {
      state.loseNextAnswer = false;
      state.failures++;
      throw reset(); // committed, but the caller never hears so
    }
    return out;
  };
  const db: Db = {
    kind: real.kind,
    orm: real.orm,
    vacuum: () => real.vacuum(),
    close: async () => {},
    rows: (q) => gate(() => real.rows(q)),
    prepared: (text, params) => gate(() => real.prepared(text, params)),
    awaySince: () => null,
  };
  return { db, state };
}

/** A logger that keeps the messages of errors (a fenced actor logs one). */
function errorLog(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  const log = {
    ...silentLog,
    error: (_: unknown, msg?: string) => {
      errors.push(String(msg));
    },
    child: () => log,
  } as unknown as Logger;
  return { log, errors };
}

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.cleanup();
});

function makeHost() {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const o = outageDb(t.db);
  const { log, errors } = errorLog();
  const host = new ActorHost({ db: o.db, machines: [lampV1], clock, log, effects: { announce: () => {} } });
  return { clock, host, outage: o.state, errors };
}

const history = async (id: string) => (await readHistory(t.db, id, -1, 100)).map((e) => [e.seq, e.event.type]);

describe('the committer during a database outage', () => {
  it('keeps the writes of an outage pending and writes them in order when it returns, fencing nobody', async () => {
    const { host, outage, errors } = makeHost();
    await host.create('lamp', 'lamp:o1', { name: 'o1' });
    outage.down = true;
    host.send('lamp:o1', { type: 'on' });
    host.send('lamp:o1', { type: 'label', text: 'hall' });
    await until(
      async () => outage.failures,
      (n) => n >= 3,
    ); // retried, not given up
    host.send('lamp:o1', { type: 'seen', at: 42 }); // volatile
    host.send('lamp:o1', { type: 'off' });
    expect(host.peek('lamp:o1')).toMatchObject({ seq: 3, stateKey: 'off', context: { lastSeen: 42, label: 'hall' } });
    outage.down = false;
    await host.flush();
    expect(await history('lamp:o1')).toEqual([
      [0, 'xstate.init'],
      [1, 'on'],
      [2, 'label'],
      [3, 'off'],
    ]);
    expect(await loadActorRow(t.db, 'lamp:o1')).toMatchObject({ seq: 3, context: { lastSeen: 42, label: 'hall' } });
    expect(host.peek('lamp:o1')?.seq).toBe(3); // still resident: not fenced
    expect(errors).toEqual([]);
    await host.stop();
  });

  it('answers a dispatch, a create and a flush that wait through an outage with DatabaseUnavailableError after COMMIT_WAIT_MAX_MS, and still writes them', async () => {
    const { host, clock, outage } = makeHost();
    await host.create('lamp', 'lamp:o2', { name: 'o2' });
    outage.down = true;
    const dispatched = host.dispatch('lamp:o2', { type: 'on' }).then(
      () => 'durable',
      (e: unknown) => e,
    );
    const created = host.create('lamp', 'lamp:o3', { name: 'o3' }, { fresh: true }).then(
      () => 'durable',
      (e: unknown) => e,
    );
    await until(
      async () => outage.failures,
      (n) => n >= 1,
    );
    const flushed = host.flush().then(
      () => 'flushed',
      (e: unknown) => e,
    );
    let settled = false;
    void Promise.all([dispatched, created, flushed]).then(() => {
      settled = true;
    });
    clock.increment(COMMIT_WAIT_MAX_MS - 1);
    await Bun.sleep(50);
    expect(settled).toBe(false); // within the bound: still waiting
    clock.increment(1);
    for (const p of [dispatched, created, flushed]) expect(await p).toBeInstanceOf(DatabaseUnavailableError);
    outage.down = false;
    await host.flush();
    expect(await history('lamp:o2')).toEqual([
      [0, 'xstate.init'],
      [1, 'on'],
    ]);
    expect(await history('lamp:o3')).toEqual([[0, 'xstate.init']]);
    await host.stop();
  });

  it('answers a dispatch and a flush that wait on a hung statement with DatabaseUnavailableError after COMMIT_WAIT_MAX_MS, and still writes them', async () => {
    const { host, clock, outage } = makeHost();
    await host.create('lamp', 'lamp:h1', { name: 'h1' });
    let release = () => {};
    outage.hung = new Promise<void>((r) => (release = r));
    const dispatched = host.dispatch('lamp:h1', { type: 'on' }).then(
      () => 'durable',
      (e: unknown) => e,
    );
    await until(
      async () => outage.sentWhileHung,
      (n) => n >= 1,
    );
    const flushed = host.flush().then(
      () => 'flushed',
      (e: unknown) => e,
    );
    clock.increment(COMMIT_WAIT_MAX_MS);
    // Never refused, only unanswered: the flush is answered as the dispatch is, not when the statement at last fails.
    for (const p of [dispatched, flushed]) expect(await p).toBeInstanceOf(DatabaseUnavailableError);
    outage.hung = null;
    release();
    await host.flush();
    expect(await history('lamp:h1')).toEqual([
      [0, 'xstate.init'],
      [1, 'on'],
    ]);
    await host.stop();
  });

  it("takes a commit whose answer was lost with its connection for done, not for another writer's", async () => {
    const { host, outage, errors } = makeHost();
    await host.create('lamp', 'lamp:o4', { name: 'o4' });
    outage.loseNextAnswer = true;
    await host.dispatch('lamp:o4', { type: 'on' }); // committed on the first attempt; the retry finds it stored
    expect(outage.failures).toBe(1);
    outage.loseNextAnswer = true;
    host.send('lamp:o4', { type: 'seen', at: 7 });
    await host.flush(); // a row-only write (volatile), its answer lost too
    await host.dispatch('lamp:o4', { type: 'off' });
    expect(await history('lamp:o4')).toEqual([
      [0, 'xstate.init'],
      [1, 'on'],
      [2, 'off'],
    ]);
    expect(host.peek('lamp:o4')?.seq).toBe(2);
    expect(errors).toEqual([]);
    await host.stop();
  });

  it('delivers a timer whose actor could not be loaded during the outage once the database is back', async () => {
    const { host, clock, outage } = makeHost();
    await host.create('lamp', 'lamp:o5', { name: 'o5' });
    await host.dispatch('lamp:o5', { type: 'on' }); // arms AUTO_OFF
    await host.flush();
    expect(host.evictIdle(-1)).toBe(1); // out of memory: the timer must load it
    outage.down = true;
    clock.increment(LAMP_AUTO_OFF_MS);
    await until(
      async () => outage.failures,
      (n) => n >= 1,
    );
    outage.down = false;
    clock.increment(TIMER_LOAD_RETRY_MS);
    await until(
      async () => host.peek('lamp:o5')?.stateKey,
      (k) => k === 'off',
    );
    await host.flush();
    expect(await history('lamp:o5')).toEqual([
      [0, 'xstate.init'],
      [1, 'on'],
      [2, 'xstate.after.AUTO_OFF.lamp.on'],
    ]);
    await host.stop();
  });
});
