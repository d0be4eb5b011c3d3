/**
 * What the pu tells its device's mqtt actor (actors/machines/pu.publish.ts, docs/mqtt.md): online, asleep and offline
 * with the reason and time of the change, every alarm, every battery level; each a message that makes the mqtt actor
 * when it does not exist yet.
 */
import { describe, expect, it } from 'bun:test';
import { heartbeatTimeoutMs } from '../../actors/machines/pu.heartbeat.ts';
import { ASLEEP_ON_CLOSE_REASON } from '../../actors/machines/pu.hibernation.ts';
import { MQTT_MACHINE_TYPE } from '../../actors/machines/pu.publish.ts';
import { HIBERNATION_OFFLINE_AFTER_S } from '../../protocol/hibernation.ts';
import { start, T0, type PuHarness } from './pu.harness.ts';

const toMqtt = (t: PuHarness) => t.told.filter((m) => m.to === 'mqtt:CAM1').map((m) => m.event);

describe('pu: what it publishes on MQTT', () => {
  it('tells its mqtt actor, made on first use, that the device is online, and offline after 3 silent intervals', () => {
    const t = start();
    t.login();
    expect(t.told[0]).toMatchObject({
      to: 'mqtt:CAM1',
      create: { type: MQTT_MACHINE_TYPE, input: { deviceId: 'CAM1' }, deviceId: 'CAM1', parentId: 'pu:CAM1' },
    });
    t.keepalive(); // nothing to publish
    const silentFrom = t.clock.now();
    t.clock.increment(heartbeatTimeoutMs(t.ctx()));
    expect(toMqtt(t)).toEqual([
      { type: 'mqtt.state', state: 'online', reason: 'logged in', since: T0 },
      { type: 'mqtt.state', state: 'offline', reason: 'no message for 3 heartbeat intervals', since: silentFrom + heartbeatTimeoutMs(t.ctx()) },
    ]);
  });

  it('tells it every alarm and battery level', () => {
    const t = start();
    t.login();
    t.send({ type: 'vd.alarm', alarmId: 'al1', channel: 0, alarmType: 10, state: 'pulse', timestamp: T0 - 5 });
    t.send({ type: 'vd.battery', battery: 55 });
    expect(toMqtt(t).slice(1)).toEqual([
      { type: 'mqtt.alarm', alarmType: 10, state: 'pulse', time: T0 - 5, channel: 0, alarmId: 'al1' },
      { type: 'mqtt.battery', battery: 55 },
    ]);
    // Recorded as before (pu.alarms.test.ts).
    expect(t.ctx().battery).toBe(55);
    expect(t.ctx().lastAlarm).toMatchObject({ type: 10, alarmId: 'al1' });
  });

  it('tells it asleep when the device sleeps, and offline when it is deprovisioned', () => {
    const t = start();
    t.login('c1');
    t.send({ type: 'hibernation.heartbeat', linkId: 'l1', node: 'n', offlineAfterMs: HIBERNATION_OFFLINE_AFTER_S * 1000 });
    t.send({ type: 'vd.disconnected', connId: 'c1', code: 1000, reason: 'sleep' });
    t.send({ type: 'device.deprovisioned' });
    expect(toMqtt(t).map((e) => [e.state, e.reason])).toEqual([
      ['online', 'logged in'],
      ['asleep', ASLEEP_ON_CLOSE_REASON],
      ['offline', 'deprovisioned by an admin'],
    ]);
  });
});
