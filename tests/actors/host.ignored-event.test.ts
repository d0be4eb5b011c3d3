import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('does not log an event the machine ignores', async () => {
  const { host } = makeHost(t);
  await host.create('lamp', 'lamp:b', { name: 'b' });
  const r = await host.dispatch('lamp:b', { type: 'off' });
  expect(r.accepted).toBe(false);
  expect((await readHistory(t.db, 'lamp:b', -1, 10)).length).toBe(1);
  await host.stop();
});
