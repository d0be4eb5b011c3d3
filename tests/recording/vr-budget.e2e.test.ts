/** Vr requests per record session are budgeted (issue #19): a runaway camera gets 429 with Retry-After. */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { VR_SESSION_BUDGET } from '../../services/recording/recording-vr.ts';
import { captureRecording, onlineCam, until, userToken, VrClient, type TestCam } from './helpers.ts';

setDefaultTimeout(90_000);

let p: TestPlatform;
let cam: TestCam;
let vr: VrClient;

beforeAll(async () => {
  p = await startTestPlatform();
  const alice = await userToken(p, 'alice');
  const rec = captureRecording();
  cam = await onlineCam(p, 'CAM-VRB', 'a0:b1:c2:d3:e5:40', rec.hooks, alice);
  expect((await p.api(`/api/devices/${cam.id}/channels/0/recording`, { method: 'POST', token: alice, body: '{}' })).status).toBe(201);
  await until(
    () => rec.starts.length,
    (n) => n === 1,
    10_000,
    'StartRecord',
  );
  vr = new VrClient(rec.starts[0]!.cbk_url, cam.mac);
}, 90_000);
afterAll(async () => {
  await cam?.dev.stop();
  await p?.cleanup();
});

describe('Vr budget', () => {
  it('answers past the session budget with 429 and Retry-After in {info}', async () => {
    const replies = await Promise.all(Array.from({ length: VR_SESSION_BUDGET.burst + 50 }, () => vr.post({ op: 'getcurrenttime' })));
    const limited = replies.filter((r) => r.status === 429);
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(VR_SESSION_BUDGET.burst);
    expect(limited.length).toBeGreaterThan(0);
    expect(String(limited[0]!.body.info)).toContain('too many Vr requests');
    expect(Number(limited[0]!.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
  });
});
