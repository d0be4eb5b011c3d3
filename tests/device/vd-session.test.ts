/** The PU's Vd framing (H.627.2 9.3.2.1, Tables 9-1 and 9-2): seq, answers in order, timeouts. */
import { describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { RPC_TIMEOUT_S, VD_ERR } from '../../protocol/index.ts';
import { VdRemoteError, VdSession, type VdAnswer, type VdTraffic } from '../../device/vd-session.ts';

/** A session over a socket that keeps what was sent. */
function session(onRequest: (name: string, params: unknown) => Promise<VdAnswer> = async () => ({ resp: {} })) {
  const clock = new SimulatedClock();
  const frames: unknown[] = [];
  const events: [string, unknown][] = [];
  const traffic: VdTraffic[] = [];
  const s = new VdSession({
    socket: { send: (text) => frames.push(JSON.parse(text)) },
    clock,
    onRequest,
    onEvent: (name, params) => events.push([name, params]),
    onTraffic: (t) => traffic.push(t),
  });
  return { s, clock, frames, events, traffic };
}

const tick = () => Bun.sleep(0);
const keepalive = { mac_id: 'a0b1c2d3e4f5', state: 1 as const, channels: [{ channel: 0, state: 1 as const }] };

describe('Vd session', () => {
  it('numbers its own requests 1, 2, 3… and resolves each with its answer', async () => {
    const { s, frames } = session();
    const a = s.request('Keepalive', keepalive);
    const b = s.request('GetServerInfo', { mac_id: 'a0b1c2d3e4f5', state: 1 });
    expect(frames).toEqual([
      { req: 'Keepalive', params: keepalive, seq: 1 },
      { req: 'GetServerInfo', params: { mac_id: 'a0b1c2d3e4f5', state: 1 }, seq: 2 },
    ]);
    s.receive('{"seq":2,"resp":{"hb_interval":30}}');
    s.receive('{"seq":1,"resp":{}}');
    expect(await b).toEqual({ hb_interval: 30 });
    expect(await a).toEqual({});
  });

  it('rejects with the platform err code', async () => {
    const { s } = session();
    const a = s.request('AlarmNotify', { channel: 0, timestamp: 1, type: 3, state: 'start', desc: '' });
    s.receive('{"seq":1,"err":{"code":500,"msg":"db down"}}');
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VdRemoteError);
    expect(err).toMatchObject({ code: 500 });
  });

  it('rejects an answer the catalog does not accept', async () => {
    const { s } = session();
    const a = s.request('GetServerInfo', {});
    s.receive('{"seq":1,"resp":{"hb_interval":0}}');
    await expect(a).rejects.toThrow('answer invalid: resp.hb_interval');
  });

  it('gives up on a request unanswered for 20 s', async () => {
    const { s, clock } = session();
    const a = s.request('Keepalive', keepalive);
    clock.increment(RPC_TIMEOUT_S * 1_000);
    await expect(a).rejects.toThrow('unanswered for 20 s');
  });

  it('fails pending requests when the connection closes', async () => {
    const { s } = session();
    const a = s.request('Keepalive', keepalive);
    s.close('socket closed (1006)');
    await expect(a).rejects.toThrow('closed');
    expect(() => s.event('Bind', { bind_id: 'x' })).toThrow('closed');
  });

  it('answers platform requests in arrival order even when a later one finishes first', async () => {
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const { s, frames } = session(async (name) => {
      if (name === 'Snapshot') await slow;
      return { resp: { name } };
    });
    s.receive('{"req":"Snapshot","params":{"channel":0,"url":"https://p/x"},"seq":10}');
    s.receive('{"req":"QueryTime","seq":11}');
    await tick();
    expect(frames).toEqual([]);
    releaseSlow();
    await tick();
    expect(frames).toEqual([
      { seq: 10, resp: { name: 'Snapshot' } },
      { seq: 11, resp: { name: 'QueryTime' } },
    ]);
  });

  it('answers err as an err frame, and a handler that throws with err 500', async () => {
    const { s, frames } = session(async (name) => {
      if (name === 'A') return { err: { code: 102, msg: 'channel 3 does not exist' } };
      throw new Error('boom');
    });
    s.receive('{"req":"A","seq":1}');
    s.receive('{"req":"B","seq":2}');
    await tick();
    expect(frames).toEqual([
      { seq: 1, err: { code: 102, msg: 'channel 3 does not exist' } },
      { seq: 2, err: { code: VD_ERR.SERVER_ERROR, msg: 'boom' } },
    ]);
  });

  it('answers err 400 to a malformed request whose seq it can read, and ignores other garbage', async () => {
    const { s, frames, traffic } = session();
    s.receive('{"req":"GetConfig","params":[1],"seq":5}');
    s.receive('not json');
    s.receive('{"seq":99,"resp":{}}'); // an answer to nothing
    await tick();
    expect(frames).toEqual([{ seq: 5, err: { code: 400, msg: 'params not an object' } }]);
    expect(traffic.filter((t) => t.kind === 'invalid').map((t) => t.reason)).toEqual(['params not an object', 'not JSON', 'answer to unknown seq 99']);
  });

  it('hands events to the event handler and sends its own without seq', () => {
    const { s, frames, events } = session();
    s.receive('{"event":"CtrlPTZ","params":{"channel":0,"op":"left"}}');
    s.event('BatteryChange', { battery: 40 });
    expect(events).toEqual([['CtrlPTZ', { channel: 0, op: 'left' }]]);
    expect(frames).toEqual([{ event: 'BatteryChange', params: { battery: 40 } }]);
  });

  it('drops answers still queued when the connection closes', async () => {
    const { s, frames } = session();
    s.receive('{"req":"QueryTime","seq":1}');
    s.close('bye');
    await tick();
    expect(frames).toEqual([]);
  });
});
