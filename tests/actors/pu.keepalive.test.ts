/** What a Keepalive (I.2.1) does to the pu actor: channel and device states, alarm flags, and coming back online. */
import { describe, expect, it } from 'bun:test';
import { KEEPALIVE_BACK_REASON } from '../../actors/machines/pu.machine.ts';
import { heartbeatTimeoutMs } from '../../actors/machines/pu.heartbeat.ts';
import { start, T0 } from './pu.harness.ts';

describe('pu machine: Keepalive', () => {
  it('keeps channel states and alarm flags from Keepalive', () => {
    const t = start();
    t.login();
    t.send({
      type: 'vd.keepalive',
      state: 1,
      channels: [
        { channel: 1, state: 0, alarm: 0 },
        { channel: 0, state: 1, stream_id: 's1', alarm: 1 << 3 },
      ],
    });
    expect(t.ctx().channelStates).toEqual([
      { channel: 0, state: 1, stream_id: 's1', alarm: 8 },
      { channel: 1, state: 0, alarm: 0 },
    ]);
    expect(t.ctx().deviceState).toBe(1);
  });

  it('keeps unchanged keepalive state by reference, replaces what changed, and clears alarms the flags no longer show', () => {
    const t = start();
    t.login();
    const ka = (alarm: number, state = 1) =>
      t.send({
        type: 'vd.keepalive',
        state,
        channels: [
          { channel: 1, state: 0, alarm: 0 },
          { channel: 0, state: 1, alarm },
        ],
      });
    t.send({ type: 'vd.alarm', alarmId: 'a1', channel: 0, alarmType: 3, state: 'start', timestamp: 1 });
    ka(1 << 3);
    const { channelStates, activeAlarms } = t.ctx();
    t.clock.increment(1000);
    ka(1 << 3);
    expect(t.ctx().channelStates).toBe(channelStates); // the same objects: nothing to compare or collect
    expect(t.ctx().activeAlarms).toBe(activeAlarms);
    expect(t.ctx().lastSeenAt).toBe(T0 + 1000);
    ka(0, 2);
    expect(t.ctx().channelStates).toEqual([
      { channel: 0, state: 1, alarm: 0 },
      { channel: 1, state: 0, alarm: 0 },
    ]);
    expect(t.ctx().activeAlarms).toEqual([]); // the device no longer flags it
    expect(t.ctx().deviceState).toBe(2);
  });

  it('comes back online on a keepalive from its still open connection, not from an old one', () => {
    const t = start();
    t.login('c1');
    for (let s = 0; s <= heartbeatTimeoutMs(t.ctx()) / 1000; s++) t.clock.increment(1000);
    expect(t.state()).toBe('"offline"'); // e.g. its keepalives were lost while the database was away
    t.send({ type: 'vd.keepalive', connId: 'c0', state: 1, channels: [] });
    expect(t.state()).toBe('"offline"'); // not the current connection
    t.send({ type: 'vd.keepalive', connId: 'c1', state: 1, channels: [{ channel: 0, state: 1, alarm: 0 }] });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({
      reason: KEEPALIVE_BACK_REASON,
      since: t.clock.now(),
      lastSeenAt: t.clock.now(),
      channelStates: [{ channel: 0, state: 1, alarm: 0 }],
    });
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'gone' });
    for (let s = 0; s <= heartbeatTimeoutMs(t.ctx()) / 1000; s++) t.clock.increment(1000);
    expect(t.state()).toBe('"offline"');
    t.send({ type: 'vd.keepalive', connId: 'c1', state: 1, channels: [] });
    expect(t.state()).toBe('"offline"'); // a closed connection brings nothing back
  });
});
