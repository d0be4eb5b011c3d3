import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { assign, raise, setup, SimulatedClock } from 'xstate';
import { sql } from 'drizzle-orm';
import { ActorHost, StoreRejectedError, type EffectCall } from '../../actors/host/host.ts';
import { MachineVersionError } from '../../actors/host/registry.ts';
import { pruneHistory, readHistory } from '../../actors/host/store.ts';
import {
  DEFAULT_VOLATILE_FLUSH_MS,
  TIMER_INDEX_GRAIN_MS,
  timerIndexTime,
  VOLATILE_CONTEXT_REFRESH_MS,
  VOLATILE_FLUSH_CHUNK_ROWS,
  VOLATILE_FLUSH_SPACING_MS,
  VOLATILE_SWEEP_MS,
} from '../../actors/host/committer.ts';
import { until } from '../helpers/wait.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { LAMP_AUTO_OFF_MS, lampV1, lampV2 } from '../fixtures/lamp.machine.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.cleanup();
});

function makeHost(clock = new SimulatedClock(), machines = [lampV1], effects: EffectCall[] = []) {
  clock.set(Date.UTC(2026, 0, 1));
  return {
    clock,
    effects,
    host: new ActorHost({
      db: t.db,
      machines,
      clock,
      effects: {
        announce: (c) => {
          effects.push(c);
        },
      },
    }),
  };
}

describe('ActorHost', () => {
  it('logs every accepted event with the state and context it produced', async () => {
    const { host, effects } = makeHost();
    await host.create('lamp', 'lamp:a', { name: 'a' });
    await host.dispatch('lamp:a', { type: 'on' });
    await host.dispatch('lamp:a', { type: 'label', text: 'kitchen' });
    await host.dispatch('lamp:a', { type: 'off' });
    const h = await readHistory(t.db, 'lamp:a', -1, 100);
    expect(h.map((r) => [r.seq, r.event.type, r.value])).toEqual([
      [0, 'xstate.init', 'off'],
      [1, 'on', 'on'],
      [2, 'label', 'on'],
      [3, 'off', 'off'],
    ]);
    expect(h[2]!.context).toEqual({ name: 'a', switches: 1, lastSeen: 0, label: 'kitchen' });
    expect(h[2]!.changes).toEqual({ set: { label: 'kitchen' }, unset: [] });
    expect(effects.map((e) => [e.type, e.params, e.key])).toEqual([['announce', { text: 'on' }, 'lamp:a:1:0']]);
    await host.stop();
  });

  it('does not log an event the machine ignores', async () => {
    const { host } = makeHost();
    await host.create('lamp', 'lamp:b', { name: 'b' });
    const r = await host.dispatch('lamp:b', { type: 'off' });
    expect(r.accepted).toBe(false);
    expect((await readHistory(t.db, 'lamp:b', -1, 10)).length).toBe(1);
    await host.stop();
  });

  it('keeps a last-seen change out of the log: its timers are stored at once, the time itself within a minute', async () => {
    const { host, clock } = makeHost();
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

  it('writes no row for a change of volatile keys alone until its stored context is a minute old', async () => {
    const { host, clock } = makeHost();
    await host.create('lamp', 'lamp:s', { name: 's' }); // in off: `seen` changes lastSeen only, no timer
    type Row = { context: { lastSeen: number }; updated: number };
    const read = async () =>
      (await t.db.rows<Row>(sql`select context, (extract(epoch from updated_at) * 1000)::float8 as updated from actors where id = 'lamp:s'`))[0]!;
    const before = await read();
    expect((await host.dispatch('lamp:s', { type: 'seen', at: 42 })).logged).toBe(false);
    clock.increment(DEFAULT_VOLATILE_FLUSH_MS * 2); // a volatile flush would have written it by now
    await Bun.sleep(50);
    expect(await read()).toEqual(before);
    clock.increment(VOLATILE_CONTEXT_REFRESH_MS + VOLATILE_SWEEP_MS); // the sweep finds its context a minute old
    clock.increment(DEFAULT_VOLATILE_FLUSH_MS);
    const after = await until(read, (r) => r.context.lastSeen === 42, 5000);
    expect(after.updated).toBeGreaterThan(before.updated);
    await host.stop();
  });

  it('applies sendSoon events after the current turn, in order, stamped when sent; stop applies what is still queued', async () => {
    const { host, clock } = makeHost();
    await host.create('lamp', 'lamp:soon', { name: 'soon' });
    const sentAt = clock.now();
    host.sendSoon('lamp:soon', { type: 'on' });
    host.sendSoon('lamp:soon', { type: 'label', text: 'hall' });
    expect((await host.get('lamp:soon'))!.value).toBe('off'); // not applied inside the caller's turn
    clock.increment(5000);
    await until(
      () => host.get('lamp:soon'),
      (v) => v!.context.label === 'hall',
    );
    await host.flush();
    const h = await readHistory(t.db, 'lamp:soon', 0, 10);
    expect(h.map((r) => [r.event.type, r.value, r.event.at])).toEqual([
      ['on', 'on', sentAt],
      ['label', 'on', sentAt],
    ]);
    host.sendSoon('lamp:soon', { type: 'off' });
    await host.stop();
    expect((await readHistory(t.db, 'lamp:soon', 2, 10)).map((r) => [r.event.type, r.value])).toEqual([['off', 'off']]);
  });

  it('writes volatile changes on flush and on stop', async () => {
    const { host } = makeHost();
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

  it('keeps volatile values beside the snapshot: guards, results, views, the log and the row all see the latest', async () => {
    const watch = setup({
      types: {} as {
        context: { lastSeen: number; note: string };
        events: { type: 'seen'; at: number } | { type: 'check'; since: number } | { type: 'note'; text: string };
      },
      guards: { seenSince: ({ context, event }) => event.type === 'check' && context.lastSeen >= event.since },
    }).createMachine({
      id: 'watch',
      context: { lastSeen: 0, note: '' },
      initial: 'unknown',
      on: {
        seen: { actions: assign({ lastSeen: ({ event }) => event.at }) },
        note: { actions: assign({ note: ({ event }) => event.text }) },
        check: [{ guard: 'seenSince', target: '.fresh' }, { target: '.stale' }],
      },
      states: { unknown: {}, fresh: {}, stale: {} },
    });
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2026, 0, 1));
    const host = new ActorHost({ db: t.db, machines: [{ type: 'watch', version: 1, machine: watch, volatile: ['lastSeen'] }], clock });
    await host.create('watch', 'watch:1', {});
    for (const at of [5, 20]) expect((await host.dispatch('watch:1', { type: 'seen', at })).logged).toBe(false);
    expect((await host.dispatch('watch:1', { type: 'check', since: 10 })).stateKey).toBe('fresh'); // the guard read 20
    const seen = await host.dispatch('watch:1', { type: 'seen', at: 30 });
    expect([seen.logged, seen.context.lastSeen]).toEqual([false, 30]);
    expect(host.peek('watch:1')!.context.lastSeen).toBe(30);
    await host.dispatch('watch:1', { type: 'seen', at: 40 });
    await host.dispatch('watch:1', { type: 'note', text: 'x' });
    const h = await readHistory(t.db, 'watch:1', -1, 10);
    expect(h.map((r) => [r.event.type, r.value, r.context.lastSeen])).toEqual([
      ['xstate.init', 'unknown', 0],
      ['check', 'fresh', 20],
      ['note', 'fresh', 40],
    ]);
    await host.dispatch('watch:1', { type: 'seen', at: 50 });
    await host.stop();
    const [row] = await t.db.rows<{ context: { lastSeen: number; note: string } }>(sql`select context from actors where id = 'watch:1'`);
    expect(row!.context).toEqual({ lastSeen: 50, note: 'x' });
    const again = new ActorHost({ db: t.db, machines: [{ type: 'watch', version: 1, machine: watch, volatile: ['lastSeen'] }], clock });
    expect((await again.get('watch:1'))!.context).toEqual({ lastSeen: 50, note: 'x' });
    await again.stop();
  });

  it("applies a machine's quiet shortcut like the machine would, without a row, telling only the listeners that want unlogged changes", async () => {
    let machineRuns = 0;
    const watch = setup({
      types: {} as { context: { lastSeen: number; note: string }; events: { type: 'seen'; at: number } | { type: 'note'; text: string } },
    }).createMachine({
      id: 'watch',
      context: { lastSeen: 0, note: '' },
      initial: 'on',
      on: {
        seen: {
          actions: assign({
            lastSeen: ({ event }) => {
              machineRuns++;
              return event.at;
            },
          }),
        },
        note: { actions: assign({ note: ({ event }) => event.text }) },
      },
      states: { on: {} },
    });
    // Quiet only while no note is set: then the machine runs (and counts).
    const quiet = (s: { context: unknown }, e: { type: string; at?: number }) =>
      e.type === 'seen' && (s.context as { note: string }).note === '' ? { lastSeen: e.at } : null;
    const def = { type: 'watch', version: 1, machine: watch, volatile: ['lastSeen'], quiet };
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2026, 0, 1));
    const host = new ActorHost({ db: t.db, machines: [def], clock });
    const all: Array<[boolean, unknown]> = [];
    const services: boolean[] = [];
    host.subscribe((tr) => all.push([tr.logged, tr.changes.set]));
    host.subscribe((tr) => services.push(tr.logged), { unlogged: false });
    await host.create('watch', 'watch:q', {});
    const r = await host.dispatch('watch:q', { type: 'seen', at: 5 });
    expect([r.accepted, r.logged, r.context.lastSeen, r.stateKey]).toEqual([true, false, 5, 'on']);
    host.send('watch:q', { type: 'seen', at: 6 });
    expect(machineRuns).toBe(0);
    expect(host.peek('watch:q')!.context.lastSeen).toBe(6);
    await host.dispatch('watch:q', { type: 'note', text: 'x' });
    await host.dispatch('watch:q', { type: 'seen', at: 7 }); // not quiet now: the machine runs
    expect(machineRuns).toBe(1);
    await host.flush();
    expect(all).toEqual([
      [true, { lastSeen: 0, note: '' }],
      [false, { lastSeen: 5 }],
      [false, { lastSeen: 6 }],
      [true, { lastSeen: 6, note: 'x' }],
      [false, { lastSeen: 7 }],
    ]); // a logged row carries the volatile values since the last one
    expect(services).toEqual([true, true]);
    const h = await readHistory(t.db, 'watch:q', -1, 10);
    expect(h.map((x) => [x.event.type, x.context.lastSeen])).toEqual([
      ['xstate.init', 0],
      ['note', 6],
    ]);
    await host.stop();
    const [row] = await t.db.rows<{ context: { lastSeen: number } }>(sql`select context from actors where id = 'watch:q'`);
    expect(row!.context.lastSeen).toBe(7);
  });

  it('takes a transition that only re-arms its own timer: accepted, and no history row', async () => {
    const pinger = setup({ types: {} as { context: Record<string, never>; events: { type: 'ping' } } }).createMachine({
      id: 'pinger',
      context: {},
      initial: 'on',
      states: {
        on: { entry: raise({ type: 'ping' }, { id: 'ping', delay: 1000 }), on: { ping: { actions: raise({ type: 'ping' }, { id: 'ping', delay: 1000 }) } } },
      },
    });
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2026, 0, 1));
    const host = new ActorHost({ db: t.db, machines: [{ type: 'pinger', version: 1, machine: pinger }], clock });
    await host.create('pinger', 'pinger:1', {});
    for (let i = 1; i <= 3; i++) {
      clock.increment(1000);
      await Bun.sleep(10);
      expect(host.peek('pinger:1')!.timers.map((x) => x.due)).toEqual([clock.now() + 1000]); // re-armed each time
    }
    expect((await host.dispatch('pinger:1', { type: 'ping' })).accepted).toBe(true);
    await host.stop();
    expect((await readHistory(t.db, 'pinger:1', -1, 10)).map((r) => r.event.type)).toEqual(['xstate.init']);
  });

  it('indexes the earliest timer on a coarse grain, the exact due time staying in the timers, and a restart fires it on time', async () => {
    const a = makeHost();
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
    const b = makeHost(new SimulatedClock());
    b.clock.set(first.next - 1);
    await b.host.start();
    b.clock.increment(due + 1000 - first.next); // one ms before the exact due
    await Bun.sleep(50);
    expect((await b.host.get('lamp:grain'))!.stateKey).toBe('on');
    b.clock.increment(1);
    await until(
      () => b.host.get('lamp:grain'),
      (v) => v!.stateKey === 'off',
      5000,
    );
    await b.host.stop();
  });

  it('fires a delayed transition at its deadline, also after a restart', async () => {
    const a = makeHost();
    await a.host.create('lamp', 'lamp:d', { name: 'd' });
    await a.host.dispatch('lamp:d', { type: 'on' });
    const due = a.clock.now() + LAMP_AUTO_OFF_MS;
    a.clock.increment(LAMP_AUTO_OFF_MS / 2);
    await a.host.stop(); // the "crash": nothing in memory survives
    const b = makeHost(new SimulatedClock());
    b.clock.set(due - LAMP_AUTO_OFF_MS / 4);
    expect((await b.host.start()).timers).toBeGreaterThanOrEqual(1);
    expect((await b.host.get('lamp:d'))!.stateKey).toBe('on');
    b.clock.increment(LAMP_AUTO_OFF_MS / 4 - 1);
    await Bun.sleep(20);
    expect((await b.host.get('lamp:d'))!.stateKey).toBe('on');
    b.clock.increment(1);
    await Bun.sleep(50);
    expect((await b.host.get('lamp:d'))!.stateKey).toBe('off');
    await b.host.flush();
    const h = await readHistory(t.db, 'lamp:d', -1, 10);
    expect(h.at(-1)!.event.type).toBe('xstate.after.AUTO_OFF.lamp.on');
    expect(h.at(-1)!.at).toBe(due);
    await b.host.stop();
  });

  it('lets an actor in a dormant state leave memory once committed; its timer and its next event bring it back', async () => {
    const { host, clock } = makeHost(new SimulatedClock(), [{ ...lampV1, dormant: ['on'] }]);
    await host.create('lamp', 'lamp:z', { name: 'z' });
    expect(host.peek('lamp:z')?.stateKey).toBe('off'); // not dormant: resident
    await host.dispatch('lamp:z', { type: 'on' });
    expect(host.peek('lamp:z')).toBeUndefined(); // dormant and committed: only in the store
    expect((await host.dispatch('lamp:z', { type: 'label', text: 'hall' })).accepted).toBe(true);
    expect(host.peek('lamp:z')).toBeUndefined();
    clock.increment(LAMP_AUTO_OFF_MS);
    await until(
      async () => host.peek('lamp:z')?.stateKey,
      (k) => k === 'off',
      2000,
    );
    const h = await readHistory(t.db, 'lamp:z', -1, 10);
    expect(h.map((r) => [r.event.type, r.value])).toEqual([
      ['xstate.init', 'off'],
      ['on', 'on'],
      ['label', 'on'],
      ['xstate.after.AUTO_OFF.lamp.on', 'off'],
    ]);
    await host.stop();
  });

  it('fires at once a timer whose deadline passed while the platform was down', async () => {
    const a = makeHost();
    await a.host.create('lamp', 'lamp:e', { name: 'e' });
    await a.host.dispatch('lamp:e', { type: 'on' });
    await a.host.stop();
    const b = makeHost(new SimulatedClock());
    b.clock.set(Date.UTC(2026, 0, 2));
    await b.host.start();
    await Bun.sleep(50);
    expect((await b.host.get('lamp:e'))!.stateKey).toBe('off');
    await b.host.stop();
  });

  it('refuses a stale writer so that two hosts never interleave one log', async () => {
    const a = makeHost();
    const b = makeHost();
    await a.host.create('lamp', 'lamp:f', { name: 'f' });
    await b.host.dispatch('lamp:f', { type: 'label', text: 'from b' }); // b loads seq 0, writes seq 1
    await expect(a.host.dispatch('lamp:f', { type: 'label', text: 'from a' })).rejects.toThrow(/another writer/);
    const after = await a.host.dispatch('lamp:f', { type: 'label', text: 'from a again' }); // reloaded
    expect(after.seq).toBe(2);
    const h = await readHistory(t.db, 'lamp:f', -1, 10);
    expect(h.map((r) => r.context.label)).toEqual([undefined, 'from b', 'from a again']);
    await a.host.stop();
    await b.host.stop();
  });

  it('group-commits concurrent events into few statements', async () => {
    const batches: number[] = [];
    const clock = new SimulatedClock();
    const host = new ActorHost({ db: t.db, machines: [lampV1], clock, effects: { announce: () => {} }, metrics: { batch: (n) => batches.push(n) } });
    await Promise.all(Array.from({ length: 200 }, (_, i) => host.create('lamp', `lamp:g${i}`, { name: `g${i}` })));
    batches.length = 0;
    await Promise.all(Array.from({ length: 200 }, (_, i) => host.dispatch(`lamp:g${i}`, { type: 'label', text: 'x' })));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
    expect(batches.length).toBeLessThan(10);
    await host.stop();
  });

  it('writes a large volatile flush in bounded, spaced chunks and loses none of it', async () => {
    const writes: Array<[events: number, actors: number, at: number]> = [];
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2026, 0, 1));
    const n = VOLATILE_FLUSH_CHUNK_ROWS * 2 + 100;
    // One lane: the chunks and their spacing are per lane.
    const host = new ActorHost({
      db: t.db,
      machines: [lampV1],
      clock,
      commitLanes: 1,
      effects: { announce: () => {} },
      metrics: { batch: (e, a) => writes.push([e, a, clock.now()]) },
    });
    const ids = Array.from({ length: n }, (_, i) => `lamp:vf${i}`);
    await Promise.all(ids.map((id, i) => host.create('lamp', id, { name: `v${i}` })));
    await Promise.all(ids.map((id) => host.dispatch(id, { type: 'on' })));
    await host.flush();
    clock.increment(1000);
    const seen = await Promise.all(ids.map((id) => host.dispatch(id, { type: 'seen', at: 7 })));
    expect(seen.every((r) => r.accepted && !r.logged)).toBe(true);
    writes.length = 0;
    const due = clock.now() + LAMP_AUTO_OFF_MS;
    const stored = async () =>
      (await t.db.rows<{ n: number }>(sql`select count(*)::int as n from actors where id like 'lamp:vf%' and (timers->0->>'due')::float8 = ${due}`))[0]!.n;
    clock.increment(DEFAULT_VOLATILE_FLUSH_MS - 1);
    await Bun.sleep(50);
    expect(writes.length).toBe(0); // not due yet
    clock.increment(1); // the volatile flush falls due: the first chunk goes at once, the others one spacing apart
    for (let i = 0; i < 200 && (await stored()) < n; i++) {
      await Bun.sleep(25);
      if (writes.length > 0 && clock.now() - writes.at(-1)![2] < VOLATILE_FLUSH_SPACING_MS) clock.increment(VOLATILE_FLUSH_SPACING_MS);
    }
    expect(await stored()).toBe(n);
    expect(writes.reduce((a, w) => a + w[1], 0)).toBe(n);
    expect(Math.max(...writes.map((w) => w[1]))).toBeLessThanOrEqual(VOLATILE_FLUSH_CHUNK_ROWS);
    expect(writes.length).toBe(3);
    for (let i = 1; i < writes.length; i++) expect(writes[i]![2] - writes[i - 1]![2]).toBeGreaterThanOrEqual(VOLATILE_FLUSH_SPACING_MS);
    await host.stop();
  });

  it('writes each volatile change once it is old enough, as a trickle rather than in one burst', async () => {
    const writes: Array<[actors: number, at: number]> = [];
    const clock = new SimulatedClock();
    const t0 = Date.UTC(2026, 0, 1);
    clock.set(t0);
    const host = new ActorHost({
      db: t.db,
      machines: [lampV1],
      clock,
      effects: { announce: () => {} },
      metrics: { batch: (_e, a) => writes.push([a, clock.now() - t0]) },
    });
    const ids = Array.from({ length: 4 }, (_, i) => `lamp:tr${i}`);
    for (const [i, id] of ids.entries()) {
      await host.create('lamp', id, { name: `t${i}` });
      await host.dispatch(id, { type: 'on' });
    }
    await host.flush();
    writes.length = 0;
    // One re-armed timer every 500 ms: each is written DEFAULT_VOLATILE_FLUSH_MS after its own change.
    for (const id of ids) {
      expect((await host.dispatch(id, { type: 'seen', at: 7 })).logged).toBe(false);
      clock.increment(500);
      await Bun.sleep(30);
    }
    for (let k = 0; k < 8; k++) {
      clock.increment(500);
      await Bun.sleep(30);
    }
    expect(writes).toEqual(ids.map((_, i) => [1, DEFAULT_VOLATILE_FLUSH_MS + i * 500]));
    await host.stop();
  });

  it('loads an actor into memory once for the event that follows (host.load)', async () => {
    const { host } = makeHost();
    await host.create('lamp', 'lamp:l', { name: 'l' });
    await host.stop();
    const { host: again } = makeHost();
    expect(again.peek('lamp:l')).toBeUndefined();
    const v = await again.load('lamp:l');
    expect(v?.stateKey).toBe('off');
    expect(again.peek('lamp:l')?.stateKey).toBe('off'); // resident now: the next dispatch needs no query
    expect(await again.load('lamp:nobody')).toBeUndefined();
    expect((await again.dispatch('lamp:l', { type: 'on' })).stateKey).toBe('on');
    await again.stop();
  });

  it('refuses only the write the store cannot hold and keeps the rest of the batch', async () => {
    const { host } = makeHost();
    await host.create('lamp', 'lamp:h1', { name: 'h1' });
    await host.create('lamp', 'lamp:h2', { name: 'h2' });
    const bad = host.dispatch('lamp:h1', { type: 'label', text: 'nul \u0000 byte' });
    const good = host.dispatch('lamp:h2', { type: 'label', text: 'fine' });
    await expect(bad).rejects.toBeInstanceOf(StoreRejectedError);
    expect((await good).seq).toBe(1);
    expect((await host.get('lamp:h1'))!.context.label).toBeUndefined(); // reloaded from the store
    await host.stop();
  });

  it('rejects an event on which the machine throws, leaving the actor as it was', async () => {
    const { host } = makeHost();
    await host.create('lamp', 'lamp:i', { name: 'i' });
    await expect(host.dispatch('lamp:i', { type: 'boom' })).rejects.toThrow(/kaboom/);
    expect((await host.dispatch('lamp:i', { type: 'on' })).seq).toBe(1);
    await host.stop();
  });

  it('keeps an old actor on its machine version and fails loudly when that version is gone', async () => {
    const a = makeHost();
    await a.host.create('lamp', 'lamp:v', { name: 'v' });
    await a.host.stop();
    const both = makeHost(new SimulatedClock(), [lampV1, lampV2]);
    expect((await both.host.dispatch('lamp:v', { type: 'on' })).seq).toBe(1);
    expect((await both.host.get('lamp:v'))!.version).toBe(1);
    await both.host.create('lamp', 'lamp:v2', { name: 'v2' });
    expect((await both.host.get('lamp:v2'))!.version).toBe(2);
    await both.host.stop();
    const onlyV2 = makeHost(new SimulatedClock(), [lampV2]);
    await expect(onlyV2.host.dispatch('lamp:v', { type: 'off' })).rejects.toBeInstanceOf(MachineVersionError);
    await onlyV2.host.stop();
  });

  it('prunes history past the retention, keeping a checkpoint that history and replay start from', async () => {
    const { host, clock } = makeHost();
    await host.create('lamp', 'lamp:p', { name: 'p' });
    for (let i = 1; i <= 40; i++) {
      clock.increment(1000);
      await host.dispatch('lamp:p', { type: 'label', text: `l${i}` });
    }
    await host.stop();
    const cutoff = Date.UTC(2026, 0, 1) + 36_000; // after seq 36: the last checkpoint before it is seq 32
    expect(await pruneHistory(t.db, cutoff)).toBe(32);
    const h = await readHistory(t.db, 'lamp:p', -1, 100);
    expect(h[0]!.seq).toBe(32);
    expect(h[0]!.checkpoint).toBe(true);
    expect(h.at(-1)!.context.label).toBe('l40');
    expect(await replayActor(t.db, new MachineRegistry([lampV1]), 'lamp:p')).toMatchObject({ ok: true, events: 9 });
    const again = makeHost();
    expect((await again.host.dispatch('lamp:p', { type: 'label', text: 'l41' })).seq).toBe(41);
    await again.host.stop();
  });

  it("a client chaining each event on the last one's commit does not starve timers and sockets", async () => {
    // PGlite answers a commit within microtasks: without a yield between batches the lane's loop
    // and the client's chain would run forever, and no timer would ever fire.
    const { host } = makeHost();
    await host.create('lamp', 'lamp:chain', { name: 'chain' });
    let running = true;
    let done = 0;
    const next = (): void => {
      if (running)
        host.dispatch('lamp:chain', { type: 'label', text: `c${done}` }).then(() => {
          done++;
          next();
        });
    };
    next();
    await new Promise((resolve) => setTimeout(resolve, 100)); // never resolves if the loop starves timers
    running = false;
    expect(done).toBeGreaterThan(0);
    await host.stop();
  });

  it('replays every logged actor to the recorded states', async () => {
    const registry = new MachineRegistry([lampV1, lampV2]);
    for (const id of ['lamp:a', 'lamp:c', 'lamp:d', 'lamp:f', 'lamp:h2', 'lamp:v']) {
      const v = await replayActor(t.db, registry, id);
      expect(v).toMatchObject({ ok: true, mismatches: [] });
    }
  });
});
