import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('applies sendSoon events after the current turn, in order, stamped when sent; stop applies what is still queued', async () => {
  const { host, clock } = makeHost(t);
  await host.create('lamp', 'lamp:soon', { name: 'soon' });
  const sentAt = clock.now();
  host.sendSoon('lamp:soon', { type: 'on' });
  host.sendSoon('lamp:soon', { type: 'label', text: 'hall' });
  expect(host.peek('lamp:soon')!.value).toBe('off'); // not applied inside the caller's turn
  clock.increment(5000);
  await t.quiet();
  expect(host.peek('lamp:soon')!.context.label).toBe('hall');
  await host.flush();
  const h = await readHistory(t.db, 'lamp:soon', 0, 10);
  expect(h.map((r) => [r.event.type, r.value, r.event.at])).toEqual([
    ['on', 'on', sentAt],
    ['label', 'on', sentAt],
  ]);
  host.sendSoon('lamp:soon', { type: 'off' });
  await host.stop();
  expect((await readHistory(t.db, 'lamp:soon', 2, 10)).map((r) => [r.event.type, r.value])).toEqual([['off', 'off']]);
});
