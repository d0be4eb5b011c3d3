import { expect, it } from 'bun:test';
import { CHECKPOINT_EVERY } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { pruneHistory, readHistory } from '../../actors/host/store.ts';
import { lampV1 } from '../fixtures/lamp.machine.ts';
import { makeHost, T0, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** One label a second for this many seconds. */
const EVENTS = 40;
const STEP_MS = 1000;
/** The retention cutoff: after seq 36, whose last checkpoint before it is seq 32. */
const CUTOFF_SEQ = 36;

it('prunes history past the retention, keeping a checkpoint that history and replay start from', async () => {
  const { host, clock } = makeHost(t);
  await host.create('lamp', 'lamp:p', { name: 'p' });
  for (let i = 1; i <= EVENTS; i++) {
    clock.increment(STEP_MS);
    await host.dispatch('lamp:p', { type: 'label', text: `l${i}` });
  }
  await host.stop();
  const checkpoint = Math.floor(CUTOFF_SEQ / CHECKPOINT_EVERY) * CHECKPOINT_EVERY;
  expect(await pruneHistory(t.db, T0 + CUTOFF_SEQ * STEP_MS)).toBe(checkpoint);
  const h = await readHistory(t.db, 'lamp:p', -1, 100);
  expect(h[0]!.seq).toBe(checkpoint);
  expect(h[0]!.checkpoint).toBe(true);
  expect(h.at(-1)!.context.label).toBe(`l${EVENTS}`);
  expect(await replayActor(t.db, new MachineRegistry([lampV1]), 'lamp:p')).toMatchObject({ ok: true, events: EVENTS - checkpoint + 1 });
  const again = makeHost(t);
  expect((await again.host.dispatch('lamp:p', { type: 'label', text: 'next' })).seq).toBe(EVENTS + 1);
  await again.host.stop();
});
