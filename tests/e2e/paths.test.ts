/**
 * No file name is derived from input (issue #19, "Paths"): traversal tried in every place where input names a file
 * or a stored thing — trans_id, device ids, upload tokens, segment URLs' session and name, Vr channel ids and segment
 * names, stream ids, log and picture paths of the API, console assets — as `../`, encoded, doubly encoded, absolute,
 * with backslashes, with a NUL and 10 KB long. Every one is refused, and nothing is written outside the data dir.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';

setDefaultTimeout(90_000);

/** A name nothing else on this machine uses: if a file with it appears anywhere, a path escaped. */
const MARKER = `h627-escape-${process.pid}-${Date.now()}`;
const TRAVERSALS: Array<[string, string]> = [
  ['dot-dot', `../../../../../../tmp/${MARKER}`],
  ['encoded', `%2e%2e%2f%2e%2e%2f%2e%2e%2ftmp%2f${MARKER}`],
  ['doubly encoded', `%252e%252e%252f%252e%252e%252ftmp%252f${MARKER}`],
  ['absolute', `/tmp/${MARKER}`],
  ['backslashes', `..\\..\\..\\tmp\\${MARKER}`],
  ['NUL', `${MARKER}\u0000.log`],
  ['10 KB', `${MARKER}${'a'.repeat(10 * 1024)}`],
];

let p: TestPlatform;
let cam: RawDevice;
const CAM = { device_id: 'CAM-PATHS', password: 'paths-password', mac_id: 'a0:b1:c2:d3:e5:50' };

beforeAll(async () => {
  p = await startTestPlatform();
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  cam = await RawDevice.connect(p.url, { login_code: CAM.device_id, login_passwd: CAM.password, hardware_model: 'h', firmware_model: 'f' });
}, 60_000);
afterAll(async () => {
  cam?.close();
  await p?.cleanup();
});

/** Every file under `dir` whose name contains the marker (depth-limited: /tmp is shared). */
function markedFiles(dir: string, depth = 4): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const path = join(dir, n);
    if (n.includes(MARKER)) out.push(path);
    if (depth > 0) {
      try {
        if (statSync(path).isDirectory()) out = out.concat(markedFiles(path, depth - 1));
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

/** A path segment as a client would put it in a URL (the encoded forms are sent as they are). */
const seg = (s: string) => (/%[0-9a-f]{2}/i.test(s) ? s : encodeURIComponent(s));
const req = (path: string, init: RequestInit = {}) => fetch(`${p.url}${path}`, { ...init, ...INSECURE } as RequestInit);

describe('traversal', () => {
  for (const [what, bad] of TRAVERSALS) {
    it(`is refused as a trans_id, a device id and in every URL path that names something (${what})`, async () => {
      const statuses: Record<string, number> = {};
      const rpc = await p.api(`/api/devices/${CAM.device_id}/rpc`, {
        method: 'POST',
        body: JSON.stringify({ req: 'LogUploadAsync', params: { trans_id: bad, start: '2026-12-01T00:00:00', end: '2026-12-02T00:00:00' } }),
      });
      statuses.rpc = rpc.status;
      expect((await rpc.json()).detail).toContain('params.trans_id');
      const prov = await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify({ ...CAM, device_id: bad, mac_id: 'a0:b1:c2:d3:e5:51' }) });
      statuses.provision = prov.status;
      expect((await prov.json()).detail).toContain('device_id');
      const s = seg(bad);
      statuses.upload = (await req(`/upload/${s}`, { method: 'PUT', body: 'x' })).status;
      statuses.csUp = (await req(`/cs/up/${s}/${s}?e=9999999999&s=x`, { method: 'PUT', body: 'x' })).status;
      statuses.csSeg = (await req(`/cs/seg/${s}/${s}?e=9999999999&s=x`)).status;
      statuses.vr = (
        await req(`/live/cseg/${s}`, {
          method: 'POST',
          body: 'op=getcurrenttime',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Mac-Identity': CAM.mac_id },
        })
      ).status;
      statuses.media = (await req(`/media/live/${s}?token=x`)).status;
      statuses.asset = (await req(`/assets/${s}`)).status;
      statuses.deviceLog = (await p.api(`/api/devices/${CAM.device_id}/logs/${s}`)).status;
      statuses.device = (await p.api(`/api/devices/${s}`)).status;
      statuses.picture = (await p.api(`/api/devices/${CAM.device_id}/alarms/${s}/picture`)).status;
      statuses.actor = (await p.api(`/api/actors/${s}`)).status;
      for (const [where, status] of Object.entries(statuses)) expect({ where, status: status >= 400 && status < 500 }).toEqual({ where, status: true });
      expect(markedFiles(tmpdir())).toEqual([]);
    });
  }

  it('stores a legitimate log under the data dir, named by the platform, and serves it back', async () => {
    const call = p.api(`/api/devices/${CAM.device_id}/rpc`, {
      method: 'POST',
      body: JSON.stringify({ req: 'LogUploadAsync', params: { trans_id: 'job-7_a', start: '2026-12-01T00:00:00', end: '2026-12-02T00:00:00' } }),
    });
    const asked = await cam.next((f) => f.req === 'LogUploadAsync');
    expect(asked.params!.trans_id).toBe('job-7_a');
    const put = await fetch(String(asked.params!.url), { method: 'PUT', body: 'log line\n', ...INSECURE } as RequestInit);
    expect(put.status).toBe(201);
    cam.answer(asked.seq!, {});
    expect((await call).status).toBe(200);
    const files = (readdirSync(join(p.dataDir, 'files'), { recursive: true }) as string[]).filter((f) => f.endsWith('.log'));
    expect(files.length).toBe(1);
    expect(files[0]).toMatch(/^log\/CAM-PATHS\/[0-9a-f-]{36}\.log$/); // the platform's name, not the trans_id
    expect(relative(p.dataDir, join(p.dataDir, 'files', files[0]!)).startsWith('..')).toBe(false);
    const served = await p.api(`/api/devices/${CAM.device_id}/logs/job-7_a`);
    expect(await served.text()).toBe('log line\n');
  });
});
