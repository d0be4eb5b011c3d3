import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { assign, setup } from 'xstate';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

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
  const { host } = makeHost(t, { machines: [{ type: 'watch', version: 1, machine: watch, volatile: ['lastSeen'], quiet }] });
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
