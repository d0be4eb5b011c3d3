/**
 * The pu machine under XState's SimulatedClock, for the pu.*.test.ts files: a started actor whose
 * effects (`vd.send`, `vd.close`) are recorded, and shorthands for the events tests send most.
 * Every event carries the simulated time, as the host stamps it.
 */
import { createActor, SimulatedClock } from 'xstate';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import type { ActorSendParams } from '../../actors/host/tell.ts';

/** The simulated start time of every pu test. */
export const T0 = Date.UTC(2026, 0, 1);

/** A started pu actor on a simulated clock, with what it sent and closed. */
export function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const sent: Array<{ reqId: string; name: string; refused?: string }> = [];
  /** What the machine asks by itself at every login (GetCap, GetDiskInfo: pu.capabilities.ts), kept apart from commands. */
  const asked: Array<{ reqId: string; name: string }> = [];
  const closed: string[] = [];
  /** What it told other actors (its mqtt actor: pu.publish.test.ts). */
  const told: ActorSendParams[] = [];
  /** Alarm sessions it asked to open (`recording.alarm`: pu.alarm-recording.test.ts). */
  const alarmSessions: Array<{ channel: number; alarmId: string; recordS: number; prerecordS: number }> = [];
  const machine = puMachine.provide({
    actions: {
      'actor.send': (_, p) => {
        told.push(p as ActorSendParams);
      },
      'vd.send': (_, p) => {
        const q = p as { reqId: string; name: string; refused?: string };
        (q.reqId.includes(':login:') ? asked : sent).push(q);
      },
      'vd.close': (_, p) => {
        closed.push((p as { reason: string }).reason);
      },
      'recording.alarm': (_, p) => {
        alarmSessions.push(p as (typeof alarmSessions)[number]);
      },
    },
  });
  const actor = createActor(machine, { input: { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0] }, clock });
  actor.start();
  const send = (e: PuEvent) => actor.send({ ...e, at: clock.now() } as PuEvent);
  const state = () => JSON.stringify(actor.getSnapshot().value);
  const ctx = () => actor.getSnapshot().context;
  const login = (connId = 'c1', reconnect = false) =>
    send({ type: 'vd.connected', connId, reconnect, hardwareModel: 'HW1', firmwareModel: 'FW1', ip: '10.0.0.2' });
  const keepalive = () => send({ type: 'vd.keepalive', state: 1, channels: [{ channel: 0, state: 1, alarm: 0 }] });
  return { clock, actor, send, state, ctx, login, keepalive, sent, asked, closed, told, alarmSessions };
}

/** A started pu actor (what {@link start} returns). */
export type PuHarness = ReturnType<typeof start>;
