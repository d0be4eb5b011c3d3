/**
 * The pu's decisions about its device's streams and record sessions (issue #20 point 3): which stream
 * a viewer joins, what streams and sessions are told when the device goes offline or comes back, the
 * StopLive for a stream the platform did not ask for, and the resync of a session the device stopped
 * reporting. On XState's simulated clock; the effects are recorded as the host would receive them.
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import type { PuChannelState, PuEvent } from '../../actors/machines/pu.types.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';
import { resyncReason } from '../../actors/machines/pu.links.ts';
import { MQTT_MACHINE_TYPE } from '../../actors/machines/pu.publish.ts';

const T0 = Date.UTC(2026, 0, 1);
const HB_TIMEOUT_MS = 3 * 30_000 + 1;

function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const told: ActorSendParams[] = [];
  const sent: Array<{ reqId: string; name: string; params?: Record<string, unknown> }> = [];
  const machine = puMachine.provide({
    actions: {
      'actor.send': (_, p) => {
        if (p.create?.type !== MQTT_MACHINE_TYPE) told.push(p); // its MQTT publications: pu.publish.test.ts
      },
      'vd.send': (_, p) => {
        if (!p.reqId.includes(':login:')) sent.push(p); // GetCap and GetDiskInfo at login: tests/actors/pu.capabilities.test.ts
      },
    },
  });
  const actor = createActor(machine, { input: { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0, 1] }, clock });
  actor.start();
  const send = (e: PuEvent) => actor.send({ ...e, at: clock.now() } as PuEvent);
  const ctx = () => actor.getSnapshot().context;
  const login = () => send({ type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW1', firmwareModel: 'FW1' });
  const keepalive = (channels: PuChannelState[]) => send({ type: 'vd.keepalive', connId: 'c1', state: 1, channels });
  const watch = (viewerId: string, streamId: string, channel = 0) =>
    send({ type: 'live.watch', viewerId, by: 'user:1', channel, streamId, maxBitrateKbps: 2000, lingerMs: 30_000 });
  return { clock, actor, send, ctx, login, keepalive, watch, told, sent };
}

describe('pu: which stream a viewer joins', () => {
  it('opens the stream the platform named when the channel has none, and sends later viewers to it', () => {
    const t = start();
    t.login();
    t.watch('v1', 'aaaa');
    expect(t.told).toHaveLength(1);
    expect(t.told[0]).toMatchObject({
      to: 'stream:aaaa',
      event: { type: 'viewer.join', viewerId: 'v1', by: 'user:1' },
      create: { type: 'stream', input: { streamId: 'aaaa', deviceId: 'CAM1', channel: 0, maxBitrateKbps: 2000, lingerMs: 30_000 }, deviceId: 'CAM1' },
    });
    expect(t.ctx().streams).toEqual({ 'stream:aaaa': { channel: 0, joinable: true } });
    t.watch('v2', 'bbbb');
    expect(t.told[1]).toMatchObject({ to: 'stream:aaaa', event: { type: 'viewer.join', viewerId: 'v2' } });
    expect(t.told[1]!.create).toBeUndefined();
    t.watch('v3', 'cccc', 1); // another channel: its own stream
    expect(t.told[2]).toMatchObject({ to: 'stream:cccc', create: { input: { channel: 1 } } });
  });

  it('opens a new stream once the channel’s stream is stopping, and forgets a stream that ended', () => {
    const t = start();
    t.login();
    t.watch('v1', 'aaaa');
    t.send({ type: 'stream.stopping', streamId: 'aaaa' });
    expect(t.ctx().streams?.['stream:aaaa']).toEqual({ channel: 0, joinable: false });
    t.watch('v2', 'bbbb');
    expect(t.told[1]).toMatchObject({ to: 'stream:bbbb', create: { type: 'stream' } });
    t.send({ type: 'stream.closed', streamId: 'aaaa' });
    expect(Object.keys(t.ctx().streams ?? {})).toEqual(['stream:bbbb']);
  });

  it('opens the stream a join names when the stream it was sent to had begun stopping (the stream hands it back)', () => {
    const t = start();
    t.login();
    t.watch('v1', 'aaaa');
    t.watch('v2', 'bbbb');
    expect(t.told[1]).toMatchObject({ to: 'stream:aaaa', event: { viewerId: 'v2', next: { type: 'live.watch', viewerId: 'v2', streamId: 'bbbb' } } });
    t.send({ type: 'stream.stopping', streamId: 'aaaa' });
    t.send(t.told[1]!.event.next as PuEvent); // what the stopping stream sends back
    expect(t.told[2]).toMatchObject({ to: 'stream:bbbb', event: { type: 'viewer.join', viewerId: 'v2' }, create: { type: 'stream' } });
  });

  it('takes no viewer once deprovisioned', () => {
    const t = start();
    t.send({ type: 'device.deprovisioned' });
    t.watch('v1', 'aaaa');
    expect(t.told).toEqual([]);
  });
});

describe('pu: what its streams and sessions are told', () => {
  it('tells every stream and session when the device goes offline, and sessions when it is back', () => {
    const t = start();
    t.login();
    t.watch('v1', 'aaaa');
    t.send({ type: 'recording.opened', recordingId: 'rec:s1', channel: 0, sessionId: 's1' });
    t.told.length = 0;
    t.clock.increment(HB_TIMEOUT_MS);
    expect(t.actor.getSnapshot().value).toBe('offline');
    expect(t.told).toEqual([
      { to: 'stream:aaaa', event: { type: 'pu.offline', reason: 'no message for 3 heartbeat intervals' } },
      { to: 'rec:s1', event: { type: 'pu.offline', reason: 'no message for 3 heartbeat intervals' } },
    ]);
    t.told.length = 0;
    t.login();
    expect(t.told).toEqual([{ to: 'rec:s1', event: { type: 'pu.online' } }]);
  });

  it('tells them when the device is deprovisioned; a closed session is told nothing', () => {
    const t = start();
    t.login();
    t.send({ type: 'recording.opened', recordingId: 'rec:s1', channel: 0, sessionId: 's1' });
    t.send({ type: 'recording.opened', recordingId: 'rec:s2', channel: 1, sessionId: 's2' });
    t.send({ type: 'recording.closed', recordingId: 'rec:s2' });
    t.send({ type: 'device.deprovisioned' });
    expect(t.told).toEqual([{ to: 'rec:s1', event: { type: 'pu.offline', reason: 'deprovisioned by an admin' } }]);
  });
});

describe('pu: Keepalive against what the platform asked for (NOTES 2)', () => {
  it('sends StopLive once for a stream the platform did not ask for, and none for its own', () => {
    const t = start();
    t.login();
    t.watch('v1', 'aaaa');
    t.keepalive([{ channel: 0, state: 1, alarm: 0, stream_id: 'aaaa' }]);
    expect(t.sent).toEqual([]);
    t.keepalive([{ channel: 0, state: 1, alarm: 0, stream_id: 'zzzz' }]);
    expect(t.sent).toEqual([{ reqId: expect.stringContaining('CAM1:stop-unexpected:0:'), name: 'StopLive', params: { stream_id: 'zzzz', channel: 0 } }]);
    t.clock.increment(1000);
    t.keepalive([{ channel: 0, state: 1, alarm: 0, stream_id: 'zzzz' }]); // the same report again: told once
    expect(t.sent).toHaveLength(1);
  });

  it('tells a session to StartRecord again when the device stops reporting it or reports another', () => {
    const t = start();
    t.login();
    t.send({ type: 'recording.opened', recordingId: 'rec:s1', channel: 0, sessionId: 's1' });
    t.keepalive([{ channel: 0, state: 1, alarm: 0, record_session: 's1' }]);
    expect(t.told).toEqual([]);
    t.keepalive([{ channel: 0, state: 1, alarm: 0 }]);
    expect(t.told).toEqual([{ to: 'rec:s1', event: { type: 'record.resync', reason: 'the PU no longer reports record session s1' } }]);
    t.keepalive([{ channel: 0, state: 1, alarm: 0, record_session: 'other' }]);
    expect(t.told[1]).toEqual({ to: 'rec:s1', event: { type: 'record.resync', reason: 'the PU reports record session other on channel 0' } });
  });

  it('leaves a device that never reports sessions alone', () => {
    expect(resyncReason({ channel: 0, sessionId: 's1' }, undefined, undefined)).toBeUndefined();
    expect(resyncReason({ channel: 0, sessionId: 's1' }, { channel: 0, state: 1, alarm: 0 }, { channel: 0, state: 1, alarm: 0 })).toBeUndefined();
    expect(resyncReason({ channel: 0, sessionId: 's1' }, undefined, { channel: 0, state: 1, alarm: 0, record_session: 's1' })).toBeUndefined();
  });
});
