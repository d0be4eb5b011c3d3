/** A stream of a camera that may sleep keeps it awake while live, lingering included, and stops after (issue #22). */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { streamMachine } from '../../actors/machines/stream.machine.ts';
import type { StreamEvent, StreamInput } from '../../actors/machines/stream.types.ts';

const LINGER_MS = 30_000;
const KEEP_AWAKE_S = 60;

function start(extra: Partial<StreamInput> = {}) {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const keepAwake: Array<{ at: number; params: unknown }> = [];
  const machine = streamMachine.provide({
    actions: {
      'actor.send': () => {},
      'live.push': () => {},
      'live.stop': () => {},
      'live.close': () => {},
      'live.keepAwake': (_, params) => {
        keepAwake.push({ at: clock.now(), params });
      },
    },
  });
  const input = { streamId: 's1', deviceId: 'CAM', channel: 0, maxBitrateKbps: 2000, lingerMs: LINGER_MS, ...extra };
  const actor = createActor(machine, { input, clock });
  actor.start();
  const send = (e: StreamEvent) => actor.send({ ...e, at: clock.now() } as StreamEvent);
  send({ type: 'viewer.join', viewerId: 'v1' });
  send({ type: 'push.result', ok: true });
  /** Time passes second by second (a timer re-armed while it fires is only seen by a clock that steps). */
  const pass = (ms: number) => {
    for (let s = 0; s < ms; s += 1000) clock.increment(Math.min(1000, ms - s));
  };
  return { clock, pass, send, keepAwake, t0: clock.now(), state: () => JSON.stringify(actor.getSnapshot().value) };
}

describe('stream machine: KeepAwaken', () => {
  it('sends KeepAwaken when it goes live and every half of its `expired` after, through the linger, then stops', () => {
    const t = start({ keepAwakeS: KEEP_AWAKE_S });
    expect(t.keepAwake).toEqual([]); // not before the camera publishes
    t.send({ type: 'ingest.started' });
    t.send({ type: 'viewer.connected', viewerId: 'v1', kind: 'ws' });
    expect(t.keepAwake).toEqual([{ at: t.t0, params: { deviceId: 'CAM', channel: 0, expiredS: KEEP_AWAKE_S } }]);
    t.pass(((KEEP_AWAKE_S * 1000) / 2) * 3);
    expect(t.keepAwake.map((k) => k.at - t.t0)).toEqual([0, 30_000, 60_000, 90_000]);
    t.pass(10_000);
    t.send({ type: 'viewer.leave', viewerId: 'v1', reason: 'closed' });
    expect(t.state()).toBe('{"live":"lingering"}');
    t.pass(LINGER_MS - 1);
    expect(t.keepAwake.map((k) => k.at - t.t0).at(-1)).toBe(120_000); // still kept awake while it lingers
    t.pass(1);
    expect(t.state()).toBe('"stopping"');
    const sent = t.keepAwake.length;
    t.pass(10 * KEEP_AWAKE_S * 1000);
    expect(t.keepAwake.length).toBe(sent); // the camera may sleep again
  });

  it('sends none for a camera that does not sleep', () => {
    const t = start();
    t.send({ type: 'ingest.started' });
    t.pass(5 * KEEP_AWAKE_S * 1000);
    expect(t.keepAwake).toEqual([]);
  });
});
