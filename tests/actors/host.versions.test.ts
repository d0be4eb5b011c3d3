import { expect, it } from 'bun:test';
import { MachineVersionError } from '../../actors/host/registry.ts';
import { lampV1, lampV2 } from '../fixtures/lamp.machine.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('keeps an old actor on its machine version and fails loudly when that version is gone', async () => {
  const a = makeHost(t);
  await a.host.create('lamp', 'lamp:v', { name: 'v' });
  await a.host.stop();
  const both = makeHost(t, { machines: [lampV1, lampV2] });
  expect((await both.host.dispatch('lamp:v', { type: 'on' })).seq).toBe(1);
  expect((await both.host.get('lamp:v'))!.version).toBe(1);
  await both.host.create('lamp', 'lamp:v2', { name: 'v2' });
  expect((await both.host.get('lamp:v2'))!.version).toBe(2);
  await both.host.stop();
  const onlyV2 = makeHost(t, { machines: [lampV2] });
  await expect(onlyV2.host.dispatch('lamp:v', { type: 'off' })).rejects.toBeInstanceOf(MachineVersionError);
  await onlyV2.host.stop();
});
