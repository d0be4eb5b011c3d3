/**
 * Fair share on Vd (issue #19): one device flooding the platform costs bounded rows, bounded log lines, and does not
 * slow another user's RPC down.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { startTestPlatform, userToken, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';
import { VD_ALARM_BUDGET, VD_BIND_BUDGET, VD_LOGIN_BUDGET, VD_MESSAGE_BUDGET_DEFAULT, VD_OVERRUNS_TO_CLOSE } from '../../services/vd/vd-budget.ts';
import { LOG_LINES_PER_WINDOW } from '../../lib/log-limit.ts';

setDefaultTimeout(90_000);

/** The flood of the issue: 50,000 AlarmNotify in 5 s. */
const FLOOD_FRAMES = 50_000;
const FLOOD_MS = 5_000;
/** Frames sent per tick of the flood. */
const FLOOD_CHUNK = 500;
/** The other user's RPC round trip must stay under this. */
const RPC_ROUND_TRIP_MAX_MS = 1_000;

let p: TestPlatform;
const FLOODER = { device_id: 'CAM-FLOOD', password: 'flood-password', mac_id: 'a0:b1:c2:d3:e5:01' };
const VICTIM = { device_id: 'CAM-CALM', password: 'calm-password', mac_id: 'a0:b1:c2:d3:e5:02' };
const login = (d: typeof FLOODER) => ({ login_code: d.device_id, login_passwd: d.password, hardware_model: 'h', firmware_model: 'f' });
let alice: string;

beforeAll(async () => {
  p = await startTestPlatform();
  for (const d of [FLOODER, VICTIM]) expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(d) })).status).toBe(201);
  alice = await userToken(p, 'alice');
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
});

const alarm = { channel: 0, timestamp: 1_760_000_000, type: 3, state: 'pulse', desc: 'motion' };

describe('one device flooding Vd', () => {
  it("gets err 429 past its budget and is closed with 1008; its alarms, history and log lines stay bounded; another user's RPC stays fast", async () => {
    // Alice's own camera, which answers her RPCs.
    const calm = await RawDevice.connect(p.url, login(VICTIM));
    const { bind_code } = await (await p.api('/api/bind-codes', { method: 'POST', token: alice })).json();
    calm.event('Bind', { bind_id: bind_code });
    await until(
      async () => (await p.api('/api/devices', { token: alice })).json(),
      (b) => b.devices.length === 1,
    );
    const answering = (async () => {
      while (!calm.closed) {
        const req = await calm.next((f) => f.req === 'QueryTime', 500).catch(() => undefined);
        if (req) calm.answer(req.seq!, { datetime: '2026-12-05T10:00:00', tz: 0 });
      }
    })();

    const linesBefore = p.lines.length;
    let sent = 0;
    let closes = 0;
    let overBudget = 0;
    const t0 = performance.now();
    let loginsRefused = 0;
    const flood = (async () => {
      let d = await RawDevice.connect(p.url, login(FLOODER));
      let counted = false;
      while (sent < FLOOD_FRAMES) {
        if (d.closed) {
          if (!counted) {
            expect(d.closed.code).toBe(1008);
            closes++;
            overBudget += d.frames.filter((f) => f.err?.code === 429).length;
            counted = true;
          }
          // Reconnect at once, as a broken camera would: the platform refuses logins past the device's budget.
          const again = await RawDevice.connect(p.url, login(FLOODER)).catch(() => undefined);
          if (!again) {
            loginsRefused++;
            sent += FLOOD_CHUNK; // what it would have sent meanwhile
            await Bun.sleep(FLOOD_MS / (FLOOD_FRAMES / FLOOD_CHUNK));
            continue;
          }
          d = again;
          counted = false;
        }
        for (let i = 0; i < FLOOD_CHUNK && sent < FLOOD_FRAMES && !d.closed; i++, sent++) d.request('AlarmNotify', alarm);
        const due = t0 + (sent / FLOOD_FRAMES) * FLOOD_MS;
        await Bun.sleep(Math.max(0, due - performance.now()));
      }
      await Bun.sleep(200);
      overBudget += d.frames.filter((f) => f.err?.code === 429).length;
      d.close();
    })();

    const trips: number[] = [];
    while (performance.now() - t0 < FLOOD_MS + 500) {
      const s = performance.now();
      const r = await p.api(`/api/devices/${VICTIM.device_id}/rpc`, { token: alice, method: 'POST', body: JSON.stringify({ req: 'QueryTime' }) });
      expect(r.status).toBe(200);
      trips.push(performance.now() - s);
      await Bun.sleep(100);
    }
    await flood;
    const elapsedS = (performance.now() - t0) / 1000;
    calm.close();
    await calm.waitClosed();
    await answering;

    expect(sent).toBe(FLOOD_FRAMES);
    expect(closes).toBeGreaterThan(0);
    expect(overBudget).toBeGreaterThan(0);
    expect(Math.max(...trips)).toBeLessThan(RPC_ROUND_TRIP_MAX_MS);

    // Alarm rows: the alarm budget's burst and what it refilled meanwhile, never the flood.
    const alarmsMax = VD_ALARM_BUDGET.burst + Math.ceil(elapsedS * VD_ALARM_BUDGET.ratePerS) + 1;
    const stored = (await (await p.api(`/api/devices/${FLOODER.device_id}/alarms?limit=1000`)).json()).alarms;
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThanOrEqual(alarmsMax);
    const history = (await (await p.api(`/api/actors/pu:${FLOODER.device_id}/history?limit=1000`)).json()).events;
    const loginsMax = VD_LOGIN_BUDGET.burst + Math.ceil(elapsedS * VD_LOGIN_BUDGET.ratePerS) + 1;
    expect(loginsRefused).toBeGreaterThan(0);
    expect(history.length).toBeLessThanOrEqual(alarmsMax + 2 * loginsMax + 5); // alarms, logins and disconnections, creation
    // Log lines: a few per kind and window, and summaries.
    const flooderLines = p.lines.slice(linesBefore).filter((l) => l.includes(FLOODER.device_id));
    expect(flooderLines.length).toBeLessThan(20 * LOG_LINES_PER_WINDOW + 2 * loginsMax);
    console.log(
      `flood: ${sent} frames in ${elapsedS.toFixed(1)} s, ${closes} policy closes, ${overBudget} err 429 seen, ` +
        `${loginsRefused} logins refused, ${stored.length} alarm rows (max ${alarmsMax}), ${history.length} history rows, ${flooderLines.length} log lines; ` +
        `other user's RPC round trip max ${Math.max(...trips).toFixed(1)} ms over ${trips.length}`,
    );
  });

  it('refuses Bind attempts past a handful a minute', async () => {
    const d = await RawDevice.connect(p.url, login(VICTIM));
    for (let i = 0; i < VD_BIND_BUDGET.burst + 3; i++) d.event('Bind', { bind_id: `WRONG${i}` });
    const a = await until(
      async () => (await p.api(`/api/actors/pu:${VICTIM.device_id}`)).json(),
      (v) => Boolean(v.context.lastBindRejected),
    );
    expect(a.context.lastBindRejected.reason).toContain('bind code');
    await Bun.sleep(500);
    const rejected = (await (await p.api(`/api/actors/pu:${VICTIM.device_id}/history?limit=1000`)).json()).events.filter(
      (e: { event: { type: string } }) => e.event.type === 'bind.rejected',
    );
    expect(rejected.length).toBeLessThanOrEqual(VD_BIND_BUDGET.burst);
    d.close();
  });

  it('answers a device within its message budget normally, whatever the burst', async () => {
    const d = await RawDevice.connect(p.url, login(VICTIM));
    const seqs = Array.from({ length: VD_MESSAGE_BUDGET_DEFAULT.burst / 2 }, () => d.request('Keepalive', { state: 1, channels: [] }));
    for (const seq of seqs) expect((await d.next((f) => f.seq === seq && f.req === undefined)).resp).toEqual({});
    expect(d.closed).toBeUndefined();
    expect(VD_OVERRUNS_TO_CLOSE).toBeGreaterThan(0);
    d.close();
  });
});
