/**
 * Shared setup of the host's behaviour tests (tests/actors/host.*.test.ts): a fresh database per
 * file, hosts on a simulated clock, and a way to let the host finish what a clock step started
 * (loads and commits run on the event loop and the database, not on the clock) without sleeping.
 */
import { afterAll, beforeAll } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost, type EffectCall, type HostOptions } from '../../actors/host/host.ts';
import type { MachineDef } from '../../actors/host/registry.ts';
import type { Db } from '../../db/client.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { lampV1 } from '../fixtures/lamp.machine.ts';

/** The simulated time every host of these tests starts at. */
export const T0 = Date.UTC(2026, 0, 1);

/**
 * Event-loop turns with no statement in flight after which the host counts as quiet: its commit
 * lanes and its loader each take one turn (setImmediate) before they issue a statement.
 */
const QUIET_TURNS = 3;

/** A test database that counts the statements in flight, so a test can wait for the host to go quiet. */
export interface HostTestDb {
  /** The database, tracked. */
  readonly db: Db;
  readonly raw: TestDb;
  /** Resolve once no statement has been in flight for a few event-loop turns (no clock involved). */
  quiet(): Promise<void>;
}

/** A fresh database for this test file (made before its tests, dropped after). */
export function useHostDb(): HostTestDb {
  let raw: TestDb | undefined;
  let db: Db | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const done = () => inFlight.delete(p);
    p.then(done, done);
    return p;
  };
  beforeAll(async () => {
    raw = await freshDb();
    const real = raw.db;
    db = {
      kind: real.kind,
      orm: real.orm,
      vacuum: () => real.vacuum(),
      close: () => real.close(),
      rows: (q) => track(real.rows(q)),
      prepared: (text, params) => track(real.prepared(text, params)),
      awaySince: () => real.awaySince(),
    };
  });
  afterAll(async () => {
    await raw?.cleanup();
  });
  return {
    get db() {
      if (!db) throw new Error('the test database is made in beforeAll');
      return db;
    },
    get raw() {
      if (!raw) throw new Error('the test database is made in beforeAll');
      return raw;
    },
    async quiet() {
      for (let idle = 0; idle < QUIET_TURNS; ) {
        await new Promise((resolve) => setImmediate(resolve));
        if (inFlight.size === 0) idle++;
        else {
          idle = 0;
          await Promise.allSettled([...inFlight]);
        }
      }
    },
  };
}

/** A host on a simulated clock set to {@link T0}, with the lamp machine and an `announce` effect that records its calls. */
export function makeHost(
  t: HostTestDb,
  o: { clock?: SimulatedClock; machines?: MachineDef[] } & Partial<HostOptions> = {},
): { host: ActorHost; clock: SimulatedClock; effects: EffectCall[] } {
  const clock = o.clock ?? new SimulatedClock();
  clock.set(T0);
  const effects: EffectCall[] = [];
  const host = new ActorHost({
    effects: {
      announce: (c) => {
        effects.push(c);
      },
    },
    ...o,
    db: o.db ?? t.db,
    machines: o.machines ?? [lampV1],
    clock,
  });
  return { host, clock, effects };
}

/** A promise of the next commit statement's figures, for a host built with `metrics: batches.metrics`. */
export function batchWatch(clock?: SimulatedClock) {
  const seen: Array<{ events: number; actors: number; at: number }> = [];
  let waiting: Array<() => void> = [];
  return {
    seen,
    metrics: {
      batch(events: number, actors: number) {
        seen.push({ events, actors, at: clock?.now() ?? 0 });
        const w = waiting;
        waiting = [];
        for (const f of w) f();
      },
    },
    /** Resolves at the next commit statement. */
    next(): Promise<void> {
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}
