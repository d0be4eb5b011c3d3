import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { assign, setup } from 'xstate';
import { ActorHost } from '../../actors/host/host.ts';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

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
const def = { type: 'watch', version: 1, machine: watch, volatile: ['lastSeen'] };

it('keeps volatile values beside the snapshot: guards, results, views, the log and the row all see the latest', async () => {
  const { host, clock } = makeHost(t, { machines: [def] });
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
  const again = new ActorHost({ db: t.db, machines: [def], clock });
  expect((await again.get('watch:1'))!.context).toEqual({ lastSeen: 50, note: 'x' });
  await again.stop();
});
