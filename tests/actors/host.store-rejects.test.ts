import { expect, it } from 'bun:test';
import { StoreRejectedError } from '../../actors/host/host.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('refuses only the write the store cannot hold and keeps the rest of the batch', async () => {
  const { host } = makeHost(t);
  await host.create('lamp', 'lamp:h1', { name: 'h1' });
  await host.create('lamp', 'lamp:h2', { name: 'h2' });
  const bad = host.dispatch('lamp:h1', { type: 'label', text: 'nul \u0000 byte' });
  const good = host.dispatch('lamp:h2', { type: 'label', text: 'fine' });
  await expect(bad).rejects.toBeInstanceOf(StoreRejectedError);
  expect((await good).seq).toBe(1);
  expect((await host.get('lamp:h1'))!.context.label).toBeUndefined(); // reloaded from the store
  await host.stop();
});
