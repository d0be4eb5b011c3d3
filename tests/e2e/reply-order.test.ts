/**
 * H.627.2 9.3.2.1.1: each side answers requests in the order they arrived. Issue #22 found an AlarmNotify (seq 1,
 * answered after its row is stored) followed by five Keepalives (answered at once) answered last: 2, 3, 4, 5, 6, 1.
 * Over a real WebSocket to a real platform process, on PGlite and on PostgreSQL (DATABASE_URL).
 * Before the fix (routes/vd.routes.ts of 9171f77) every test here fails on PostgreSQL, where storing the alarm is a
 * round trip to another process. On PGlite they passed already: its insert completes in the same turn of the event
 * loop, before the next frame is read, even when all frames arrive in one read (the burst test); they hold it there.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { provisionDevice, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { BurstDevice } from '../helpers/vd-burst.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(60_000);

const CAM = { device_id: 'CAM-ORDER', password: 'order-password', mac_id: 'a0:b1:c2:d3:e6:01' };
const login = { login_code: CAM.device_id, login_passwd: CAM.password, hardware_model: 'h', firmware_model: 'f' };
const alarm = { channel: 0, timestamp: 1_760_000_000, type: 3, state: 'pulse', desc: 'motion' };
const keepalive = { state: 1, channels: [{ channel: 0, state: 1 }] };
/** Keepalives sent behind the AlarmNotify, as in the issue. */
const KEEPALIVES = 5;
/** Rounds of the case: one could pass by luck of timing; several in a row cannot. */
const ROUNDS = 5;

let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform();
  await provisionDevice(p, CAM);
}, 60_000);
afterAll(() => p?.cleanup());

/** The seqs of the next `n` answers (resp or err), in the order they arrived. */
async function answerOrder(d: RawDevice, n: number): Promise<number[]> {
  await until(
    async () => d.frames.filter((f) => f.req === undefined && f.seq !== undefined).length,
    (k) => k >= n,
  );
  const answers = d.frames.filter((f) => f.req === undefined && f.seq !== undefined);
  d.frames.splice(0, d.frames.length);
  return answers.map((f) => f.seq!);
}

describe('reply order on one Vd connection (9.3.2.1.1)', () => {
  it('answers an AlarmNotify followed by five Keepalives in the order they arrived', async () => {
    const d = await RawDevice.connect(p.url, login);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const sent = [d.request('AlarmNotify', alarm)];
        for (let i = 0; i < KEEPALIVES; i++) sent.push(d.request('Keepalive', keepalive));
        expect(await answerOrder(d, sent.length)).toEqual(sent);
      }
    } finally {
      d.close();
    }
  });

  it('keeps the order when an early request is refused (bad params) and a later one is stored', async () => {
    const d = await RawDevice.connect(p.url, login);
    try {
      const sent = [
        d.request('AlarmNotify', alarm),
        d.request('Keepalive', { state: 'bad' }),
        d.request('AlarmNotify', alarm),
        d.request('Keepalive', keepalive),
      ];
      expect(await answerOrder(d, sent.length)).toEqual(sent);
    } finally {
      d.close();
    }
  });

  it('answers in order when the requests arrive in one read (an AlarmNotify still being stored while the Keepalives are read)', async () => {
    const d = await BurstDevice.connect(p.url, login);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const base = round * (KEEPALIVES + 1);
        const frames = [JSON.stringify({ req: 'AlarmNotify', params: alarm, seq: base + 1 })];
        for (let i = 2; i <= KEEPALIVES + 1; i++) frames.push(JSON.stringify({ req: 'Keepalive', params: keepalive, seq: base + i }));
        const before = d.texts.length;
        d.burst(frames);
        const answers = await until(
          async () =>
            d.texts
              .slice(before)
              .map((t) => JSON.parse(t) as { req?: string; seq?: number })
              .filter((f) => f.req === undefined),
          (a) => a.length >= frames.length,
        );
        expect(answers.map((f) => f.seq)).toEqual(frames.map((_, i) => base + i + 1));
      }
    } finally {
      d.close();
    }
  });
});
