import { expect, it } from 'bun:test';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('rejects an event on which the machine throws, leaving the actor as it was', async () => {
  const { host } = makeHost(t);
  await host.create('lamp', 'lamp:i', { name: 'i' });
  await expect(host.dispatch('lamp:i', { type: 'boom' })).rejects.toThrow(/kaboom/);
  expect((await host.dispatch('lamp:i', { type: 'on' })).seq).toBe(1);
  await host.stop();
});
