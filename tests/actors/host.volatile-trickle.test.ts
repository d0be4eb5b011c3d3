import { expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { DEFAULT_VOLATILE_FLUSH_MS } from '../../actors/host/committer.ts';
import { batchWatch, makeHost, T0, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** Time between two actors' changes, and the clock's step. */
const STEP_MS = 500;
/** Steps after the last change: past the last one's flush. */
const STEPS_AFTER = 8;

it('writes each volatile change once it is old enough, as a trickle rather than in one burst', async () => {
  const clock = new SimulatedClock();
  const batches = batchWatch(clock);
  const { host } = makeHost(t, { clock, metrics: batches.metrics });
  const ids = Array.from({ length: 4 }, (_, i) => `lamp:tr${i}`);
  for (const [i, id] of ids.entries()) {
    await host.create('lamp', id, { name: `t${i}` });
    await host.dispatch(id, { type: 'on' });
  }
  await host.flush();
  batches.seen.length = 0;
  // One re-armed timer every STEP_MS: each is written DEFAULT_VOLATILE_FLUSH_MS after its own change.
  for (const id of ids) {
    expect((await host.dispatch(id, { type: 'seen', at: 7 })).logged).toBe(false);
    clock.increment(STEP_MS);
    await t.quiet();
  }
  for (let k = 0; k < STEPS_AFTER; k++) {
    clock.increment(STEP_MS);
    await t.quiet();
  }
  expect(batches.seen.map((w) => [w.actors, w.at - T0])).toEqual(ids.map((_, i) => [1, DEFAULT_VOLATILE_FLUSH_MS + i * STEP_MS]));
  await host.stop();
});
