import { expect, it } from 'bun:test';
import { readHistory } from '../../actors/host/store.ts';
import { bellDef, summonerDef } from '../fixtures/outbox.machines.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it('makes a message’s receiver when it does not exist, once, and delivers every message to it in order', async () => {
  const { host } = makeHost(t, { machines: [summonerDef, bellDef] });
  await host.create('summoner', 'summoner:1', {});
  // Three messages to a bell nobody made: the first makes it, the others find it made (even while its first row is on its way).
  host.send('summoner:1', { type: 'summon', bell: 'bell:s' });
  host.send('summoner:1', { type: 'summon', bell: 'bell:s' });
  host.send('summoner:1', { type: 'summon', bell: 'bell:s' });
  await t.quiet();
  await host.flush();
  await t.quiet();
  await host.flush();
  expect(host.peek('bell:s')?.context).toEqual({ rings: 3, last: 3 });
  expect((await readHistory(t.db, 'bell:s', 0, 10)).map((h) => [h.event.type, h.event.n])).toEqual([
    ['ring', 1],
    ['ring', 2],
    ['ring', 3],
  ]);
  expect((await host.get('bell:s'))?.parentId).toBe('summoner:1');
  await host.stop();
});

it('delivers the messages sent right behind the one that makes their receiver (they carry no create of their own)', async () => {
  const { host } = makeHost(t, { machines: [summonerDef, bellDef] });
  await host.create('summoner', 'summoner:2', {});
  // As a pu opens a stream with a viewer's join and sends the next viewers' joins to it before it is stored.
  host.send('summoner:2', { type: 'summon', bell: 'bell:m' });
  host.send('summoner:2', { type: 'summon', bell: 'bell:m', make: false });
  host.send('summoner:2', { type: 'summon', bell: 'bell:m', make: false });
  await t.quiet();
  await host.flush();
  await t.quiet();
  await host.flush();
  expect(host.peek('bell:m')?.context).toEqual({ rings: 3, last: 3 });
  await host.stop();
});
