/**
 * The sdplay actor in the durable host: its timers (the camera's publish, the viewer's connection)
 * survive a restart and fire at their deadlines, its effects run after their commits, and its log
 * replays to the recorded states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost, type EffectCall } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { readHistory } from '../../actors/host/store.ts';
import { sdPlayV1 } from '../../actors/machines/sdplay.machine.ts';
import { INGEST_TIMEOUT_MS } from '../../actors/machines/stream.machine.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
}, 30_000);
afterAll(async () => {
  await t?.cleanup();
});

const T0 = Date.UTC(2026, 0, 1);
const FROM = 1_796_000_000;
const ID = 'stream:00112233aabbccdd';
const input = { playId: '00112233aabbccdd', deviceId: 'CAM', channel: 0, from: FROM, to: FROM + 600, by: 'user:1' };

function host(clock: SimulatedClock, calls: EffectCall[]) {
  const h: ActorHost = new ActorHost({
    db: t.db,
    machines: [sdPlayV1],
    clock,
    effects: {
      'sdplay.push': (c) => {
        calls.push(c);
        h.send(c.actorId, { type: 'play.sent', ok: true });
      },
      'sdplay.ctrl': (c) => {
        calls.push(c);
        h.send(c.actorId, { type: 'ctrl.sent', ok: true });
      },
      'sdplay.close': (c) => void calls.push(c),
    },
  });
  return h;
}

describe('sdplay actors in the host', () => {
  it('fail at the publish deadline after a restart, telling the camera to stop, and replay', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const first: EffectCall[] = [];
    const a = host(clock, first);
    await a.create('sdplay', ID, input as never, { deviceId: 'CAM' });
    await a.dispatch(ID, { type: 'sd.start' });
    for (let i = 0; i < 50 && (await a.get(ID))!.stateKey !== 'awaitingIngest'; i++) await Bun.sleep(10);
    expect((await a.get(ID))!.stateKey).toBe('awaitingIngest');
    expect(first.map((c) => [c.type, c.params])).toEqual([['sdplay.push', { playId: input.playId, deviceId: 'CAM', channel: 0, from: FROM, to: FROM + 600 }]]);
    await a.stop(); // the process is gone; the timers are in the store

    const calls: EffectCall[] = [];
    const c2 = new SimulatedClock();
    c2.set(T0 + INGEST_TIMEOUT_MS - 100);
    const b = host(c2, calls);
    await b.start();
    c2.increment(99);
    await Bun.sleep(20);
    expect((await b.get(ID))!.stateKey).toBe('awaitingIngest');
    c2.increment(1);
    await Bun.sleep(50);
    await b.flush();
    const v = await b.get(ID);
    expect(v!.stateKey).toBe('failed');
    expect(v!.context.failure).toEqual({ reason: `no SRT publish within ${INGEST_TIMEOUT_MS / 1000} s of PlayVideo` });
    expect(calls.map((c) => c.type)).toEqual(['sdplay.ctrl', 'sdplay.close']);
    expect(calls[0]!.params).toMatchObject({ op: 'stop' });
    const h = await readHistory(t.db, ID, -1, 10);
    expect(h.map((e) => e.value)).toEqual(['idle', 'requested', 'awaitingIngest', 'failed']);
    expect(h.at(-1)!.at).toBe(T0 + INGEST_TIMEOUT_MS);
    await b.stop();
    expect(await replayActor(t.db, new MachineRegistry([sdPlayV1]), ID)).toMatchObject({ ok: true, mismatches: [] });
  });
});
