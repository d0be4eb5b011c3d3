import { expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { DEFAULT_VOLATILE_FLUSH_MS, VOLATILE_FLUSH_TRICKLE_SPACING_MS } from '../../actors/host/committer.ts';
import { batchWatch, makeHost, T0, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** Time between two actors' changes, and the clock's step. */
const STEP_MS = 500;
/** Steps after the last change: past the last one's flush. */
const STEPS_AFTER = 8;

it('writes each volatile change once it is old enough, a trickle at most once per trickle spacing, never in one burst', async () => {
  const clock = new SimulatedClock();
  const batches = batchWatch(clock);
  // One lane: the spacing is per lane.
  const { host } = makeHost(t, { clock, commitLanes: 1, metrics: batches.metrics });
  const ids = Array.from({ length: 4 }, (_, i) => `lamp:tr${i}`);
  for (const [i, id] of ids.entries()) {
    await host.create('lamp', id, { name: `t${i}` });
    await host.dispatch(id, { type: 'on' });
  }
  await host.flush();
  batches.seen.length = 0;
  // One re-armed timer every STEP_MS: each is written once DEFAULT_VOLATILE_FLUSH_MS old, in statements at least
  // VOLATILE_FLUSH_TRICKLE_SPACING_MS apart (less than a chunk waits): those due meanwhile go together.
  for (const id of ids) {
    expect((await host.dispatch(id, { type: 'seen', at: 7 })).logged).toBe(false);
    clock.increment(STEP_MS);
    await t.quiet();
  }
  for (let k = 0; k < STEPS_AFTER; k++) {
    clock.increment(STEP_MS);
    await t.quiet();
  }
  const first = DEFAULT_VOLATILE_FLUSH_MS;
  expect(STEP_MS * 2).toBe(VOLATILE_FLUSH_TRICKLE_SPACING_MS); // the expectation below is worked out for this ratio
  expect(batches.seen.map((w) => [w.actors, w.at - T0])).toEqual([
    [1, first], // the first change, due
    [2, first + VOLATILE_FLUSH_TRICKLE_SPACING_MS], // the second (due half a spacing earlier) and the third, due now
    [1, first + 2 * VOLATILE_FLUSH_TRICKLE_SPACING_MS], // the fourth
  ]);
  await host.stop();
});
