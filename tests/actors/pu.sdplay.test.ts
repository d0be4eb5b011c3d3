/**
 * The pu's decisions about SD-card playbacks (docs/sd-playback.md): it opens each as an sdplay actor
 * linked like a stream that takes no viewer, replaces the running playback of the channel, and tells
 * its playbacks when the device goes offline. On XState's simulated clock.
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';
import { MQTT_MACHINE_TYPE } from '../../actors/machines/pu.publish.ts';

const FROM = 1_796_000_000;

function pu() {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  const told: ActorSendParams[] = [];
  const actor = createActor(
    puMachine.provide({ actions: { 'actor.send': (_, p) => void (p.create?.type !== MQTT_MACHINE_TYPE && told.push(p)), 'vd.send': () => {} } }),
    {
      input: { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0, 1] },
      clock,
    },
  );
  actor.start();
  const send = (e: PuEvent) => actor.send({ ...e, at: clock.now() } as PuEvent);
  send({ type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW1', firmwareModel: 'FW1' });
  const play = (playId: string, channel = 0) => send({ type: 'sd.play', playId, by: 'user:1', channel, from: FROM, to: FROM + 60 });
  return { actor, send, play, told, clock, ctx: () => actor.getSnapshot().context };
}

describe('pu: SD-card playbacks', () => {
  it('opens a playback as an sdplay actor, linked as a stream no viewer can join', () => {
    const t = pu();
    t.play('aaaa');
    expect(t.told).toEqual([
      {
        to: 'stream:aaaa',
        event: { type: 'sd.start' },
        create: {
          type: 'sdplay',
          input: { playId: 'aaaa', deviceId: 'CAM1', channel: 0, from: FROM, to: FROM + 60, by: 'user:1' },
          deviceId: 'CAM1',
          parentId: 'pu:CAM1',
        },
      },
    ]);
    expect(t.ctx().streams).toEqual({ 'stream:aaaa': { channel: 0, joinable: false, sd: true } });
    // A live viewer of the channel gets a stream of its own, never the playback.
    t.send({ type: 'live.watch', viewerId: 'v1', channel: 0, streamId: 'bbbb', maxBitrateKbps: 2000, lingerMs: 30_000 });
    expect(t.told[1]).toMatchObject({ to: 'stream:bbbb', create: { type: 'stream' } });
  });

  it("replaces the channel's running playback, and leaves another channel's alone", () => {
    const t = pu();
    t.play('aaaa');
    t.play('cccc', 1);
    t.play('dddd');
    const replaced = t.told.filter((s) => s.event.type === 'sd.replaced').map((s) => s.to);
    expect(replaced).toEqual(['stream:aaaa']);
    t.send({ type: 'stream.closed', streamId: 'aaaa' });
    expect(Object.keys(t.ctx().streams ?? {}).sort()).toEqual(['stream:cccc', 'stream:dddd']);
  });

  it('tells its playbacks the device went offline', () => {
    const t = pu();
    t.play('aaaa');
    t.send({ type: 'vd.disconnected', connId: 'c1', reason: 'closed' } as PuEvent);
    t.clock.increment(3 * 30_000 + 1);
    expect(t.told.filter((s) => s.event.type === 'pu.offline').map((s) => s.to)).toEqual(['stream:aaaa']);
  });
});
