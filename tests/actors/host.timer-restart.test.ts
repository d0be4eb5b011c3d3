import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { LAMP_AUTO_OFF_MS } from '../fixtures/lamp.machine.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('fires a delayed transition at its deadline, also after a restart', async () => {
  const a = makeHost(t);
  await a.host.create('lamp', 'lamp:d', { name: 'd' });
  await a.host.dispatch('lamp:d', { type: 'on' });
  const due = a.clock.now() + LAMP_AUTO_OFF_MS;
  a.clock.increment(LAMP_AUTO_OFF_MS / 2);
  await a.host.stop(); // the "crash": nothing in memory survives
  const b = makeHost(t);
  b.clock.set(due - LAMP_AUTO_OFF_MS / 4);
  expect((await b.host.start()).timers).toBeGreaterThanOrEqual(1);
  expect((await b.host.get('lamp:d'))!.stateKey).toBe('on');
  b.clock.increment(LAMP_AUTO_OFF_MS / 4 - 1);
  await t.quiet();
  expect((await b.host.get('lamp:d'))!.stateKey).toBe('on');
  b.clock.increment(1);
  await t.quiet();
  expect((await b.host.get('lamp:d'))!.stateKey).toBe('off');
  await b.host.flush();
  const h = await readHistory(t.db, 'lamp:d', -1, 10);
  expect(h.at(-1)!.event.type).toBe('xstate.after.AUTO_OFF.lamp.on');
  expect(h.at(-1)!.at).toBe(due);
  await b.host.stop();
});
