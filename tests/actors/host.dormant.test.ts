import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { LAMP_AUTO_OFF_MS, lampV1 } from '../fixtures/lamp.machine.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('lets an actor in a dormant state leave memory once committed; its timer and its next event bring it back', async () => {
  const { host, clock } = makeHost(t, { machines: [{ ...lampV1, dormant: ['on'] }] });
  await host.create('lamp', 'lamp:z', { name: 'z' });
  expect(host.peek('lamp:z')?.stateKey).toBe('off'); // not dormant: resident
  await host.dispatch('lamp:z', { type: 'on' });
  expect(host.peek('lamp:z')).toBeUndefined(); // dormant and committed: only in the store
  expect((await host.dispatch('lamp:z', { type: 'label', text: 'hall' })).accepted).toBe(true);
  expect(host.peek('lamp:z')).toBeUndefined();
  clock.increment(LAMP_AUTO_OFF_MS); // the timer loads the actor and fires
  await t.quiet();
  expect(host.peek('lamp:z')?.stateKey).toBe('off');
  const h = await readHistory(t.db, 'lamp:z', -1, 10);
  expect(h.map((r) => [r.event.type, r.value])).toEqual([
    ['xstate.init', 'off'],
    ['on', 'on'],
    ['label', 'on'],
    ['xstate.after.AUTO_OFF.lamp.on', 'off'],
  ]);
  await host.stop();
});
