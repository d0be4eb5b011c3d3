import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { KEEPALIVE_BACK_REASON, puMachine, REBOOT_TIMEOUT_MS, UPGRADE_POLL_INTERVAL_MS, heartbeatTimeoutMs } from '../../actors/machines/pu.machine.ts';
import { LOGIN_FAILURES_TO_LOCK, LOGIN_LOCK_MS, quietKeepalive } from '../../actors/machines/pu.actions.ts';
import { puV1 } from '../../actors/machines/pu.machine.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import { pureTransition } from '../../actors/host/transition.ts';

const T0 = Date.UTC(2026, 0, 1);

function start() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const sent: Array<{ reqId: string; name: string }> = [];
  const closed: string[] = [];
  const machine = puMachine.provide({
    actions: {
      'vd.send': (_, p) => {
        sent.push(p as { reqId: string; name: string });
      },
      'vd.close': (_, p) => {
        closed.push((p as { reason: string }).reason);
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
  return { clock, actor, send, state, ctx, login, keepalive, sent, closed };
}

describe('pu machine', () => {
  it('goes provisioned → scheduled → online, recording why and when', () => {
    const t = start();
    expect(t.state()).toBe('"provisioned"');
    t.clock.increment(1000);
    t.send({ type: 'vs.scheduled', ip: '10.0.0.2' });
    expect(t.state()).toBe('"scheduled"');
    expect(t.ctx()).toMatchObject({ scheduledAt: T0 + 1000, reason: 'asked Vs for its server' });
    t.login();
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ connected: true, hardwareModel: 'HW1', firmwareModel: 'FW1', reason: 'logged in', since: T0 + 1000 });
  });

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

  it('marks a PU offline after three missed heartbeats', () => {
    const t = start();
    t.login();
    const timeout = heartbeatTimeoutMs(t.ctx());
    expect(timeout).toBe(30_000);
    for (let i = 0; i < 5; i++) {
      t.clock.increment(10_000);
      t.keepalive();
    }
    // Time passes second by second (the lazy heartbeat timer re-arms when it comes due, and a
    // simulated clock that jumps would fire the re-armed timer late).
    for (let s = 1; s < timeout / 1000; s++) t.clock.increment(1000);
    t.clock.increment(999);
    expect(t.state()).toBe('{"online":"ready"}');
    t.clock.increment(1);
    expect(t.state()).toBe('"offline"');
    expect(t.ctx()).toMatchObject({ reason: 'no message for 3 heartbeat intervals', since: T0 + 50_000 + timeout });
  });

  it('changes no timer on a keepalive: the heartbeat timer re-arms itself from the last message when it comes due', () => {
    const t = start();
    t.login();
    const timeout = heartbeatTimeoutMs(t.ctx());
    t.clock.increment(1000);
    // What the durable host sees: the keepalive's pure transition asks for no timer at all.
    const [, actions] = pureTransition(puMachine, t.actor.getSnapshot(), {
      type: 'vd.keepalive',
      state: 1,
      channels: [{ channel: 0, state: 1, alarm: 0 }],
      at: t.clock.now(),
    });
    expect(actions.map((a) => a.type).filter((type) => type.startsWith('xstate.'))).toEqual([]);
    t.keepalive();
    for (let s = 1; s < timeout / 1000; s++) t.clock.increment(1000); // the first timer comes due at login + timeout
    expect(t.state()).toBe('{"online":"ready"}'); // heard 1 s after login: re-armed, not offline
    t.clock.increment(1000);
    expect(t.state()).toBe('"offline"'); // timeout after that keepalive
    expect(t.ctx().since).toBe(T0 + 1000 + timeout);
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

  it('does not write history for Vs calls that change no state', () => {
    const t = start();
    t.send({ type: 'vs.scheduled', ip: '10.0.0.2' });
    const before = t.actor.getSnapshot();
    t.clock.increment(1000);
    const [next, actions] = pureTransition(puMachine, before, { type: 'vs.scheduled', ip: '10.0.0.3', at: t.clock.now() });
    expect(actions).toEqual([]);
    expect(next.value).toEqual(before.value);
    const [now, was] = [next.context as unknown as Record<string, unknown>, before.context as unknown as Record<string, unknown>];
    const changed = Object.keys(now).filter((k) => now[k] !== was[k]);
    expect(changed.every((k) => puV1.volatile!.includes(k))).toBe(true); // the host keeps these beside the snapshot, unlogged
  });

  it('keeps checking the heartbeat through an upgrade, so a failed upgrade still ends offline when the device goes silent', () => {
    const t = start();
    t.login();
    const timeout = heartbeatTimeoutMs(t.ctx());
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'UpgradeFirmware' } as PuEvent);
    expect(t.state()).toBe('{"online":"upgrading"}');
    for (let s = 0; s < (2 * timeout) / 1000; s++) t.clock.increment(1000); // silent while installing: no offline
    expect(t.state()).toBe('{"online":"upgrading"}');
    t.send({ type: 'cmd.result', reqId: 'p', name: 'QueryUpgrade', ok: true, resp: { upgrade_status: 'error' } } as PuEvent);
    expect(t.state()).toBe('{"online":"ready"}');
    for (let s = 0; s < (timeout + 1000) / 1000; s++) t.clock.increment(1000);
    expect(t.state()).toBe('"offline"');
  });

  it('does not flap offline when the socket closes and the device reconnects in time', () => {
    const t = start();
    t.login('c1');
    t.clock.increment(5000);
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'abnormal closure' });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().connected).toBe(false);
    t.clock.increment(20_000);
    t.login('c2', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ connected: true, connId: 'c2', reconnect: true });
    t.clock.increment(29_000);
    expect(t.state()).toBe('{"online":"ready"}');
  });

  it('ignores the close of a connection that was already replaced', () => {
    const t = start();
    t.login('c1');
    t.login('c2');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 4000, reason: 'replaced' });
    expect(t.ctx()).toMatchObject({ connected: true, connId: 'c2' });
  });

  it('goes offline when the socket closed and nothing came back, and online again on reconnect', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'abnormal closure' });
    t.clock.increment(30_000);
    expect(t.state()).toBe('"offline"');
    t.clock.increment(60_000);
    t.login('c3', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ reason: 'logged in again', reconnect: true });
  });

  it('accepts commands only while the device is connected', () => {
    const t = start();
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'DevStatus' });
    expect(t.ctx().lastCommand).toBeUndefined();
    t.login();
    t.send({ type: 'cmd.request', reqId: 'r2', name: 'DevStatus' });
    expect(t.ctx().lastCommand).toMatchObject({ reqId: 'r2', name: 'DevStatus' });
    t.send({ type: 'cmd.result', reqId: 'r2', name: 'DevStatus', ok: true, resp: { battery: 77, firmware_model: 'FW1' } });
    expect(t.ctx()).toMatchObject({ battery: 77, lastCommand: { ok: true } });
  });

  it('waits through a reboot, and counts a device that never returns as offline', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'RebootDevice' });
    expect(t.state()).toBe('{"online":"rebooting"}');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1001, reason: 'going away' });
    t.clock.increment(60_000); // longer than the heartbeat timeout: still rebooting
    expect(t.state()).toBe('{"online":"rebooting"}');
    t.login('c2');
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().reason).toBe('back after a reboot');
    t.send({ type: 'cmd.request', reqId: 'r2', name: 'RebootDevice' });
    t.clock.increment(REBOOT_TIMEOUT_MS);
    expect(t.state()).toBe('"offline"');
    expect(t.ctx().reason).toBe('did not come back after a reboot');
  });

  it('expects a rescheduled device back through Vs and Vd', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'r1', name: 'Reschedule' });
    expect(t.state()).toBe('{"online":"rescheduling"}');
    t.send({ type: 'vs.scheduled', ip: '10.0.0.9' });
    t.login('c2', true);
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ reason: 'back after rescheduling', scheduledFrom: '10.0.0.9' });
  });

  it('polls QueryUpgrade through an upgrade and follows the device through its restart', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'cmd.request', reqId: 'u1', name: 'UpgradeFirmware', firmwareModel: 'FW2' });
    expect(t.state()).toBe('{"online":"upgrading"}');
    expect(t.sent.map((s) => s.name)).toEqual(['UpgradeFirmware']);
    t.sent.length = 0;
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS);
    expect(t.sent.map((s) => s.name)).toEqual(['QueryUpgrade']);
    t.send({
      type: 'cmd.result',
      reqId: t.sent[0]!.reqId,
      name: 'QueryUpgrade',
      ok: true,
      resp: { upgrade_status: 'downloading', progress: 40, firmware_model: 'FW1' },
    });
    expect(t.ctx().upgrade).toMatchObject({ firmwareModel: 'FW2', status: 'downloading', progress: 40 });
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS);
    t.send({
      type: 'cmd.result',
      reqId: t.sent[1]!.reqId,
      name: 'QueryUpgrade',
      ok: true,
      resp: { upgrade_status: 'done', progress: 100, firmware_model: 'FW2' },
    });
    expect(t.state()).toBe('{"online":"rebooting"}');
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1001, reason: 'restart' });
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS * 3);
    expect(t.sent.length).toBe(2); // no polling once the upgrade is done
    t.send({ type: 'vd.connected', connId: 'c2', reconnect: false, hardwareModel: 'HW1', firmwareModel: 'FW2' });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ firmwareModel: 'FW2', upgrade: { status: 'done', progress: 100 } });
  });

  it('ends an upgrade the device reports as failed', () => {
    const t = start();
    t.login();
    t.send({ type: 'cmd.request', reqId: 'u1', name: 'UpgradeFirmware', firmwareModel: 'FW2' });
    t.clock.increment(UPGRADE_POLL_INTERVAL_MS);
    t.send({
      type: 'cmd.result',
      reqId: t.sent[1]!.reqId,
      name: 'QueryUpgrade',
      ok: true,
      resp: { upgrade_status: 'error', progress: 10, firmware_model: 'FW1' },
    });
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx().upgrade).toMatchObject({ status: 'error', error: 'the device reported an upgrade error' });
  });

  it('counts failed logins in a row without a history row each; a success starts the count again', () => {
    const t = start();
    const before = t.actor.getSnapshot();
    const [next, actions] = pureTransition(puMachine, before, { type: 'login.failed', ip: '10.0.0.66', reason: 'wrong password', at: T0 });
    expect(actions).toEqual([]);
    expect(next.value).toEqual(before.value);
    const [now, was] = [next.context as unknown as Record<string, unknown>, before.context as unknown as Record<string, unknown>];
    const changed = Object.keys(now).filter((k) => now[k] !== was[k]);
    expect(changed.sort()).toEqual(['failedLogins', 'lastLoginFailure']);
    expect(changed.every((k) => puV1.volatile!.includes(k))).toBe(true); // the host keeps these beside the snapshot, unlogged
    for (let i = 0; i < LOGIN_FAILURES_TO_LOCK - 1; i++) t.send({ type: 'login.failed', ip: '10.0.0.66', reason: 'wrong password' });
    expect(t.ctx()).toMatchObject({ failedLogins: LOGIN_FAILURES_TO_LOCK - 1, lastLoginFailure: { ip: '10.0.0.66', reason: 'wrong password' } });
    expect(t.ctx().login.lockedUntil).toBeUndefined(); // failures alone never lock: the platform hands the count back
    t.login();
    expect(t.ctx()).toMatchObject({ failedLogins: 0, login: { locks: 0 } });
  });

  it('locks only when told of enough failures in a row, for a bounded time, and an admin can unlock it', () => {
    const t = start();
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK - 1 });
    expect(t.ctx().login.lockedUntil).toBeUndefined();
    for (let i = 0; i < LOGIN_FAILURES_TO_LOCK; i++) t.send({ type: 'login.failed', reason: 'wrong password' });
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK });
    expect(t.ctx()).toMatchObject({ failedLogins: 0, login: { locks: 1, lockedUntil: T0 + LOGIN_LOCK_MS } });
    t.clock.increment(1000);
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK + 1 }); // a late one: already locked
    expect(t.ctx().login).toEqual({ locks: 1, lockedUntil: T0 + LOGIN_LOCK_MS });
    t.send({ type: 'login.unlocked', by: 'admin token' });
    expect(t.ctx()).toMatchObject({ failedLogins: 0, login: { locks: 1 } });
    expect(t.ctx().login.lockedUntil).toBeUndefined();
    t.clock.increment(LOGIN_LOCK_MS);
    t.send({ type: 'login.tooManyFailures', failures: LOGIN_FAILURES_TO_LOCK });
    expect(t.ctx().login).toEqual({ locks: 2, lockedUntil: t.clock.now() + LOGIN_LOCK_MS });
  });

  it('tracks alarms that start and end, and single alarms', () => {
    const t = start();
    t.login();
    t.send({ type: 'vd.alarm', alarmId: 'a1', channel: 0, alarmType: 3, state: 'start', timestamp: 1 });
    expect(t.ctx().activeAlarms).toEqual([{ channel: 0, type: 3, since: T0 }]);
    t.send({ type: 'vd.alarm', alarmId: 'a2', channel: 0, alarmType: 10, state: 'pulse', timestamp: 2 });
    expect(t.ctx().activeAlarms.length).toBe(1);
    t.send({ type: 'vd.alarm', alarmId: 'a3', channel: 0, alarmType: 3, state: 'end', timestamp: 3 });
    expect(t.ctx().activeAlarms).toEqual([]);
    expect(t.ctx().lastAlarm).toMatchObject({ alarmId: 'a3', type: 3, state: 'end' });
  });

  it('closes the connection and forgets the owner when deprovisioned', () => {
    const t = start();
    t.login();
    t.send({ type: 'device.bound', userId: 'u1' });
    t.send({ type: 'device.deprovisioned' });
    expect(t.state()).toBe('"deprovisioned"');
    expect(t.closed).toEqual(['device deprovisioned']);
    expect(t.ctx().ownerId).toBeUndefined();
  });

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
    // It answers the everyday case in every online state, and nothing else.
    expect(answered).toBe(4);
    expect(puV1.quiet).toBe(quietKeepalive);
  });
});
