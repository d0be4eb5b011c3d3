/**
 * What the pu decides from a Keepalive (NOTES 2; issue #20 point 3), over a real platform and a raw Vd
 * socket: a stream the platform never asked for is told to stop, a record session the camera stopped
 * reporting is started again, and both show in the pu's and the session's history.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(60_000);

let p: TestPlatform;
let cam: RawDevice;
const CAM = { device_id: 'CAM-DECIDE', password: 'decide-password', mac_id: 'a0:b1:c2:d3:e6:01', channels: [0, 1] };
const login = { login_code: CAM.device_id, login_passwd: CAM.password, hardware_model: 'h', firmware_model: 'f' };
const history = async (id: string) =>
  (await (await p.api(`/api/actors/${id}/history?limit=1000`)).json()).events as Array<{ event: Record<string, unknown>; context: Record<string, unknown> }>;

beforeAll(async () => {
  p = await startTestPlatform();
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  cam = await RawDevice.connect(p.url, login);
}, 60_000);
afterAll(async () => {
  cam?.close();
  await p?.cleanup();
});

describe('the pu reads Keepalive against what the platform asked for', () => {
  it('sends StopLive once for a stream the platform never asked for', async () => {
    await cam.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, stream_id: 'not-ours' }] });
    const stop = await cam.next((f) => f.req === 'StopLive', 10_000);
    expect(stop.params).toEqual({ stream_id: 'not-ours', channel: 0 });
    cam.answer(stop.seq!, {});
    const pu = await until(
      async () => (await (await p.api(`/api/actors/pu:${CAM.device_id}`)).json()).context,
      (c) => c.lastCommand?.name === 'StopLive' && c.lastCommand?.ok === true,
    );
    expect(pu.lastCommand.reqId).toContain(':stop-unexpected:0:');
    // The same report again is not news: no second StopLive for it, while the next new stream gets its own
    // (the pu decides in order, so by then any second StopLive for the first would have come).
    await cam.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, stream_id: 'not-ours' }] });
    await cam.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, stream_id: 'not-ours-either' }] });
    const next = await cam.next((f) => f.req === 'StopLive', 10_000);
    expect(next.params).toEqual({ stream_id: 'not-ours-either', channel: 0 });
    cam.answer(next.seq!, {});
    expect(cam.frames.filter((f) => f.req === 'StopLive')).toEqual([]);
  });

  it('starts a record session again when the camera stops reporting it', async () => {
    const started = await p.api(`/api/devices/${CAM.device_id}/channels/1/recording`, { method: 'POST', body: JSON.stringify({}) });
    expect(started.status).toBe(201);
    const { recording_id, session_id } = await started.json();
    const first = await cam.next((f) => f.req === 'StartRecord', 10_000);
    expect(first.params?.session_id).toBe(session_id);
    cam.answer(first.seq!, {});
    await until(
      async () => (await (await p.api(`/api/actors/${recording_id}`)).json()).stateKey,
      (s) => s === 'recording',
    );
    // The pu learnt of the session from the session itself.
    const pu = (await (await p.api(`/api/actors/pu:${CAM.device_id}`)).json()).context;
    expect(pu.recordings[recording_id]).toEqual({ channel: 1, sessionId: session_id });
    await cam.call('Keepalive', { state: 1, channels: [{ channel: 1, state: 1, record_session: session_id }] });
    await cam.call('Keepalive', { state: 1, channels: [{ channel: 1, state: 1 }] });
    const again = await cam.next((f) => f.req === 'StartRecord' && f.seq !== first.seq, 10_000);
    expect(again.params?.session_id).toBe(session_id);
    cam.answer(again.seq!, {});
    const h = await history(recording_id);
    expect(h.map((e) => e.event.type)).toContain('record.resync');
    expect(h.find((e) => e.event.type === 'record.resync')!.event.reason).toBe(`the PU no longer reports record session ${session_id}`);
  });
});
