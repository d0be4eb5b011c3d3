/**
 * An RPC that wakes a sleeping camera fits the HTTP idle timeout (issue #22 point 4): a camera that takes most of
 * WAKE_TIMEOUT_S (20 s, the default) to wake and then most of RPC_TIMEOUT_S (20 s) to answer keeps the API caller
 * waiting longer than the server's idle timeout (HTTP_IDLE_TIMEOUT_S, 30 s): the request's own idle timeout is raised
 * for it (routes/idle-timeout.ts), so the caller gets the answer instead of a dropped connection.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { asleepCamera, wokenLogin } from '../helpers/asleep.ts';
import { HTTP_IDLE_TIMEOUT_S } from '../../boot/start.ts';
import { DEFAULT_WAKE_TIMEOUT_S } from '../../lib/config.ts';
import { RPC_TIMEOUT_S } from '../../protocol/constants.ts';

setDefaultTimeout(90_000);

/** How long the camera takes to log in after TOWAKEUP, and then to answer, ms: each within its bound, together past the idle timeout. */
const WAKE_MS = (DEFAULT_WAKE_TIMEOUT_S - 2) * 1000;
const ANSWER_MS = (RPC_TIMEOUT_S - 2) * 1000;

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({});
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

describe('an RPC to a sleeping camera and the HTTP idle timeout', () => {
  it('answers after a slow wake and a slow answer, longer than the server idle timeout, with the camera answer', async () => {
    expect(WAKE_MS + ANSWER_MS).toBeGreaterThan(HTTP_IDLE_TIMEOUT_S * 1000 + 4000); // past it, beyond uWS's 4 s timer granularity
    const c = { device_id: 'CAM-IDLE-1', password: 'cam-password-idle', mac_id: 'a0:b1:c2:d3:e9:01' };
    const s = await asleepCamera(p, c);
    const asked = Date.now();
    const answer = p.api(`/api/devices/${c.device_id}/rpc`, { method: 'POST', body: JSON.stringify({ req: 'GetConfig' }) });
    await s.link.nextWake(0);
    await Bun.sleep(WAKE_MS - (Date.now() - asked));
    const vd = await wokenLogin(p, c);
    const req = await vd.next((f) => f.req === 'GetConfig');
    await Bun.sleep(ANSWER_MS);
    vd.answer(req.seq!, { log_level: 3 });
    const r = await answer;
    const took = Date.now() - asked;
    expect(took).toBeGreaterThan(HTTP_IDLE_TIMEOUT_S * 1000);
    expect(r.status).toBe(200);
    expect(JSON.stringify(await r.json())).toContain('log_level');
    console.log(`RPC through a wake answered after ${took} ms (server idle timeout ${HTTP_IDLE_TIMEOUT_S} s)`);
    s.stop();
    vd.close();
  });
});
