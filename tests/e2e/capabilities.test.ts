/**
 * GetCap at every login (issue #22 point 4, NOTES 9), end to end: the device simulator against a real platform
 * process over Vs and Vd; the answers reach the pu actor's context (its history shows them) and the device API.
 * A camera that refuses GetCap keeps working with unknown capabilities.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { SimulatedDevice } from '../../device/index.ts';
import { DISK_STATE, VD_ERR } from '../../protocol/constants.ts';
import { until } from '../helpers/wait.ts';
import { provisionDevice, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';

setDefaultTimeout(60_000);

const CAM = { device_id: 'CAM-CAPS', password: 'caps-password', mac_id: 'a0b1c2d3e470' };
const OLD = { device_id: 'CAM-OLD', password: 'old-password', mac_id: 'a0b1c2d3e471' };
/** A battery doorbell: no PTZ, no https, no SD card. */
const DOORBELL = { ptz: false, battery: true, https: false };

let p: TestPlatform;
let dev: SimulatedDevice;
const device = async (id: string) => (await p.api(`/api/devices/${id}`)).json();
const history = async (id: string) =>
  (await (await p.api(`/api/actors/pu:${id}/history?limit=1000`)).json()).events as Array<{ event: { type: string; name?: string } }>;

beforeAll(async () => {
  p = await startTestPlatform();
  await provisionDevice(p, CAM);
  await provisionDevice(p, OLD);
  dev = new SimulatedDevice({
    server: p.url,
    id: CAM.device_id,
    password: CAM.password,
    mac: CAM.mac_id,
    tls: { rejectUnauthorized: false },
    bootMs: 200,
    capabilities: DOORBELL,
    disk: { state: 'no_card' },
  });
  await dev.start();
  await dev.waitFor('online', 20_000);
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  await p?.cleanup();
});

describe('capabilities at login', () => {
  it('asks GetCap and GetDiskInfo at login and shows the answers in the device API and the actor history', async () => {
    const d = await until(
      () => device(CAM.device_id),
      (v) => v.capabilities !== null && v.disk !== null,
    );
    expect(d.capabilities).toEqual(dev.camera.capabilities());
    expect(d.capabilities).toMatchObject(DOORBELL);
    expect(d.disk).toEqual({ state: DISK_STATE.no_card });
    expect(dev.received.filter((m) => m.name === 'GetCap')).toHaveLength(1);
    const asked = (await history(CAM.device_id)).filter((e) => e.event.type === 'cmd.result').map((e) => e.event.name);
    expect(asked).toEqual(expect.arrayContaining(['GetCap', 'GetDiskInfo']));
  });

  it('asks again at the next login', async () => {
    const before = dev.received.filter((m) => m.name === 'GetCap').length;
    await dev.stop();
    await dev.start();
    await dev.waitFor('online', 20_000);
    await dev.waitFor((x) => x.received.filter((m) => m.name === 'GetCap').length === before + 1, 10_000);
    expect((await device(CAM.device_id)).capabilities).toMatchObject(DOORBELL);
  });

  it('keeps a camera that refuses GetCap working, with unknown capabilities', async () => {
    const old = await RawDevice.connect(p.url, { login_code: OLD.device_id, login_passwd: OLD.password, hardware_model: 'h', firmware_model: 'f' });
    try {
      const cap = await old.next((f) => f.req === 'GetCap');
      old.raw(JSON.stringify({ seq: cap.seq, err: { code: VD_ERR.UNSUPPORTED_METHOD, msg: 'unsupported RPC method' } }));
      const disk = await old.next((f) => f.req === 'GetDiskInfo');
      old.raw(JSON.stringify({ seq: disk.seq, err: { code: VD_ERR.UNSUPPORTED_METHOD, msg: 'unsupported RPC method' } }));
      expect(await old.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1 }] })).toMatchObject({ resp: {} });
      // The refusals are rows of the actor's history (unknown is null there: absent would be "not answered yet").
      await until(
        async () => (await history(OLD.device_id)).filter((e) => e.event.type === 'cmd.result').map((e) => e.event.name),
        (names) => names.includes('GetCap') && names.includes('GetDiskInfo'),
      );
      const d = await device(OLD.device_id);
      expect(d).toMatchObject({ state: 'online.ready', connected: true, capabilities: null, disk: null });
    } finally {
      old.close();
    }
  });
});
