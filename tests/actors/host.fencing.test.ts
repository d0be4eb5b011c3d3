import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('refuses a stale writer so that two hosts never interleave one log', async () => {
  const a = makeHost(t);
  const b = makeHost(t);
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
