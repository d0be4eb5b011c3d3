/** `/metrics` behind METRICS_TOKEN when it is set (issue #19). */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const TOKEN = 'metrics-token-0123456789';
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ METRICS_TOKEN: TOKEN });
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

const metrics = (auth?: string) => fetch(`${p.url}/metrics`, { headers: auth ? { Authorization: `Bearer ${auth}` } : {}, ...INSECURE } as RequestInit);

describe('/metrics with METRICS_TOKEN', () => {
  it('answers 401 without the token or with a wrong one, and the figures with it or the admin token', async () => {
    const none = await metrics();
    expect(none.status).toBe(401);
    expect((await none.json()).detail).toContain('METRICS_TOKEN');
    expect((await metrics('wrong-token-0123456789')).status).toBe(401);
    const ok = await metrics(TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('h627_vd_connections');
    expect((await metrics(p.adminToken)).status).toBe(200);
  });
});
