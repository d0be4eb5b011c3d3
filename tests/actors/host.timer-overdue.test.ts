import { expect, it } from 'bun:test';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('fires at once a timer whose deadline passed while the platform was down', async () => {
  const a = makeHost(t);
  await a.host.create('lamp', 'lamp:e', { name: 'e' });
  await a.host.dispatch('lamp:e', { type: 'on' });
  await a.host.stop();
  const b = makeHost(t);
  b.clock.set(Date.UTC(2026, 0, 2));
  await b.host.start();
  await t.quiet(); // no clock step: the overdue index entry loads the actor, and its timer fires
  expect((await b.host.get('lamp:e'))!.stateKey).toBe('off');
  await b.host.stop();
});
