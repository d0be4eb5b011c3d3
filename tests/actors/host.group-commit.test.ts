import { expect, it } from 'bun:test';
import { batchWatch, makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** Actors dispatching at once. */
const ACTORS = 200;
/** Most statements their events may take. */
const MAX_STATEMENTS = 10;

it('group-commits concurrent events into few statements', async () => {
  const batches = batchWatch();
  const { host } = makeHost(t, { metrics: batches.metrics });
  await Promise.all(Array.from({ length: ACTORS }, (_, i) => host.create('lamp', `lamp:g${i}`, { name: `g${i}` })));
  batches.seen.length = 0;
  await Promise.all(Array.from({ length: ACTORS }, (_, i) => host.dispatch(`lamp:g${i}`, { type: 'label', text: 'x' })));
  expect(batches.seen.reduce((a, b) => a + b.events, 0)).toBe(ACTORS);
  expect(batches.seen.length).toBeLessThan(MAX_STATEMENTS);
  await host.stop();
});
