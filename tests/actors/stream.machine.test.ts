import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { DEFAULT_LINGER_MS, INGEST_TIMEOUT_MS, VIEWER_CONNECT_TIMEOUT_MS, streamMachine } from '../../actors/machines/stream.machine.ts';
import type { StreamEvent } from '../../actors/machines/stream.types.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';

function start() {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const effects: Array<[string, unknown]> = [];
  const told: ActorSendParams[] = [];
  const machine = streamMachine.provide({
    actions: {
      'actor.send': (_, p) => {
        told.push(p);
      },
      'live.push': (_, p) => {
        effects.push(['push', p]);
      },
      'live.stop': (_, p) => {
        effects.push(['stop', p]);
      },
      'live.close': (_, p) => {
        effects.push(['close', p]);
      },
    },
  });
  const actor = createActor(machine, { input: { streamId: 's1', deviceId: 'CAM', channel: 0, maxBitrateKbps: 2000, lingerMs: DEFAULT_LINGER_MS }, clock });
  actor.start();
  const send = (e: StreamEvent) => actor.send({ ...e, at: clock.now() } as StreamEvent);
  const state = () => JSON.stringify(actor.getSnapshot().value);
  return { clock, actor, send, state, effects, told, ctx: () => actor.getSnapshot().context };
}

describe('stream machine', () => {
  it('starts on the first viewer: PushLive, then live on the SRT publish', () => {
    const t = start();
    t.send({ type: 'viewer.join', viewerId: 'v1', by: 'alice' });
    expect(t.state()).toBe('"pushRequested"');
    expect(t.effects).toEqual([['push', { streamId: 's1', deviceId: 'CAM', channel: 0, maxBitrateKbps: 2000 }]]);
    t.send({ type: 'push.result', ok: true });
    expect(t.state()).toBe('"awaitingIngest"');
    t.send({ type: 'ingest.started' });
    expect(t.state()).toBe('{"live":"watching"}');
  });

  it('lingers after the last viewer leaves, and a viewer joining meanwhile cancels the stop', () => {
    const t = start();
    t.send({ type: 'viewer.join', viewerId: 'v1' });
    t.send({ type: 'push.result', ok: true });
    t.send({ type: 'ingest.started' });
    t.send({ type: 'viewer.connected', viewerId: 'v1', kind: 'ws' });
    t.send({ type: 'viewer.leave', viewerId: 'v1', reason: 'closed' });
    expect(t.state()).toBe('{"live":"lingering"}');
    t.clock.increment(DEFAULT_LINGER_MS - 1);
    t.send({ type: 'viewer.join', viewerId: 'v2' });
    expect(t.state()).toBe('{"live":"watching"}');
    t.clock.increment(DEFAULT_LINGER_MS);
    expect(t.state()).toBe('{"live":"watching"}');
    t.send({ type: 'viewer.connected', viewerId: 'v2', kind: 'srt' });
    t.send({ type: 'viewer.leave', viewerId: 'v2', reason: 'closed' });
    t.clock.increment(DEFAULT_LINGER_MS);
    expect(t.state()).toBe('"stopping"');
    expect(t.effects.map((e) => e[0])).toEqual(['push', 'stop']);
    t.send({ type: 'stop.result', ok: true });
    expect(t.state()).toBe('"stopped"');
    expect(t.effects.at(-1)).toEqual(['close', { streamId: 's1', reason: 'no viewer since the linger began' }]);
  });

  it('drops a viewer that never connects', () => {
    const t = start();
    t.send({ type: 'viewer.join', viewerId: 'v1' });
    t.send({ type: 'push.result', ok: true });
    t.send({ type: 'ingest.started' });
    t.clock.increment(VIEWER_CONNECT_TIMEOUT_MS);
    expect(t.ctx().viewers).toEqual({});
    expect(t.state()).toBe('{"live":"lingering"}');
  });

  for (const [code, words] of [
    [11, 'the stream is too large (11)'],
    [12, 'parameter error (12)'],
    [101, 'PushLive is not supported (101)'],
    [500, 'device error (500)'],
  ] as const) {
    it(`fails with the reason on PushLive error ${code}`, () => {
      const t = start();
      t.send({ type: 'viewer.join', viewerId: 'v1' });
      t.send({ type: 'push.result', ok: false, code, msg: 'nope' });
      expect(t.state()).toBe('"failed"');
      expect(t.ctx().failure).toEqual({ reason: `PushLive failed: ${words}: nope`, code });
      expect(t.effects.map((e) => e[0])).toEqual(['push', 'close']);
    });
  }

  it('fails when no ingest arrives within 10 s, and tells the device to stop', () => {
    const t = start();
    t.send({ type: 'viewer.join', viewerId: 'v1' });
    t.send({ type: 'push.result', ok: true });
    t.clock.increment(INGEST_TIMEOUT_MS);
    expect(t.state()).toBe('"failed"');
    expect(t.ctx().reason).toBe('no SRT publish within 10 s of PushLive');
    expect(t.effects.map((e) => e[0])).toEqual(['push', 'stop', 'close']);
  });

  it('fails when the publisher goes silent, and when the PU goes offline', () => {
    const a = start();
    a.send({ type: 'viewer.join', viewerId: 'v1' });
    a.send({ type: 'ingest.started' }); // publishing before PushLive's answer
    a.send({ type: 'ingest.ended', reason: 'silent' });
    expect(a.ctx().reason).toBe('the publisher went silent');
    const b = start();
    b.send({ type: 'viewer.join', viewerId: 'v1' });
    b.send({ type: 'push.result', ok: true });
    b.send({ type: 'ingest.started' });
    b.send({ type: 'pu.offline', reason: 'no message for 3 heartbeat intervals' });
    expect(b.state()).toBe('"failed"');
    expect(b.ctx().reason).toBe('the device went offline: no message for 3 heartbeat intervals');
  });

  it('tells its pu when it stops taking viewers and when it ends, and hands back a join that came too late', () => {
    const t = start();
    t.send({ type: 'viewer.join', viewerId: 'v1' });
    t.send({ type: 'push.result', ok: true });
    t.send({ type: 'ingest.started' });
    t.send({ type: 'viewer.leave', viewerId: 'v1', reason: 'left' });
    t.clock.increment(DEFAULT_LINGER_MS);
    expect(t.state()).toBe('"stopping"');
    expect(t.told).toEqual([{ to: 'pu:CAM', event: { type: 'stream.stopping', streamId: 's1' } }]);
    const next = { type: 'live.watch' as const, viewerId: 'v2', channel: 0, streamId: 's2', maxBitrateKbps: 2000, lingerMs: DEFAULT_LINGER_MS };
    t.send({ type: 'viewer.join', viewerId: 'v2', next });
    expect(t.told[1]).toEqual({ to: 'pu:CAM', event: next });
    t.send({ type: 'viewer.join', viewerId: 'v3', next: { ...next, streamId: 's1' } }); // names this very stream: dropped, never a loop
    expect(t.told).toHaveLength(2);
    expect(t.ctx().viewers).toEqual({});
    t.send({ type: 'stop.result', ok: true });
    expect(t.told[2]).toEqual({ to: 'pu:CAM', event: { type: 'stream.closed', streamId: 's1' } });
  });
});
