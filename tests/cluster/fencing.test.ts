/**
 * One owner per actor (docs/cluster.md), at the host: two hosts on one database, each with a real
 * membership row. A node that lost its lease (its row expired while it did not notice: a pause)
 * commits nothing for an actor another node adopted, neither a row update, nor an append-only
 * write, nor a new actor; the event log names one writer per epoch, in order.
 */
import { describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { ActorElsewhereError, type ActorHost, StaleWriterError } from '../../actors/host/host.ts';
import { Membership } from '../../services/cluster/membership.ts';
import { silentLog } from '../../lib/log.ts';
import { useHostDb, makeHost } from '../actors/host.fixture.ts';
import { LAMP_AUTO_OFF_MS, lampV1 } from '../fixtures/lamp.machine.ts';
import { rejectionOf } from '../helpers/wait.ts';

const t = useHostDb();

/** The lamp again, as a device's long-resting actor (dormant when off: it stays behind at a take-over). */
const restV1 = { ...lampV1, type: 'rest', dormant: ['off'] };

/** A node: its membership joined (no timers: the test drives heartbeats and watches) and its host. */
async function node(id: string) {
  let host: ActorHost | undefined;
  const m = new Membership(
    { db: t.db, log: silentLog, adopt: (h, age) => host!.adopt(h, age), load: () => ({ pus: 0, streams: 0, uploads: 0 }) },
    { declaredDead: () => host!.reset() },
  );
  await m.join({ id, baseUrl: `https://${id}:8443`, publicHost: id, httpPort: 8443, srtPort: 9710 });
  const made = makeHost(t, { owner: m, machines: [lampV1, restV1], deviceRoot: (d) => `lamp:${d}` });
  host = made.host;
  return { m, ...made };
}

/** Expire a node's lease in the database, as if it had been paused past it without noticing. */
const expire = (id: string) => t.db.rows(sql`UPDATE cluster_nodes SET lease_until = now() - interval '1 second' WHERE id = ${id}`);

const writers = async (actor: string) =>
  (await t.db.rows<{ seq: number; writer: string }>(sql`SELECT seq::int AS seq, writer FROM actor_events WHERE actor_id = ${actor} ORDER BY seq`)).map(
    (r) => `${r.seq}:${r.writer}`,
  );

describe('one owner per actor', () => {
  it('a live owner keeps its actors: another node is told where they are', async () => {
    const a = await node('fa-1');
    const b = await node('fb-1');
    await a.host.create('lamp', 'lamp:own', { name: 'own' });
    expect(await rejectionOf(b.host.dispatch('lamp:own', { type: 'on' }))).toBeInstanceOf(ActorElsewhereError);
    expect(await rejectionOf(b.host.dispatch('lamp:own', { type: 'on' }))).toMatchObject({ owner: 'fa-1' });
    await a.host.dispatch('lamp:own', { type: 'on' });
    expect(await writers('lamp:own')).toEqual(['0:fa-1#1', '1:fa-1#1']);
  });

  it('a paused owner whose lease ran out writes nothing for the actor another node adopted', async () => {
    const a = await node('fa-2');
    const b = await node('fb-2');
    await a.host.create('lamp', 'lamp:paused', { name: 'paused' });
    await a.host.dispatch('lamp:paused', { type: 'label', text: 'a' }); // a context-only change: an append-only write next time
    await expire('fa-2');
    await b.m.watch(); // declares fa-2 dead
    const [row] = await t.db.rows<{ state: string }>(sql`SELECT state FROM cluster_nodes WHERE id = 'fa-2'`);
    expect(row!.state).toBe('dead');
    await b.host.dispatch('lamp:paused', { type: 'on' }); // claimed on load, written as fb-2
    // fa-2 still believes it may write (its own deadline has not passed): the statement refuses it.
    expect(a.m.writable()).toBe(true);
    expect(await rejectionOf(a.host.dispatch('lamp:paused', { type: 'label', text: 'stale' }))).toBeInstanceOf(StaleWriterError);
    expect(await rejectionOf(a.host.dispatch('lamp:paused', { type: 'off' }))).toBeInstanceOf(ActorElsewhereError);
    expect(await rejectionOf(a.host.create('lamp', 'lamp:new-after-lease', { name: 'x' }))).toBeInstanceOf(Error);
    expect(await writers('lamp:paused')).toEqual(['0:fa-2#1', '1:fa-2#1', '2:fb-2#1']);
    expect(await writers('lamp:new-after-lease')).toEqual([]);
  });

  it('a node declared dead learns it at its next heartbeat and joins again as a new epoch, owning nothing of before', async () => {
    const a = await node('fa-3');
    const b = await node('fb-3');
    await a.host.create('lamp', 'lamp:rejoin', { name: 'r' });
    await expire('fa-3');
    await b.m.watch();
    await a.m.heartbeat();
    expect(a.m.epoch()).toBe(2);
    await b.host.dispatch('lamp:rejoin', { type: 'on' }); // nobody live owned it: fb-3 claims it
    expect(a.host.peek('lamp:rejoin')).toBeUndefined(); // let go when it learnt it was dead
    expect(await rejectionOf(a.host.dispatch('lamp:rejoin', { type: 'label', text: 'old' }))).toBeInstanceOf(ActorElsewhereError);
  });

  it("adopts a dead node's actor whose timer falls due, and fires the timer there", async () => {
    const a = await node('fa-4');
    const b = await node('fb-4');
    await a.host.create('lamp', 'lamp:timer', { name: 't' });
    await a.host.dispatch('lamp:timer', { type: 'on' }); // AUTO_OFF armed, persisted in the row
    await expire('fa-4');
    b.clock.increment(LAMP_AUTO_OFF_MS + 1);
    await b.m.watch(); // dead, then adopted: the load arms the timer, already due on b's clock
    await t.quiet();
    b.clock.increment(1);
    await t.quiet();
    await b.host.flush();
    expect(b.host.peek('lamp:timer')?.value).toBe('off');
    expect(await writers('lamp:timer')).toEqual(['0:fa-4#1', '1:fa-4#1', '2:fb-4#1']);
  });

  it('adopts an actor it still holds a stale copy of (another node took it over since), and fires its timer', async () => {
    const a = await node('fa-8');
    const b = await node('fb-8');
    await a.host.create('lamp', 'lamp:back', { name: 'b' }, { deviceId: 'dev-7' }); // resident on a from now on
    await b.host.takeOver('dev-7');
    await b.host.dispatch('lamp:back', { type: 'on' }); // AUTO_OFF armed on b, persisted in the row
    await expire('fb-8');
    a.clock.increment(LAMP_AUTO_OFF_MS + 1);
    await a.m.watch(); // fb-8 dead, its actor adopted by a: loaded afresh, not from a's stale copy
    await t.quiet();
    a.clock.increment(1);
    await t.quiet();
    await a.host.flush();
    expect(await writers('lamp:back')).toEqual(['0:fa-8#1', '1:fb-8#1', '2:fa-8#1']);
    expect(a.host.peek('lamp:back')?.value).toBe('off');
  });

  it("takes a device's actors over from a live owner when the device logs in elsewhere; the old owner is refused", async () => {
    const a = await node('fa-5');
    const b = await node('fb-5');
    await a.host.create('lamp', 'lamp:dev-5', { name: 'd' }, { deviceId: 'dev-5' });
    await a.host.dispatch('lamp:dev-5', { type: 'on' });
    await b.host.takeOver('dev-5');
    await b.host.dispatch('lamp:dev-5', { type: 'off' });
    expect(await rejectionOf(a.host.dispatch('lamp:dev-5', { type: 'label', text: 'late' }))).toBeInstanceOf(StaleWriterError);
    expect(await writers('lamp:dev-5')).toEqual(['0:fa-5#1', '1:fa-5#1', '2:fb-5#1']);
  });

  it("leaves a device's dormant actors with their owner at a take-over; they follow the device on first use", async () => {
    const a = await node('fa-7');
    const b = await node('fb-7');
    await a.host.create('lamp', 'lamp:d7', { name: 'root' }, { deviceId: 'd7' });
    await a.host.create('rest', 'rest:d7', { name: 'resting' }, { deviceId: 'd7' });
    await b.host.takeOver('d7');
    const owners = await t.db.rows<{ id: string; owner_node: string }>(sql`SELECT id, owner_node FROM actors WHERE device_id = 'd7' ORDER BY id`);
    expect(owners.map((o) => `${o.id}@${o.owner_node}`)).toEqual(['lamp:d7@fb-7', 'rest:d7@fa-7']);
    await b.host.dispatch('rest:d7', { type: 'on' }); // its device's root is fb-7's: claimed from a live owner
    // fa-7 keeps no dormant actor in memory: loading it again, it finds fb-7 the owner.
    expect(await rejectionOf(a.host.dispatch('rest:d7', { type: 'label', text: 'stale' }))).toBeInstanceOf(ActorElsewhereError);
    expect(await writers('rest:d7')).toEqual(['0:fa-7#1', '1:fb-7#1']);
  });

  it('holds every write while its own lease deadline has passed, and lets them through once a heartbeat renews it', async () => {
    const a = await node('fa-6');
    await a.host.create('lamp', 'lamp:held', { name: 'h' });
    let writable = false;
    const owner = { node: a.m.node, epoch: () => a.m.epoch(), writable: () => writable };
    const held = makeHost(t, { owner }).host;
    let done = false;
    const p = held.dispatch('lamp:held', { type: 'on' }).then(() => (done = true));
    await Bun.sleep(600);
    expect(done).toBe(false);
    writable = true;
    await p;
    expect(await writers('lamp:held')).toEqual(['0:fa-6#1', '1:fa-6#1']);
  });
});

describe('a write held across a new incarnation', () => {
  it('is refused, not sent under the new epoch: an event decided by the incarnation declared dead is never written', async () => {
    const a = await node('fa-9');
    const b = await node('fb-9');
    await a.host.create('lamp', 'lamp:held-across', { name: 'h' });
    // A host of fa-9 whose writes are held, as on a node paused past its lease deadline (SIGSTOP, then SIGCONT).
    let writable = false;
    const owner = { node: a.m.node, epoch: () => a.m.epoch(), writable: () => writable && a.m.writable() };
    const held = makeHost(t, { owner }).host;
    const p = held.dispatch('lamp:held-across', { type: 'on' }).then(
      () => 'written',
      (e: Error) => e.name,
    );
    await t.quiet(); // loaded (under fa-9#1) and decided; its write waits for the lease
    expect(held.peek('lamp:held-across')?.stateKey).toBe('on');
    await expire('fa-9');
    await b.m.watch(); // fa-9#1 is dead
    await a.m.heartbeat(); // fa-9 learns it and joins again as fa-9#2
    expect(a.m.epoch()).toBe(2);
    await a.host.takeOverActor('lamp:held-across'); // fa-9#2 owns the row now (as at a device's login), no event yet
    writable = true; // the held write's turn: the row names its node and current epoch, and its seq is free
    expect(await p).toBe('StaleWriterError');
    await a.host.dispatch('lamp:held-across', { type: 'label', text: 'new' });
    expect(await writers('lamp:held-across')).toEqual(['0:fa-9#1', '1:fa-9#2']);
    expect((await a.host.get('lamp:held-across'))?.stateKey).toBe('off'); // the held 'on' never happened
  });
});
