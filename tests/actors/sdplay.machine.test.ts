/** The sdplay machine (one playback of a camera's SD-card recordings) on XState's SimulatedClock. */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { SD_WAKING_REASON, sdPlayMachine } from '../../actors/machines/sdplay.machine.ts';
import type { SdPlayEvent } from '../../actors/machines/sdplay.types.ts';
import { INGEST_TIMEOUT_MS, VIEWER_CONNECT_TIMEOUT_MS } from '../../actors/machines/stream.machine.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';

const FROM = 1_796_000_000;
const TO = FROM + 3600;
const DEVICE = { playId: 'p1', deviceId: 'CAM', channel: 0 };

function start(snapshot?: unknown) {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const effects: Array<[string, unknown]> = [];
  const told: ActorSendParams[] = [];
  const machine = sdPlayMachine.provide({
    actions: {
      'actor.send': (_, p) => {
        told.push(p);
      },
      'sdplay.push': (_, p) => {
        effects.push(['play', p]);
      },
      'sdplay.ctrl': (_, p) => {
        effects.push(['ctrl', p]);
      },
      'sdplay.close': (_, p) => {
        effects.push(['close', p]);
      },
    },
  });
  const input = { ...DEVICE, from: FROM, to: TO, by: 'user:1' };
  const actor = createActor(machine, snapshot ? { snapshot: snapshot as never, input, clock } : { input, clock });
  actor.start();
  const send = (e: SdPlayEvent) => actor.send({ ...e, at: clock.now() } as SdPlayEvent);
  const state = () => JSON.stringify(actor.getSnapshot().value);
  return { clock, actor, send, state, effects, told, ctx: () => actor.getSnapshot().context };
}

/** A playback that is playing, its viewer connected over WSS. */
function playing() {
  const t = start();
  t.send({ type: 'sd.start' });
  t.send({ type: 'play.sent', ok: true });
  t.send({ type: 'viewer.connected', kind: 'ws' });
  t.send({ type: 'ingest.started' });
  t.effects.length = 0;
  return t;
}

describe('sdplay machine', () => {
  it('sends PlayVideo with the range, waits for the SRT publish, then plays', () => {
    const t = start();
    t.send({ type: 'sd.start' });
    expect(t.state()).toBe('"requested"');
    expect(t.effects).toEqual([['play', { ...DEVICE, from: FROM, to: TO }]]);
    t.send({ type: 'play.sent', ok: true });
    expect(t.state()).toBe('"awaitingIngest"');
    t.send({ type: 'ingest.started' });
    expect(t.state()).toBe('{"active":"playing"}');
    expect(t.ctx()).toMatchObject({ pos: FROM, speed: 1, reason: 'the camera is publishing' });
  });

  it('pauses and resumes through CtrlVideo, and refuses a pause while paused', () => {
    const t = playing();
    t.send({ type: 'sd.ctrl', op: 'pause' });
    expect(t.state()).toBe('{"active":"paused"}');
    expect(t.effects).toEqual([['ctrl', { ...DEVICE, op: 'pause' }]]);
    const before = t.actor.getSnapshot();
    t.send({ type: 'sd.ctrl', op: 'pause' });
    expect(t.actor.getSnapshot()).toBe(before);
    t.send({ type: 'sd.ctrl', op: 'resume' });
    expect(t.state()).toBe('{"active":"playing"}');
    expect(t.effects.at(-1)).toEqual(['ctrl', { ...DEVICE, op: 'resume' }]);
  });

  it('seeks inside the range only, and changes speed, keeping the position and speed asked for', () => {
    const t = playing();
    t.send({ type: 'sd.ctrl', op: 'seek', pos: FROM + 600 });
    expect(t.ctx().pos).toBe(FROM + 600);
    expect(t.effects).toEqual([['ctrl', { ...DEVICE, op: 'seek', pos: FROM + 600 }]]);
    t.send({ type: 'sd.ctrl', op: 'seek', pos: TO + 1 });
    t.send({ type: 'sd.ctrl', op: 'seek', pos: FROM - 1 });
    expect(t.ctx().pos).toBe(FROM + 600);
    expect(t.effects).toHaveLength(1);
    t.send({ type: 'sd.ctrl', op: 'speed', speed: 4 });
    expect(t.ctx().speed).toBe(4);
    expect(t.effects.at(-1)).toEqual(['ctrl', { ...DEVICE, op: 'speed', speed: 4 }]);
    t.send({ type: 'sd.ctrl', op: 'pause' });
    t.send({ type: 'sd.ctrl', op: 'seek', pos: FROM + 60 });
    expect(t.state()).toBe('{"active":"paused"}');
    expect(t.ctx().pos).toBe(FROM + 60);
  });

  it('stops on the viewer stop: CtrlVideo stop, then closed at the MDU and the pu told', () => {
    const t = playing();
    t.send({ type: 'sd.ctrl', op: 'stop' });
    expect(t.state()).toBe('"stopping"');
    expect(t.effects).toEqual([['ctrl', { ...DEVICE, op: 'stop' }]]);
    t.send({ type: 'ctrl.sent', ok: true });
    expect(t.state()).toBe('"stopped"');
    expect(t.effects.at(-1)).toEqual(['close', { playId: 'p1', reason: 'the viewer stopped' }]);
    expect(t.told.map((s) => s.event.type)).toEqual(['stream.stopping', 'stream.closed']);
    expect(t.told[1]).toEqual({ to: 'pu:CAM', event: { type: 'stream.closed', streamId: 'p1' } });
  });

  it('stops when the viewer leaves, and when no viewer connects within the connect timeout', () => {
    const a = playing();
    a.send({ type: 'viewer.leave', reason: 'WSS viewer closed (1001)' });
    expect(a.state()).toBe('"stopping"');
    expect(a.ctx().reason).toBe('the viewer left');
    const b = start();
    b.send({ type: 'sd.start' });
    b.send({ type: 'play.sent', ok: true });
    b.send({ type: 'ingest.started' });
    b.clock.increment(VIEWER_CONNECT_TIMEOUT_MS);
    expect(b.state()).toBe('"stopping"');
    expect(b.ctx().reason).toBe(`no viewer connected within ${VIEWER_CONNECT_TIMEOUT_MS / 1000} s`);
  });

  it('ends when the camera ends its push at the end of the range, and fails when it goes silent', () => {
    const a = playing();
    a.send({ type: 'ingest.ended', reason: 'closed' });
    expect(a.state()).toBe('"stopped"');
    expect(a.ctx().failure).toBeUndefined();
    const b = playing();
    b.send({ type: 'ingest.ended', reason: 'silent' });
    expect(b.state()).toBe('"failed"');
    expect(b.ctx().failure).toEqual({ reason: "the camera's push went silent" });
    expect(b.effects[0]).toEqual(['ctrl', { ...DEVICE, op: 'stop' }]);
  });

  it('fails with the reason: PlayVideo not sent, no publish in time, the device offline', () => {
    const a = start();
    a.send({ type: 'sd.start' });
    a.send({ type: 'play.sent', ok: false, msg: 'the device is not connected' });
    expect(a.state()).toBe('"failed"');
    expect(a.ctx().failure?.reason).toBe('PlayVideo could not be sent: the device is not connected');
    const b = start();
    b.send({ type: 'sd.start' });
    b.send({ type: 'play.sent', ok: true });
    b.clock.increment(INGEST_TIMEOUT_MS);
    expect(b.state()).toBe('"failed"');
    expect(b.ctx().failure?.reason).toBe(`no SRT publish within ${INGEST_TIMEOUT_MS / 1000} s of PlayVideo`);
    const c = playing();
    c.send({ type: 'pu.offline', reason: 'three missed heartbeats' });
    expect(c.state()).toBe('"failed"');
    expect(c.ctx().failure?.reason).toBe('the device went offline: three missed heartbeats');
  });

  it('keeps the camera reports it is given, without changing state', () => {
    const t = playing();
    t.send({ type: 'sd.report', report: { status: 'playing', pos: FROM + 12, speed: 1, at: 5 } });
    expect(t.state()).toBe('{"active":"playing"}');
    expect(t.ctx().report).toEqual({ status: 'playing', pos: FROM + 12, speed: 1, at: 5 });
  });

  it('is replaced by a newer playback of its channel: closed without a CtrlVideo stop that could stop the newer one', () => {
    const t = playing();
    t.send({ type: 'sd.replaced' });
    expect(t.state()).toBe('"stopped"');
    expect(t.ctx().reason).toBe('another playback of this channel began');
    expect(t.effects).toEqual([['close', { playId: 'p1', reason: 'another playback of this channel began' }]]);
  });

  it('survives persist → JSON → restore in every phase, paused included', () => {
    const t = playing();
    t.send({ type: 'sd.ctrl', op: 'seek', pos: FROM + 300 });
    t.send({ type: 'sd.ctrl', op: 'pause' });
    const json = JSON.parse(JSON.stringify(t.actor.getPersistedSnapshot()));
    const r = start(json);
    expect(r.state()).toBe('{"active":"paused"}');
    expect(r.ctx().pos).toBe(FROM + 300);
    r.send({ type: 'sd.ctrl', op: 'resume' });
    expect(r.state()).toBe('{"active":"playing"}');
  });
});

describe('sdplay machine: a camera asleep (issue #22 point 3)', () => {
  it('waits for its camera to wake, then sends PlayVideo', () => {
    const t = start();
    t.send({ type: 'sd.wait' });
    expect(t.state()).toBe('"waking"');
    expect(t.ctx().reason).toBe(SD_WAKING_REASON);
    expect(t.effects).toEqual([]);
    t.send({ type: 'pu.online' });
    expect(t.state()).toBe('"requested"');
    expect(t.effects).toEqual([['play', { ...DEVICE, from: FROM, to: TO }]]);
  });

  it('fails with the wake as its reason when the camera does not wake', () => {
    const t = start();
    t.send({ type: 'sd.wait' });
    t.send({ type: 'pu.offline', reason: 'did not wake within 20 s of TOWAKEUP: asleep' });
    expect(t.state()).toBe('"failed"');
    expect(t.ctx().reason).toBe('the camera did not wake: did not wake within 20 s of TOWAKEUP: asleep');
    expect(t.effects.map(([k]) => k)).toEqual(['close']);
  });

  it('ends without a CtrlVideo when its viewer stops before the camera woke', () => {
    const t = start();
    t.send({ type: 'sd.wait' });
    t.send({ type: 'sd.ctrl', op: 'stop' });
    expect(t.state()).toBe('"stopped"');
    expect(t.effects.map(([k]) => k)).toEqual(['close']);
  });
});
