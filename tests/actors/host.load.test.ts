import { expect, it } from 'bun:test';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('loads an actor into memory once for the event that follows (host.load)', async () => {
  const { host } = makeHost(t);
  await host.create('lamp', 'lamp:l', { name: 'l' });
  await host.stop();
  const { host: again } = makeHost(t);
  expect(again.peek('lamp:l')).toBeUndefined();
  const v = await again.load('lamp:l');
  expect(v?.stateKey).toBe('off');
  expect(again.peek('lamp:l')?.stateKey).toBe('off'); // resident now: the next dispatch needs no query
  expect(await again.load('lamp:nobody')).toBeUndefined();
  expect((await again.dispatch('lamp:l', { type: 'on' })).stateKey).toBe('on');
  await again.stop();
});
