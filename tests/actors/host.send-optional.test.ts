/**
 * An optional machine (MachineDef.optional: the mqtt publications, docs/mqtt.md) is off unless the host enables it:
 * a message that would make one of its actors is then not sent at all (no outbox row, no actor), and sent as any
 * other once enabled.
 */
import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { mqttV1 } from '../../actors/machines/mqtt.machine.ts';
import { puV1 } from '../../actors/machines/pu.machine.ts';
import { MQTT_MACHINE_TYPE } from '../../actors/machines/pu.publish.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();
const login = { type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'h', firmwareModel: 'f', ip: '10.0.0.2' };
const noEffects = { 'vd.send': () => {}, 'mqtt.publish': () => {}, 'mqtt.dropped': () => {} };

it('sends no message to an actor of an optional machine that is off', async () => {
  const a = makeHost(t, { machines: [puV1, mqttV1], effects: noEffects });
  await a.host.create('pu', 'pu:OFF1', { deviceId: 'OFF1', macId: 'a0b1c2d3e4f6', channels: [0] });
  await a.host.dispatch('pu:OFF1', login);
  await a.host.flush();
  await t.quiet();
  expect((await a.host.get('pu:OFF1'))!.stateKey).toBe('online.ready');
  expect(await a.host.exists('mqtt:OFF1')).toBe(false);
  expect(await t.db.rows(sql`select key from actor_outbox`)).toEqual([]);
  await a.host.stop();
});

it('makes and tells it once the host enables it', async () => {
  const a = makeHost(t, { machines: [puV1, mqttV1], effects: noEffects, enabled: [MQTT_MACHINE_TYPE] });
  await a.host.create('pu', 'pu:ON1', { deviceId: 'ON1', macId: 'a0b1c2d3e4f7', channels: [0] });
  await a.host.dispatch('pu:ON1', login);
  await a.host.flush();
  await t.quiet();
  await a.host.flush();
  const mqtt = await a.host.get('mqtt:ON1');
  expect(mqtt!.stateKey).toBe('waiting');
  expect(mqtt!.context).toMatchObject({ pending: [{ kind: 'discovery' }, { kind: 'state', state: 'online', reason: 'logged in' }] });
  await a.host.stop();
});
