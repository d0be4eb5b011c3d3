import { expect, it } from 'bun:test';
import { randomUUID } from 'node:crypto';
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

/** Commit lanes in the test below (any number above one: each lane commits on its own). */
const LANES = 4;
/** Device pairs of the test below: with lanes chosen by actor id, most pairs would straddle two lanes. */
const PAIRS = 40;

it("commits what one request changes of a device's actors in one statement, whatever the lanes", async () => {
  const batches = batchWatch();
  const { host } = makeHost(t, { metrics: batches.metrics, commitLanes: LANES });
  // Like a Vr create with name=: the previous segment's confirmation and the new segment (random ids), side by side.
  const prev = Array.from({ length: PAIRS }, () => `lamp:${randomUUID()}`);
  await Promise.all(prev.map((id, i) => host.create('lamp', id, { name: `p${i}` }, { deviceId: `dev${i}` })));
  for (const [i, id] of prev.entries()) {
    batches.seen.length = 0;
    await Promise.all([
      host.dispatch(id, { type: 'label', text: 'confirmed' }),
      host.create('lamp', `lamp:${randomUUID()}`, { name: `n${i}` }, { deviceId: `dev${i}`, fresh: true }),
    ]);
    expect(batches.seen.length).toBe(1);
  }
  await host.stop();
});
