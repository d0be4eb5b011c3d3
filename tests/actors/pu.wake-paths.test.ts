/**
 * Start recording and SD-card playback wake a sleeping camera (issue #22 point 3): the pu sends TOWAKEUP, the record
 * session and the playback wait for the login in their own `waking` state, and are told when it comes (`pu.online`) or
 * when the wake fails (`pu.offline` with the wake's reason, entering `hibernating` again). A record session of a camera
 * that may sleep is told to keep it awake. On XState's simulated clock.
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';
import {
  PU_WAKING_REASON,
  REWAKE_FOR_RECORDING_REASON,
  WAKE_TIMEOUT_DEFAULT_MS,
  WAKING_FOR_RECORDING_REASON,
  WAKING_FOR_SD_PLAY_REASON,
  WOKEN_REASON,
  wakeFailedReason,
} from '../../actors/machines/pu.hibernation.ts';
import { KEEP_AWAKE_S } from '../../actors/machines/pu.links.ts';
import { HIBERNATION_OFFLINE_AFTER_S } from '../../protocol/hibernation.ts';

const FROM = 1_796_000_000;
const OFFLINE_MS = HIBERNATION_OFFLINE_AFTER_S * 1000;
const REC = 'rec:s1';

/** A pu asleep (its Vd closed while its hibernation link is open), recording what it tells other actors and wakes. */
function asleep() {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const told: ActorSendParams[] = [];
  const wakes: unknown[] = [];
  const machine = puMachine.provide({
    actions: { 'actor.send': (_, p) => void told.push(p), 'vd.send': () => {}, 'hibernation.wake': (_, p) => void wakes.push(p) },
  });
  const actor = createActor(machine, { input: { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0] }, clock });
  actor.start();
  const send = (e: PuEvent) => actor.send({ ...e, at: clock.now() } as PuEvent);
  const login = (connId: string) => send({ type: 'vd.connected', connId, reconnect: true, hardwareModel: 'HW1', firmwareModel: 'FW1' });
  login('c1');
  send({ type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS });
  send({ type: 'vd.disconnected', connId: 'c1', code: 1000, reason: 'going to sleep' });
  const pass = (ms: number) => {
    for (let s = 0; s < ms; s += 1000) clock.increment(Math.min(1000, ms - s));
  };
  const state = () => JSON.stringify(actor.getSnapshot().value);
  const ctx = () => actor.getSnapshot().context;
  const toldTo = (to: string) => told.filter((t) => t.to === to).map((t) => t.event);
  return { clock, send, login, pass, state, ctx, told, toldTo, wakes };
}

describe('pu machine: start recording wakes a sleeping camera', () => {
  it('wakes it for a record session that opens, tells the session to wait and to keep the camera awake', () => {
    const t = asleep();
    expect(t.state()).toBe('"hibernating"');
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    expect(t.state()).toBe('"waking"');
    expect(t.ctx().reason).toBe(WAKING_FOR_RECORDING_REASON);
    expect(t.wakes).toEqual([{ node: 'node-a' }]);
    expect(t.ctx().recordings).toEqual({ [REC]: { channel: 0, sessionId: 's1' } });
    expect(t.toldTo(REC)).toEqual([
      { type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S },
      { type: 'pu.waking', reason: PU_WAKING_REASON },
    ]);
    t.clock.increment(3000);
    t.login('c2');
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().reason).toBe(WOKEN_REASON);
    expect(t.toldTo(REC).at(-1)).toEqual({ type: 'pu.online' });
  });

  it('tells the session the wake failed (pu.offline with the reason) when the camera does not log in in time', () => {
    const t = asleep();
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    t.pass(WAKE_TIMEOUT_DEFAULT_MS);
    expect(t.state()).toBe('"hibernating"');
    const reason = wakeFailedReason({ ...t.ctx(), wake: undefined });
    expect(t.ctx().reason).toBe(reason);
    expect(t.toldTo(REC).at(-1)).toEqual({ type: 'pu.offline', reason });
  });

  it('holds a record session opening while a wake is under way, without a second TOWAKEUP', () => {
    const t = asleep();
    t.send({ type: 'live.watch', viewerId: 'v1', channel: 0, streamId: 'aaaa', maxBitrateKbps: 2000, lingerMs: 30_000 });
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    expect(t.wakes.length).toBe(1);
    expect(t.toldTo(REC).at(-1)).toEqual({ type: 'pu.waking', reason: PU_WAKING_REASON });
  });

  it('tells a session of an awake camera that may sleep to keep it awake, and one of a mains camera nothing', () => {
    const t = asleep();
    t.login('c2'); // woke by itself: the pu knows it has a hibernation link
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    expect(t.toldTo(REC)).toEqual([{ type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S }]);
    const clock = new SimulatedClock();
    const told: ActorSendParams[] = [];
    const mains = createActor(puMachine.provide({ actions: { 'actor.send': (_, p) => void told.push(p), 'vd.send': () => {} } }), {
      input: { deviceId: 'CAM2', macId: 'a0b1c2d3e4f6', channels: [0] },
      clock,
    });
    mains.start();
    mains.send({ type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW1', firmwareModel: 'FW1', at: 1 });
    mains.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1', at: 2 });
    expect(told.filter((x) => x.to === REC)).toEqual([]);
  });
});

describe('pu machine: a camera that falls asleep while it records', () => {
  it('is woken again at once, one try: its streams are told it is offline, its sessions that it is being woken', () => {
    const t = asleep();
    t.login('c2'); // it woke by itself
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    t.clock.increment(5_000);
    t.send({ type: 'vd.disconnected', connId: 'c2', code: 1000, reason: 'going to sleep' });
    expect(t.state()).toBe('"waking"');
    expect(t.ctx().reason).toBe(REWAKE_FOR_RECORDING_REASON);
    expect(t.wakes).toEqual([{ node: 'node-a' }]);
    expect(t.toldTo(REC).slice(1)).toEqual([
      { type: 'pu.offline', reason: REWAKE_FOR_RECORDING_REASON },
      { type: 'pu.waking', reason: PU_WAKING_REASON },
    ]);
    t.login('c3');
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.toldTo(REC).at(-1)).toEqual({ type: 'pu.online' });
  });

  it('stays asleep after a failed wake, its sessions told why, and is not woken again', () => {
    const t = asleep();
    t.login('c2');
    t.send({ type: 'recording.opened', recordingId: REC, channel: 0, sessionId: 's1' });
    t.send({ type: 'vd.disconnected', connId: 'c2', code: 1000, reason: 'going to sleep' });
    t.pass(WAKE_TIMEOUT_DEFAULT_MS);
    expect(t.state()).toBe('"hibernating"');
    expect(t.toldTo(REC).at(-1)).toEqual({ type: 'pu.offline', reason: t.ctx().reason });
    t.send({ type: 'hibernation.heartbeat', linkId: 'l1', node: 'node-a', offlineAfterMs: OFFLINE_MS });
    t.pass(60_000);
    expect(t.state()).toBe('"hibernating"');
    expect(t.wakes.length).toBe(1);
  });
});

describe('pu machine: SD-card playback wakes a sleeping camera', () => {
  it('makes the playback waiting, wakes the camera, and starts it once the camera logs in', () => {
    const t = asleep();
    t.send({ type: 'sd.play', playId: 'bbbb', by: 'user:1', channel: 0, from: FROM, to: FROM + 60, wakeTimeoutMs: 15_000 });
    expect(t.state()).toBe('"waking"');
    expect(t.ctx().reason).toBe(WAKING_FOR_SD_PLAY_REASON);
    expect(t.ctx().wake?.timeoutMs).toBe(15_000);
    expect(t.wakes).toEqual([{ node: 'node-a' }]);
    expect(t.told.at(-1)).toMatchObject({ to: 'stream:bbbb', event: { type: 'sd.wait' }, create: { type: 'sdplay' } });
    expect(t.ctx().streams).toEqual({ 'stream:bbbb': { channel: 0, joinable: false, sd: true, waiting: true } });
    t.login('c2');
    expect(t.toldTo('stream:bbbb').at(-1)).toEqual({ type: 'pu.online' });
    expect(t.ctx().streams).toEqual({ 'stream:bbbb': { channel: 0, joinable: false, sd: true } });
  });

  it('fails the waiting playback with the wake reason when the camera does not wake', () => {
    const t = asleep();
    t.send({ type: 'sd.play', playId: 'bbbb', by: 'user:1', channel: 0, from: FROM, to: FROM + 60, wakeTimeoutMs: 15_000 });
    t.pass(15_000);
    expect(t.state()).toBe('"hibernating"');
    expect(t.toldTo('stream:bbbb').at(-1)).toEqual({ type: 'pu.offline', reason: t.ctx().reason });
    expect(t.ctx().reason).toBe('did not wake within 15 s of TOWAKEUP: asleep');
  });
});
