/**
 * Segment and recording actors in the durable host: their timers survive a restart and fire at
 * their deadlines, their removal effect is retried until it reports back, and their logs replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost, type EffectCall } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { readHistory } from '../../actors/host/store.ts';
import { sql } from 'drizzle-orm';
import { recordingV1 } from '../../actors/machines/recording.machine.ts';
import { REMOVE_RETRY_MS, segmentV1, type SegmentInput } from '../../actors/machines/segment.machine.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
}, 30_000);
afterAll(async () => {
  await t?.cleanup();
});

const T0 = Date.UTC(2026, 0, 1);
const TTL = 20_000;

function host(clock: SimulatedClock, calls: EffectCall[], answer = true) {
  const h: ActorHost = new ActorHost({
    db: t.db,
    machines: [segmentV1, recordingV1],
    clock,
    effects: {
      'segment.remove': (c) => {
        calls.push(c);
        if (answer) h.send(c.actorId, { type: 'segment.removed' });
      },
    },
  });
  return h;
}

const input = (name: string): SegmentInput => ({
  recordingId: 'rec:H',
  sessionId: 'H',
  deviceId: 'CAM',
  channel: 0,
  name: `${name}.ts`,
  key: `CAM/0/2026-01-01/H_${name}.ts`,
  start: T0 / 1000,
  duration: 2,
  size: 10,
  discontinuity: false,
  createdAt: T0,
  uploadTtlMs: TTL,
  confirmTtlMs: TTL,
  retentionMs: 3_600_000,
});

describe('segment actors in the host', () => {
  it('expire at their deadline after a restart, with the removal stamped at that time', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const a = host(clock, []);
    await a.create('segment', 'seg:H:1-aaaaaa', input('1-aaaaaa') as never, { deviceId: 'CAM', parentId: 'rec:H' });
    await a.dispatch('seg:H:1-aaaaaa', { type: 'segment.uploaded', size: 10 });
    await a.stop(); // the process is gone; the timer is in the store
    const calls: EffectCall[] = [];
    const c2 = new SimulatedClock();
    c2.set(T0 + TTL - 100);
    const b = host(c2, calls);
    await b.start();
    c2.increment(99);
    await Bun.sleep(20);
    expect((await b.get('seg:H:1-aaaaaa'))!.stateKey).toBe('uploaded');
    c2.increment(1);
    await Bun.sleep(50);
    await b.flush();
    const v = await b.get('seg:H:1-aaaaaa');
    expect(v!.stateKey).toBe('expired');
    expect(calls.map((c) => [c.type, c.params])).toEqual([['segment.remove', { key: 'CAM/0/2026-01-01/H_1-aaaaaa.ts', why: 'expired' }]]);
    const h = await readHistory(t.db, 'seg:H:1-aaaaaa', -1, 10);
    expect(h.map((e) => e.value)).toEqual(['created', 'uploaded', 'removing', 'expired']);
    expect(h[2]!.at).toBe(T0 + TTL);
    expect(h[2]!.context.removal).toEqual({ why: 'expired', at: T0 + TTL, attempts: 1 });
    await b.stop();
  });

  it('retry a removal whose effect was lost (the process died before it ran)', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const lost: EffectCall[] = [];
    const a = host(clock, lost, false); // the effect "runs" but never reports back
    await a.create('segment', 'seg:H:2-bbbbbb', input('2-bbbbbb') as never);
    await a.dispatch('seg:H:2-bbbbbb', { type: 'segment.fail' });
    await a.stop();
    const calls: EffectCall[] = [];
    const c2 = new SimulatedClock();
    c2.set(T0 + REMOVE_RETRY_MS);
    const b = host(c2, calls);
    await b.start();
    await Bun.sleep(50);
    await b.flush();
    expect((await b.get('seg:H:2-bbbbbb'))!.stateKey).toBe('failed');
    expect(calls.length).toBe(1);
    expect((await b.get('seg:H:2-bbbbbb'))!.context.removal).toMatchObject({ why: 'failed', attempts: 2 });
    await b.stop();
  });

  it('get their playback-index row from the commit of their confirmation, and only then', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const a = host(clock, []);
    const indexed = async (id: string) =>
      t.db.rows<Record<string, unknown>>(sql`SELECT id, recording_id, device_id, channel, name, start, duration,
      size::int AS size, discontinuity, file_key, (extract(epoch from confirmed_at) * 1000)::float8 AS confirmed_at FROM recording_segments WHERE id = ${id}`);
    await a.create('segment', 'seg:H:3-cccccc', { ...input('3-cccccc'), discontinuity: true } as never, { deviceId: 'CAM', parentId: 'rec:H' });
    await a.dispatch('seg:H:3-cccccc', { type: 'segment.uploaded', size: 10 });
    expect(await indexed('seg:H:3-cccccc')).toEqual([]); // uploaded, not confirmed: not playable
    clock.increment(1500);
    const r = await a.dispatch('seg:H:3-cccccc', { type: 'segment.confirm' });
    expect(r.stateKey).toBe('confirmed');
    // Durable when the dispatch resolves: the row came with the confirm's own commit.
    expect(await indexed('seg:H:3-cccccc')).toEqual([
      {
        id: 'seg:H:3-cccccc',
        recording_id: 'rec:H',
        device_id: 'CAM',
        channel: 0,
        name: '3-cccccc.ts',
        start: T0 / 1000,
        duration: 2,
        size: 10,
        discontinuity: true,
        file_key: 'CAM/0/2026-01-01/H_3-cccccc.ts',
        confirmed_at: T0 + 1500,
      },
    ]);
    // Staying confirmed (a retention change re-enters the state) writes nothing more and fails nothing.
    await a.dispatch('seg:H:3-cccccc', { type: 'retention.set', retentionMs: 7_200_000 });
    expect((await indexed('seg:H:3-cccccc')).length).toBe(1);
    // A segment removed before its confirmation never gets a row, its late confirm refused.
    await a.create('segment', 'seg:H:4-dddddd', input('4-dddddd') as never, { deviceId: 'CAM', parentId: 'rec:H' });
    await a.dispatch('seg:H:4-dddddd', { type: 'segment.uploaded', size: 10 });
    await a.dispatch('seg:H:4-dddddd', { type: 'segment.fail' });
    expect((await a.dispatch('seg:H:4-dddddd', { type: 'segment.confirm' })).accepted).toBe(false);
    expect(await indexed('seg:H:4-dddddd')).toEqual([]);
    await a.stop();
  });

  it('replay from their logs to the recorded states', async () => {
    const registry = new MachineRegistry([segmentV1, recordingV1]);
    for (const id of ['seg:H:1-aaaaaa', 'seg:H:2-bbbbbb', 'seg:H:3-cccccc', 'seg:H:4-dddddd'])
      expect(await replayActor(t.db, registry, id)).toMatchObject({ ok: true, mismatches: [] });
  });
});
