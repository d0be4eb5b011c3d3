import { expect, it } from 'bun:test';
import { raise, setup } from 'xstate';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** The pinger's period. */
const PING_MS = 1000;

it('takes a transition that only re-arms its own timer: accepted, and no history row', async () => {
  const pinger = setup({ types: {} as { context: Record<string, never>; events: { type: 'ping' } } }).createMachine({
    id: 'pinger',
    context: {},
    initial: 'on',
    states: {
      on: {
        entry: raise({ type: 'ping' }, { id: 'ping', delay: PING_MS }),
        on: { ping: { actions: raise({ type: 'ping' }, { id: 'ping', delay: PING_MS }) } },
      },
    },
  });
  const { host, clock } = makeHost(t, { machines: [{ type: 'pinger', version: 1, machine: pinger }] });
  await host.create('pinger', 'pinger:1', {});
  for (let i = 1; i <= 3; i++) {
    clock.increment(PING_MS); // the resident actor's timer fires within the clock step
    expect(host.peek('pinger:1')!.timers.map((x) => x.due)).toEqual([clock.now() + PING_MS]); // re-armed each time
  }
  expect((await host.dispatch('pinger:1', { type: 'ping' })).accepted).toBe(true);
  await host.stop();
  expect((await readHistory(t.db, 'pinger:1', -1, 10)).map((r) => r.event.type)).toEqual(['xstate.init']);
});
