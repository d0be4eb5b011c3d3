/**
 * Bounded growth from requests anyone can send (issue #19): Vs is rate-limited per address and writes no history
 * unless the device's state changes; every body is limited before it is read, chunked ones included.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { INSECURE, startTestPlatform, userToken, type TestPlatform } from '../helpers/platform.ts';
import { VS_ADDRESS_BUDGET } from '../../routes/vs.routes.ts';
import { API_BODY_MAX_BYTES } from '../../routes/app.ts';
import { VR_MAX_FORM_BYTES } from '../../protocol/constants.ts';
import { API_USER_BUDGET } from '../../routes/auth.ts';
import { BIND_CODES_OPEN_MAX } from '../../services/devices/bind.ts';

setDefaultTimeout(60_000);

let p: TestPlatform;
const CAM = { device_id: 'CAM-VS', password: 'vs-password', mac_id: 'a0:b1:c2:d3:e5:20' };

beforeAll(async () => {
  p = await startTestPlatform();
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

/** A body of `total` bytes sent chunked (no Content-Length), counting what the server pulled. */
function chunkedBody(total: number, chunk = 64 * 1024) {
  const pulled = { bytes: 0 };
  const block = new Uint8Array(chunk).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (pulled.bytes >= total) return ctl.close();
      pulled.bytes += chunk;
      ctl.enqueue(block);
    },
  });
  return { body, pulled };
}

describe('Vs from one address', () => {
  it('writes no history for repeated calls, and answers 429 with Retry-After past the budget', async () => {
    const vs = () => fetch(`${p.url}/Vs/getServerAddr?macid=${CAM.mac_id}`, INSECURE as RequestInit);
    const first = await vs();
    expect(first.status).toBe(200);
    const rows = async () => (await (await p.api(`/api/actors/pu:${CAM.device_id}/history?limit=1000`)).json()).events.length;
    const afterFirst = await rows();
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: VS_ADDRESS_BUDGET.burst + 50 }, () => vs()));
    const refilled = Math.ceil(((performance.now() - t0) / 1000) * VS_ADDRESS_BUDGET.ratePerS);
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect((await limited[0]!.json()).info).toContain('too many Vs requests');
    expect(answers.filter((r) => r.status === 200).length).toBeLessThanOrEqual(VS_ADDRESS_BUDGET.burst + refilled);
    expect(await rows()).toBe(afterFirst); // provisioned → scheduled was the one row; repeats add none
  });
});

describe('bodies', () => {
  it('refuses a 100 MB chunked Vr body after reading at most a little of it', async () => {
    const { body, pulled } = chunkedBody(100 * 1024 * 1024);
    const r = await fetch(`${p.url}/live/cseg/anything`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      ...INSECURE,
    } as RequestInit);
    expect(r.status).toBe(413);
    expect((await r.json()).info).toContain(`limit ${VR_MAX_FORM_BYTES} bytes`);
    expect(pulled.bytes).toBeLessThan(16 * 1024 * 1024); // the client's buffers, not 100 MB
  });

  it('refuses a chunked API body over the limit, and an oversized declared one, with 413', async () => {
    const { body } = chunkedBody(4 * API_BODY_MAX_BYTES);
    const r = await p.api('/api/admin/users', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(r.status).toBe(413);
    const declared = await p.api('/api/session', { method: 'POST', body: 'x'.repeat(API_BODY_MAX_BYTES + 1) });
    expect(declared.status).toBe(413);
    // Bodies on routes that take none are limited too.
    const stray = await fetch(`${p.url}/healthz`, { method: 'POST', body: chunkedBody(4 * API_BODY_MAX_BYTES).body, ...INSECURE } as RequestInit);
    expect([404, 413]).toContain(stray.status);
  });
});

describe('a signed-in user', () => {
  let token: string;
  beforeAll(async () => {
    token = await userToken(p, 'carol');
  });

  it('holds at most BIND_CODES_OPEN_MAX unused bind codes', async () => {
    for (let i = 0; i < BIND_CODES_OPEN_MAX; i++) expect((await p.api('/api/bind-codes', { method: 'POST', token })).status).toBe(201);
    const over = await p.api('/api/bind-codes', { method: 'POST', token });
    expect(over.status).toBe(429);
    expect((await over.json()).detail).toContain(`at most ${BIND_CODES_OPEN_MAX} unused bind codes`);
  });

  it('is limited to its API budget, with Retry-After, while admins and other users are not held back', async () => {
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: 3 * API_USER_BUDGET.burst }, () => p.api('/api/me', { token })));
    const refilled = Math.ceil(((performance.now() - t0) / 1000) * API_USER_BUDGET.ratePerS);
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((r) => r.status === 200).length).toBeLessThanOrEqual(API_USER_BUDGET.burst + refilled);
    expect(Number(limited[0]!.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect((await p.api('/api/devices')).status).toBe(200); // the admin token
  });
});
