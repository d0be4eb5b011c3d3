/** The pu machine's `quiet` shortcut (MachineDef.quiet) against the machine itself. */
import { describe, expect, it } from 'bun:test';
import { puMachine, puV1 } from '../../actors/machines/pu.machine.ts';
import { heartbeatTimeoutMs } from '../../actors/machines/pu.heartbeat.ts';
import { quietKeepalive } from '../../actors/machines/pu.actions.ts';
import { pureTransition } from '../../actors/host/transition.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import { start, T0 } from './pu.harness.ts';

describe('pu machine: the quiet keepalive shortcut', () => {
  it('has a keepalive shortcut that agrees with the machine wherever it answers, in every state', () => {
    // Snapshots in each state the machine can be in, with and without channel states and alarms.
    const snapshots: Array<{ label: string; snap: ReturnType<ReturnType<typeof start>['actor']['getSnapshot']> }> = [];
    const take = (label: string, t: ReturnType<typeof start>) => snapshots.push({ label, snap: t.actor.getSnapshot() });
    const ka = (t: ReturnType<typeof start>, alarm = 0) =>
      t.send({
        type: 'vd.keepalive',
        state: 1,
        channels: [
          { channel: 0, state: 1, alarm },
          { channel: 1, state: 0, alarm: 0 },
        ],
      });
    const cmd = (t: ReturnType<typeof start>, name: string) => t.send({ type: 'cmd.request', reqId: `r-${name}`, name, firmwareModel: 'FW2' });
    let t = start();
    take('provisioned', t);
    t.send({ type: 'vs.scheduled', ip: '10.0.0.2' });
    take('scheduled', t);
    t.login();
    take('online, no keepalive yet', t);
    ka(t);
    take('online, channels known', t);
    t.send({ type: 'vd.alarm', alarmId: 'a1', channel: 0, alarmType: 3, state: 'start', timestamp: 1 });
    ka(t, 1 << 3);
    take('online, alarm active', t);
    for (const name of ['RebootDevice', 'Reschedule', 'UpgradeFirmware']) {
      t = start();
      t.login();
      ka(t);
      cmd(t, name);
      take(`online after ${name}`, t);
    }
    t = start();
    t.login();
    ka(t);
    t.clock.increment(heartbeatTimeoutMs(t.ctx()) + 1);
    take('offline', t);
    t.send({ type: 'device.deprovisioned' });
    take('deprovisioned', t);
    const events: PuEvent[] = [
      {
        type: 'vd.keepalive',
        state: 1,
        channels: [
          { channel: 0, state: 1, alarm: 0 },
          { channel: 1, state: 0, alarm: 0 },
        ],
      },
      {
        type: 'vd.keepalive',
        state: 1,
        channels: [
          { channel: 1, state: 0, alarm: 0 },
          { channel: 0, state: 1, alarm: 0 },
        ],
      }, // another order
      {
        type: 'vd.keepalive',
        state: 0,
        channels: [
          { channel: 0, state: 1, alarm: 0 },
          { channel: 1, state: 0, alarm: 0 },
        ],
      }, // device state changed
      {
        type: 'vd.keepalive',
        state: 1,
        channels: [
          { channel: 0, state: 1, alarm: 8 },
          { channel: 1, state: 0, alarm: 0 },
        ],
      }, // an alarm flag
      {
        type: 'vd.keepalive',
        state: 1,
        channels: [
          { channel: 0, state: 1, alarm: 0, stream_id: 's1' },
          { channel: 1, state: 0, alarm: 0 },
        ],
      }, // a stream reported
      { type: 'vd.keepalive', state: 1, channels: [{ channel: 0, state: 1, alarm: 0 }] }, // a channel missing
      { type: 'vd.message' },
    ] as PuEvent[];
    const at = T0 + 5 * 60_000;
    let answered = 0;
    for (const { label, snap } of snapshots) {
      for (const e of events) {
        const event = { ...e, at } as PuEvent;
        const quiet = quietKeepalive(snap, event);
        if (!quiet) continue;
        answered++;
        const [next, actions] = pureTransition(puMachine, snap, event);
        expect({ label, value: next.value, actions: actions.length }).toEqual({ label, value: snap.value, actions: 0 });
        expect({ label, context: next.context }).toEqual({ label, context: { ...snap.context, ...quiet } });
        expect(Object.keys(quiet).every((k) => puV1.volatile!.includes(k))).toBe(true);
      }
    }
    // It answers the everyday case in every online state, in either channel order, and nothing else.
    expect(answered).toBe(8);
    expect(puV1.quiet).toBeDefined(); // quietKeepalive, then the sleeping camera's heartbeat (pu.hibernation.test.ts)
  });

  it('answers a Keepalive whose channels come in any order exactly as the machine does (devices do not sort them)', () => {
    const channels = [
      { channel: 2, state: 1, alarm: 0, stream_id: 's2' },
      { channel: 0, state: 1, alarm: 0 },
      { channel: 1, state: 0, alarm: 0, record_session: 'r1' },
    ];
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const first of orders) {
      const t = start();
      t.login();
      t.send({ type: 'vd.keepalive', state: 1, channels: first.map((i) => channels[i]!) }); // as a device sends them
      const snap = t.actor.getSnapshot();
      for (const order of orders) {
        const event = { type: 'vd.keepalive', state: 1, channels: order.map((i) => ({ ...channels[i]! })), at: T0 + 10_000 } as PuEvent;
        const quiet = quietKeepalive(snap, event);
        const [next, actions] = pureTransition(puMachine, snap, event);
        expect({ first, order, quiet }).toEqual({ first, order, quiet: { lastSeenAt: T0 + 10_000 } });
        expect(actions).toEqual([]);
        expect(next.context).toEqual({ ...snap.context, ...quiet });
        // A changed channel in the same order is still the machine's: not quiet.
        const changed = { ...event, channels: order.map((i) => ({ ...channels[i]!, state: 3 })) } as PuEvent;
        expect(quietKeepalive(snap, changed)).toBeNull();
      }
    }
  });
});
