import { expect, it } from 'bun:test';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { LAMP_AUTO_OFF_MS, lampV1, lampV2 } from '../fixtures/lamp.machine.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('replays a logged actor to the recorded states: events, unlogged volatile changes, a timer fired after a restart, two writers, two versions', async () => {
  const a = makeHost(t);
  await a.host.create('lamp', 'lamp:r', { name: 'r' });
  await a.host.dispatch('lamp:r', { type: 'on' });
  a.clock.increment(1000);
  await a.host.dispatch('lamp:r', { type: 'seen', at: a.clock.now() }); // volatile: no row
  await a.host.dispatch('lamp:r', { type: 'label', text: 'hall' }); // carries the last-seen time
  await a.host.stop();
  const b = makeHost(t, { machines: [lampV1, lampV2] });
  await b.host.start();
  b.clock.increment(LAMP_AUTO_OFF_MS + 1000); // the timer loads the actor and turns it off
  await t.quiet();
  expect(b.host.peek('lamp:r')?.stateKey).toBe('off');
  await b.host.dispatch('lamp:r', { type: 'label', text: 'porch' });
  await b.host.create('lamp', 'lamp:r2', { name: 'r2' }); // on version 2
  await b.host.dispatch('lamp:r2', { type: 'on' });
  await b.host.stop();
  const registry = new MachineRegistry([lampV1, lampV2]);
  for (const id of ['lamp:r', 'lamp:r2']) expect(await replayActor(t.db, registry, id)).toMatchObject({ ok: true, mismatches: [] });
});
