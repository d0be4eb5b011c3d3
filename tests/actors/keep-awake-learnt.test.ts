/**
 * A camera whose GetCap (asked at login) says it runs on a battery after a record session or a stream opened: the pu
 * tells the open sessions to keep it awake from then on, and the stream starts its KeepAwaken at once (issue #22
 * point 3). On XState's simulated clock.
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { loginQueryId } from '../../actors/machines/pu.capabilities.ts';
import { KEEP_AWAKE_S } from '../../actors/machines/pu.links.ts';
import { streamMachine } from '../../actors/machines/stream.machine.ts';
import type { StreamEvent } from '../../actors/machines/stream.types.ts';
import { Capabilities } from '../../protocol/index.ts';
import { start } from './pu.harness.ts';

const battery = Capabilities.parse({ battery: true });
const mains = Capabilities.parse({ battery: false });
const REC = 'rec:s1';
const KEEP_AWAKE = { type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S };

describe('pu machine: a battery learnt after sessions opened', () => {
  it('tells the open record session and stream to keep the camera awake, once', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    t.send({ type: 'live.watch', viewerId: 'v1', channel: 0, streamId: 'aaaa', maxBitrateKbps: 2000, lingerMs: 30_000 });
    expect(t.told.filter((x) => x.event.type === 'pu.keepAwake')).toEqual([]); // nothing known yet: a mains camera
    t.send({ type: 'cmd.result', reqId: loginQueryId('CAM1', 'c1', 'GetCap'), name: 'GetCap', ok: true, resp: battery });
    expect(t.ctx().capabilities).toEqual(battery);
    const told = t.told.filter((x) => x.event.type === 'pu.keepAwake');
    expect(told.map((x) => x.to).sort()).toEqual([REC, 'stream:aaaa'].sort());
    expect(told.every((x) => JSON.stringify(x.event) === JSON.stringify(KEEP_AWAKE))).toBe(true);
    // The next login's GetCap says the same: the sessions were told already.
    t.login('c2');
    t.send({ type: 'cmd.result', reqId: loginQueryId('CAM1', 'c2', 'GetCap'), name: 'GetCap', ok: true, resp: battery });
    expect(t.told.filter((x) => x.event.type === 'pu.keepAwake').length).toBe(2);
  });

  it('tells nobody when GetCap says the camera is on mains', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    t.send({ type: 'cmd.result', reqId: loginQueryId('CAM1', 'c1', 'GetCap'), name: 'GetCap', ok: true, resp: mains });
    expect(t.told.filter((x) => x.event.type === 'pu.keepAwake')).toEqual([]);
  });
});

describe('stream machine: told to keep its camera awake', () => {
  function stream() {
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2026, 0, 1));
    const sent: number[] = [];
    const machine = streamMachine.provide({
      actions: {
        'actor.send': () => {},
        'live.push': () => {},
        'live.stop': () => {},
        'live.close': () => {},
        'live.keepAwake': () => void sent.push(clock.now()),
      },
    });
    const actor = createActor(machine, { input: { streamId: 's1', deviceId: 'CAM', channel: 0, maxBitrateKbps: 2000, lingerMs: 30_000 }, clock });
    actor.start();
    const send = (e: StreamEvent) => actor.send({ ...e, at: clock.now() } as StreamEvent);
    const pass = (ms: number) => {
      for (let s = 0; s < ms; s += 1000) clock.increment(Math.min(1000, ms - s));
    };
    send({ type: 'viewer.join', viewerId: 'v1' });
    send({ type: 'push.result', ok: true });
    return { clock, send, pass, sent, t0: clock.now() };
  }

  it('starts KeepAwaken at once when live, and keeps one timer', () => {
    const t = stream();
    t.send({ type: 'ingest.started' });
    t.send({ type: 'viewer.connected', viewerId: 'v1', kind: 'ws' });
    t.pass(10_000);
    expect(t.sent).toEqual([]);
    t.send({ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S });
    t.send({ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S }); // told twice: still one KeepAwaken every half `expired`
    t.pass(KEEP_AWAKE_S * 1000);
    expect(t.sent.map((at) => at - t.t0)).toEqual([10_000, 10_000, 40_000, 70_000]);
  });

  it('keeps what it was told before going live, and starts on going live', () => {
    const t = stream();
    t.send({ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S });
    expect(t.sent).toEqual([]);
    t.pass(2_000);
    t.send({ type: 'ingest.started' });
    expect(t.sent.map((at) => at - t.t0)).toEqual([2_000]);
  });
});
