/**
 * GetCap's `https` decides the scheme of the URLs the platform hands a device (NOTES 9; OVC dap.md 5.13): a camera
 * without https gets http callback URLs on the plain device listener (DEVICE_HTTP_PORT), which serves nothing but
 * those callbacks; a camera with https gets https. End to end: simulators against a real platform process.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { SimulatedDevice } from '../../device/index.ts';
import { until } from '../helpers/wait.ts';
import { provisionDevice, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

setDefaultTimeout(60_000);

const PLAIN = { device_id: 'CAM-PLAIN', password: 'plain-password', mac_id: 'a0b1c2d3e480' };
const SECURE = { device_id: 'CAM-TLS', password: 'tls-password', mac_id: 'a0b1c2d3e481' };

let p: TestPlatform;
const devs: Record<string, SimulatedDevice> = {};
/** StartRecord params the cameras received (a stand-in recorder: the URLs are what is tested, not the video). */
const starts: Array<{ cbk_url: string }> = [];

beforeAll(async () => {
  p = await startTestPlatform({ DEVICE_HTTP_PORT: '0' });
  for (const [cam, https] of [
    [PLAIN, false],
    [SECURE, true],
  ] as const) {
    await provisionDevice(p, cam);
    const dev = new SimulatedDevice({
      server: p.url,
      id: cam.device_id,
      password: cam.password,
      mac: cam.mac_id,
      tls: { rejectUnauthorized: false },
      capabilities: { https },
      media: {
        onStartRecord: async (params) => {
          starts.push(params);
          return {};
        },
        onStopRecord: async () => ({}),
      },
    });
    await dev.start();
    await dev.waitFor('online', 20_000);
    await until(
      async () => (await p.api(`/api/devices/${cam.device_id}`)).json(),
      (d) => d.capabilities?.https === https,
    );
    devs[cam.device_id] = dev;
  }
}, 90_000);

afterAll(async () => {
  for (const d of Object.values(devs)) await d.stop();
  await p?.cleanup();
});

/** Ask a camera for a snapshot through the API: the URL it was told to upload to, and the stored picture's status. */
async function snapshot(id: string): Promise<{ url: string; picture: number }> {
  const r = await p.api(`/api/devices/${id}/rpc`, { method: 'POST', body: JSON.stringify({ req: 'Snapshot', params: { channel: 0 } }) });
  expect(r.status).toBe(200);
  const { snapshot_id } = await r.json();
  const asked = devs[id]!.received.filter((m) => m.name === 'Snapshot').at(-1)!;
  const picture = await p.api(`/api/devices/${id}/snapshots/${snapshot_id}`);
  await picture.arrayBuffer();
  return { url: String((asked.params as { url: string }).url), picture: picture.status };
}

describe('callback URLs follow GetCap https', () => {
  it('hands a camera without https an http upload URL on the plain listener, and takes the upload there', async () => {
    const { url, picture } = await snapshot(PLAIN.device_id);
    expect(url).toStartWith('http://');
    expect(picture).toBe(200);
  });

  it('hands a camera with https an https URL', async () => {
    const { url, picture } = await snapshot(SECURE.device_id);
    expect(url).toStartWith(`${p.url}/`);
    expect(picture).toBe(200);
  });

  it('serves nothing but device callbacks over plain HTTP', async () => {
    const { url } = await snapshot(PLAIN.device_id);
    const plain = new URL(url).origin;
    for (const path of ['/api/devices', '/', '/Vs/getServerAddr?macid=a0b1c2d3e480', '/api/session']) {
      const r = await fetch(`${plain}${path}`);
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expect(await r.json()).toEqual({ info: 'not served over plain HTTP: use https' });
    }
    // A used upload URL stays used over plain HTTP too.
    expect((await fetch(url, { method: 'PUT', body: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) })).status).toBeGreaterThanOrEqual(400);
  });

  it('gives a camera without https an http cbk_url, and http segment URLs unless it asks https=1', async () => {
    const r = await p.api(`/api/devices/${PLAIN.device_id}/channels/0/recording`, { method: 'POST', body: JSON.stringify({ seg_duration: 1 }) });
    expect(r.status).toBe(201);
    const [start] = await until(
      async () => starts,
      (l) => l.length === 1,
    );
    expect(start!.cbk_url).toStartWith('http://');
    await until(
      async () => (await p.api(`/api/devices/${PLAIN.device_id}/channels/0/recording`)).json(),
      (v) => v.state === 'recording',
    );
    const create = async (https: 0 | 1) => {
      const form = { op: 'create', content_type: 'video/mp2t', size: 1000, start: (Date.now() / 1000).toFixed(6), duration: '1.000000', discontinue: 1, https };
      const res = await fetch(start!.cbk_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Mac-Identity': PLAIN.mac_id },
        body: new URLSearchParams(Object.entries(form).map(([k, v]) => [k, String(v)])).toString(),
      });
      expect(res.status).toBe(200);
      return String(((await res.json()) as { url: string }).url);
    };
    expect(await create(0)).toStartWith('http://');
    expect(await create(1)).toStartWith(`${p.url}/`);
  });
});
