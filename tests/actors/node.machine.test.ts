/** The node machine's lifecycle on a simulated clock (docs/cluster.md: membership, drain and leave). */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { DRAIN_BATCH, DRAIN_BATCH_INTERVAL_MS, nodeMachine, type NodeEvent } from '../../actors/machines/node.machine.ts';

const T0 = Date.UTC(2026, 0, 1);
const BASE = 'https://10.0.0.1:8443';

function start(epoch = 1) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects: Array<{ type: string; params?: unknown }> = [];
  const record = (type: string) => (_: unknown, params: unknown) => {
    effects.push(params === undefined ? { type } : { type, params });
  };
  const machine = nodeMachine.provide({
    actions: { 'node.draining': record('node.draining'), 'node.reschedule': record('node.reschedule'), 'node.exit': record('node.exit') },
  });
  const actor = createActor(machine, { input: { epoch, baseUrl: BASE, at: T0 }, clock });
  actor.start();
  const send = (e: NodeEvent) => actor.send({ ...e, at: clock.now() } as NodeEvent);
  const state = () => actor.getSnapshot().value as string;
  const ctx = () => actor.getSnapshot().context;
  const types = () => effects.map((e) => e.type);
  return { clock, actor, send, state, ctx, effects, types };
}

/** A node that joined and started. */
function active(epoch = 1) {
  const t = start(epoch);
  t.send({ type: 'node.started' });
  return t;
}

describe('node machine: membership', () => {
  it('goes joining → active when membership says it started', () => {
    const t = start();
    expect(t.state()).toBe('joining');
    expect(t.ctx()).toMatchObject({ epoch: 1, baseUrl: BASE, joinedAt: T0, since: T0, drain: null });
    t.clock.increment(300);
    t.send({ type: 'node.started' });
    expect(t.state()).toBe('active');
    expect(t.ctx()).toMatchObject({ since: T0 + 300, reason: 'started: serving' });
  });

  it('is declared dead from any live state, but only for its own epoch', () => {
    for (const setupState of ['joining', 'active', 'draining'] as const) {
      const t = start(3);
      if (setupState !== 'joining') t.send({ type: 'node.started' });
      if (setupState === 'draining') t.send({ type: 'node.drain' });
      expect(t.state()).toBe(setupState);
      t.send({ type: 'node.dead', epoch: 2 });
      expect(t.state()).toBe(setupState);
      t.send({ type: 'node.dead', epoch: 3 });
      expect(t.state()).toBe('dead');
      expect(t.ctx().reason).toBe('declared dead: its lease ran out');
    }
  });

  it('is gone when it leaves, and its entry lets the process stop', () => {
    const t = active();
    t.send({ type: 'node.left' });
    expect(t.state()).toBe('gone');
    expect(t.types()).toEqual(['node.exit']);
  });

  it('starts a new incarnation on a join with a newer epoch, from any state, dead and gone included', () => {
    const t = active(1);
    t.send({ type: 'node.dead', epoch: 1 });
    expect(t.state()).toBe('dead');
    t.clock.increment(60_000);
    t.send({ type: 'node.joined', epoch: 2, baseUrl: 'https://10.0.0.1:9443' });
    expect(t.state()).toBe('joining');
    expect(t.ctx()).toMatchObject({ epoch: 2, baseUrl: 'https://10.0.0.1:9443', joinedAt: T0 + 60_000, drain: null });
    t.send({ type: 'node.started' });
    t.send({ type: 'node.joined', epoch: 3, baseUrl: BASE });
    expect(t.state()).toBe('joining');
    expect(t.ctx().epoch).toBe(3);
  });

  it('ignores a repeated or stale join', () => {
    const t = active(5);
    t.send({ type: 'node.joined', epoch: 5, baseUrl: BASE });
    t.send({ type: 'node.joined', epoch: 4, baseUrl: BASE });
    expect(t.state()).toBe('active');
    expect(t.ctx().epoch).toBe(5);
  });

  it('ignores a drain report and a start where they mean nothing', () => {
    const t = start();
    t.send({ type: 'node.rescheduled', remaining: 0 });
    expect(t.state()).toBe('joining');
    t.send({ type: 'node.started' });
    t.send({ type: 'node.started' });
    t.send({ type: 'node.rescheduled', remaining: 0 });
    expect(t.state()).toBe('active');
    expect(t.effects).toEqual([]);
  });
});

describe('node machine: drain', () => {
  it('marks its row draining at once, then reschedules a batch every interval until no device is left', () => {
    const t = active();
    t.clock.increment(1_000);
    t.send({ type: 'node.drain' });
    expect(t.state()).toBe('draining');
    expect(t.ctx().drain).toEqual({ startedAt: T0 + 1_000, batches: 0, remaining: null });
    expect(t.types()).toEqual(['node.draining']);
    // The first batch waits one interval: other nodes' placement caches see the node draining first.
    t.clock.increment(DRAIN_BATCH_INTERVAL_MS - 1);
    expect(t.types()).toEqual(['node.draining']);
    t.clock.increment(1);
    expect(t.effects.at(-1)).toEqual({ type: 'node.reschedule', params: { batch: DRAIN_BATCH } });
    expect(t.ctx().drain?.batches).toBe(1);
    t.send({ type: 'node.rescheduled', remaining: 450 });
    expect(t.state()).toBe('draining');
    expect(t.ctx().drain?.remaining).toBe(450);
    t.clock.increment(DRAIN_BATCH_INTERVAL_MS);
    t.send({ type: 'node.rescheduled', remaining: 250 });
    t.clock.increment(DRAIN_BATCH_INTERVAL_MS);
    expect(t.types().filter((x) => x === 'node.reschedule').length).toBe(3);
    t.send({ type: 'node.rescheduled', remaining: 0 });
    expect(t.state()).toBe('gone');
    expect(t.ctx()).toMatchObject({ reason: 'drained: no device is left', drain: { batches: 3, remaining: 0 } });
    expect(t.types().at(-1)).toBe('node.exit');
    // Gone: no more batches.
    for (let i = 0; i < 10; i++) t.clock.increment(DRAIN_BATCH_INTERVAL_MS);
    expect(t.types().filter((x) => x === 'node.reschedule').length).toBe(3);
  });

  it('keeps sending batches when a report is lost', () => {
    const t = active();
    t.send({ type: 'node.drain' });
    for (let i = 0; i < 5; i++) t.clock.increment(DRAIN_BATCH_INTERVAL_MS);
    expect(t.types().filter((x) => x === 'node.reschedule').length).toBe(5);
    expect(t.ctx().drain).toMatchObject({ batches: 5, remaining: null });
  });

  it('can be asked to drain while still joining, and takes a second drain request as the first', () => {
    const t = start();
    t.send({ type: 'node.drain' });
    expect(t.state()).toBe('draining');
    t.clock.increment(DRAIN_BATCH_INTERVAL_MS / 2);
    t.send({ type: 'node.drain' });
    t.clock.increment(DRAIN_BATCH_INTERVAL_MS / 2);
    // The second request neither restarted the timer nor marked the row again.
    expect(t.types()).toEqual(['node.draining', 'node.reschedule']);
  });

  it('is never drained once dead or gone', () => {
    const t = active();
    t.send({ type: 'node.dead', epoch: 1 });
    t.send({ type: 'node.drain' });
    expect(t.state()).toBe('dead');
    for (let i = 0; i < 10; i++) t.clock.increment(DRAIN_BATCH_INTERVAL_MS);
    expect(t.effects).toEqual([]);
  });

  it('stops draining when a new incarnation joins', () => {
    const t = active();
    t.send({ type: 'node.drain' });
    t.send({ type: 'node.joined', epoch: 2, baseUrl: BASE });
    expect(t.state()).toBe('joining');
    expect(t.ctx().drain).toBeNull();
    for (let i = 0; i < 10; i++) t.clock.increment(DRAIN_BATCH_INTERVAL_MS);
    expect(t.types()).toEqual(['node.draining']);
  });
});
