/**
 * The bound of waiting answers on one Vd connection (services/vd/vd-reply-order.ts), over a real WebSocket to the
 * real Vd route on Bun.serve. Its inbound handlers are stand-ins, so that an AlarmNotify's answer waits for as long
 * as the test says: no database can hold an answer that long on purpose (this test needs none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Server } from 'bun';
import { Hono } from 'hono';
import { vdRoutes } from '../../routes/vd.routes.ts';
import { websocketAdapter, type SocketData } from '../../routes/ws.ts';
import { silentLog } from '../../lib/log.ts';
import { LogLimiter } from '../../lib/log-limit.ts';
import { CLOSE_POLICY, VdConnections } from '../../services/vd/vd-connections.ts';
import { VdBudgets } from '../../services/vd/vd-budget.ts';
import { VD_REPLIES_PENDING_MAX } from '../../services/vd/vd-reply-order.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';

/** A budget no test here reaches: the bound under test is the reply queue's, not the message budget's. */
const ROOMY_BUDGET = { ratePerS: 100_000, burst: 100_000 };

let server: Server<SocketData>;
let url: string;
/** Answers the stand-in AlarmNotify handler has not given yet. */
const held: Array<(resp: unknown) => void> = [];

beforeAll(() => {
  const vd = new VdConnections(silentLog, new VdBudgets(ROOMY_BUDGET));
  const deps = {
    auth: { login: async (q: { login_code: string }) => ({ ok: true as const, deviceId: q.login_code, macId: 'A0B1C2D3E4F5' }) },
    vd,
    inbound: (name: string) => (name === 'AlarmNotify' ? new Promise((resolve) => held.push(resolve)) : {}),
    host: { takeOver: async () => {}, send: () => {}, sendSoon: () => {} },
    live: { sweepMoved: async () => {} },
    sdplay: { ranHere: () => false },
    log: silentLog,
    rateLog: new LogLimiter(silentLog),
  };
  const app = new Hono<{ Bindings: Server<SocketData> }>().route('/', vdRoutes(deps as unknown as Parameters<typeof vdRoutes>[0]));
  server = Bun.serve<SocketData>({ port: 0, fetch: (req, srv) => app.fetch(req, srv), websocket: websocketAdapter(silentLog) });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(() => {
  server?.stop(true);
});

const login = (id: string) => ({ login_code: id, login_passwd: 'x', hardware_model: 'h', firmware_model: 'f' });
const keepalive = { state: 1, channels: [{ channel: 0, state: 1 }] };
const alarm = { channel: 0, timestamp: 1_760_000_000, type: 3, state: 'pulse', desc: 'motion' };
const answers = (d: RawDevice) => d.frames.filter((f) => f.req === undefined && f.seq !== undefined).map((f) => f.seq);

describe('the bound of waiting answers', () => {
  it('holds answers behind a pending one, releases them in order, and leaves another connection alone', async () => {
    const slow = await RawDevice.connect(url, login('CAM-SLOW'));
    const other = await RawDevice.connect(url, login('CAM-OTHER'));
    slow.request('AlarmNotify', alarm);
    for (let i = 0; i < 3; i++) slow.request('Keepalive', keepalive);
    await until(
      async () => held.length,
      (n) => n === 1,
    );
    // Another device's keepalive is answered while CAM-SLOW's answers wait.
    expect(await other.call('Keepalive', keepalive)).toMatchObject({ seq: 1, resp: {} });
    expect(answers(slow)).toEqual([]);
    held.shift()!({});
    await until(
      async () => answers(slow),
      (a) => a.length === 4,
    );
    expect(answers(slow)).toEqual([1, 2, 3, 4]);
    slow.close();
    other.close();
  });

  it(`closes with 1008 a connection that would leave more than ${VD_REPLIES_PENDING_MAX} answers waiting, answering none of its queue`, async () => {
    const flood = await RawDevice.connect(url, login('CAM-FLOOD'));
    flood.request('AlarmNotify', alarm);
    for (let i = 0; i < VD_REPLIES_PENDING_MAX; i++) flood.request('Keepalive', keepalive);
    expect((await flood.waitClosed()).code).toBe(CLOSE_POLICY);
    expect(flood.closed!.reason).toBe(`more than ${VD_REPLIES_PENDING_MAX} answers waiting`);
    expect(answers(flood)).toEqual([]); // the first answer never came, so none behind it left
    held.shift()!({}); // a late answer to a closed connection goes nowhere
  });

  it(`keeps a connection whose waiting answers stay at ${VD_REPLIES_PENDING_MAX}`, async () => {
    const d = await RawDevice.connect(url, login('CAM-EDGE'));
    d.request('AlarmNotify', alarm);
    for (let i = 1; i < VD_REPLIES_PENDING_MAX; i++) d.request('Keepalive', keepalive);
    await until(
      async () => held.length,
      (n) => n === 1,
    );
    await Bun.sleep(200);
    expect(d.closed).toBeUndefined();
    held.shift()!({});
    await until(
      async () => answers(d).length,
      (n) => n === VD_REPLIES_PENDING_MAX,
    );
    expect(answers(d)).toEqual(Array.from({ length: VD_REPLIES_PENDING_MAX }, (_, i) => i + 1));
    d.close();
  });
});
