import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('logs every accepted event with the state and context it produced, and runs its effects with their keys', async () => {
  const { host, effects } = makeHost(t);
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
