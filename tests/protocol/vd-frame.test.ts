import { describe, expect, it } from 'bun:test';
import {
  parseVdFrame,
  VD_ERR,
  VD_ERR_MSG_MAX_CHARS,
  VD_MAX_FRAME_BYTES,
  VD_NAME_MAX_CHARS,
  vdError,
  vdEvent,
  vdRequest,
  vdResponse,
  type VdParams,
  type VdResp,
} from '../../protocol/index.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseVdFrame: the four frame kinds of 9.3.2.1', () => {
  it('reads an RPC request with params', () => {
    expect(parseVdFrame('{"req":"Keepalive","params":{"state":1,"channels":[]},"seq":7}')).toEqual({
      kind: 'request',
      req: 'Keepalive',
      seq: 7,
      params: { state: 1, channels: [] },
    });
  });

  it('reads an RPC request without params as params undefined', () => {
    expect(parseVdFrame('{"req":"GetServerInfo","seq":0}')).toEqual({ kind: 'request', req: 'GetServerInfo', seq: 0, params: undefined });
  });

  it('reads "params": null as no params', () => {
    expect(parseVdFrame('{"req":"GetServerInfo","params":null,"seq":1}')).toMatchObject({ kind: 'request', params: undefined });
  });

  it('reads a successful answer', () => {
    expect(parseVdFrame('{"seq":7,"resp":{}}')).toEqual({ kind: 'response', seq: 7, resp: {} });
  });

  it('passes a non-object answer through for the message schema to judge (OVC preset list)', () => {
    expect(parseVdFrame('{"seq":8,"resp":[{"id":1}]}')).toEqual({ kind: 'response', seq: 8, resp: [{ id: 1 }] });
  });

  it('reads a failed answer', () => {
    expect(parseVdFrame('{"seq":9,"err":{"code":11,"msg":"stream too large"}}')).toEqual({ kind: 'error', seq: 9, err: { code: 11, msg: 'stream too large' } });
  });

  it('keeps the code of a failed answer that has no msg', () => {
    expect(parseVdFrame('{"seq":9,"err":{"code":101}}')).toEqual({ kind: 'error', seq: 9, err: { code: 101, msg: '' } });
  });

  it('reads an event with and without params', () => {
    expect(parseVdFrame('{"event":"BatteryChange","params":{"battery":40}}')).toEqual({ kind: 'event', event: 'BatteryChange', params: { battery: 40 } });
    expect(parseVdFrame('{"event":"RebootDevice"}')).toEqual({ kind: 'event', event: 'RebootDevice', params: undefined });
  });

  it('reads binary frames: Uint8Array and ArrayBuffer', () => {
    const data = bytes('{"event":"Bind","params":{"bind_id":"K7"}}');
    expect(parseVdFrame(data)).toMatchObject({ kind: 'event', event: 'Bind' });
    expect(parseVdFrame(data.slice().buffer)).toMatchObject({ kind: 'event', event: 'Bind' });
  });

  it('leaves unknown message names to the catalog (they are valid frames)', () => {
    expect(parseVdFrame('{"req":"LivePublish","params":{},"seq":3}')).toMatchObject({ kind: 'request', req: 'LivePublish', seq: 3 });
  });
});

describe('parseVdFrame: invalid frames name what is wrong', () => {
  const cases: Array<[string, string | Uint8Array, { reason: string; seq?: number }]> = [
    ['text that is not JSON', '{"req":', { reason: 'not JSON' }],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), { reason: 'not UTF-8' }],
    ['a JSON array', '[1,2]', { reason: 'not a JSON object' }],
    ['a JSON string', '"Keepalive"', { reason: 'not a JSON object' }],
    ['JSON null', 'null', { reason: 'not a JSON object' }],
    ['a request without seq', '{"req":"Keepalive","params":{}}', { reason: 'missing seq' }],
    ['a request whose seq is a string', '{"req":"Keepalive","seq":"7"}', { reason: 'seq not an integer' }],
    ['a request whose seq is a fraction', '{"req":"Keepalive","seq":7.5}', { reason: 'seq not an integer' }],
    ['a request whose seq is beyond safe integers', '{"req":"Keepalive","seq":9007199254740993}', { reason: 'seq not an integer' }],
    ['both req and event', '{"req":"Keepalive","event":"Bind","seq":4}', { reason: 'both req and event', seq: 4 }],
    ['a req that is not a string', '{"req":5,"seq":4}', { reason: 'req not a non-empty string', seq: 4 }],
    ['an empty req', '{"req":"","seq":4}', { reason: 'req not a non-empty string', seq: 4 }],
    ['request params that are an array', '{"req":"Keepalive","params":[],"seq":5}', { reason: 'params not an object', seq: 5 }],
    ['request params that are a string', '{"req":"Keepalive","params":"x","seq":5}', { reason: 'params not an object', seq: 5 }],
    ['an event that is not a string', '{"event":{}}', { reason: 'event not a non-empty string' }],
    ['event params that are a number', '{"event":"Bind","params":3}', { reason: 'params not an object' }],
    ['an answer without seq', '{"resp":{}}', { reason: 'missing seq' }],
    ['an answer with both resp and err', '{"seq":6,"resp":{},"err":{"code":1,"msg":"x"}}', { reason: 'both resp and err', seq: 6 }],
    ['an err that is not an object', '{"seq":6,"err":"bad"}', { reason: 'err not an object', seq: 6 }],
    ['an err whose code is not an integer', '{"seq":6,"err":{"code":"12","msg":"x"}}', { reason: 'err.code not an integer', seq: 6 }],
    ['an object that is no frame', '{"seq":6,"hello":1}', { reason: 'neither req, event, resp nor err', seq: 6 }],
    ['an empty object', '{}', { reason: 'neither req, event, resp nor err' }],
  ];
  for (const [what, data, expected] of cases) {
    it(`rejects ${what}`, () => {
      expect(parseVdFrame(data)).toEqual({ kind: 'invalid', ...expected });
    });
  }

  it('includes seq when it could be read, so the platform can answer err 400', () => {
    const frame = parseVdFrame('{"req":"Keepalive","params":[],"seq":12}');
    expect(frame.kind === 'invalid' ? frame.seq : undefined).toBe(12);
  });

  it(`rejects a frame over ${VD_MAX_FRAME_BYTES} bytes, as text or bytes`, () => {
    const big = `{"event":"Bind","params":{"bind_id":"${'x'.repeat(VD_MAX_FRAME_BYTES)}"}}`;
    expect(parseVdFrame(big)).toEqual({ kind: 'invalid', reason: `too large (limit ${VD_MAX_FRAME_BYTES} bytes)` });
    expect(parseVdFrame(bytes(big))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('too large') });
  });

  it('counts UTF-8 bytes, not characters, against the limit', () => {
    const wide = `{"event":"Bind","params":{"bind_id":"${'é'.repeat(VD_MAX_FRAME_BYTES / 2)}"}}`;
    expect(wide.length).toBeLessThan(VD_MAX_FRAME_BYTES);
    expect(parseVdFrame(wide)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('too large') });
  });

  it('takes a smaller limit when the caller gives one', () => {
    expect(parseVdFrame('{"event":"RebootDevice"}', 10)).toMatchObject({ kind: 'invalid', reason: 'too large (limit 10 bytes)' });
  });
});

describe('parseVdFrame: names and error texts fit to store', () => {
  it(`refuses a message name over ${VD_NAME_MAX_CHARS} characters or with a NUL, keeping seq`, () => {
    expect(parseVdFrame(JSON.stringify({ req: 'K'.repeat(VD_NAME_MAX_CHARS + 1), seq: 3 }))).toEqual({
      kind: 'invalid',
      seq: 3,
      reason: `req not a message name (1-${VD_NAME_MAX_CHARS} characters)`,
    });
    expect(parseVdFrame(JSON.stringify({ event: 'Bind\u0000' }))).toMatchObject({
      kind: 'invalid',
      reason: `event not a message name (1-${VD_NAME_MAX_CHARS} characters)`,
    });
    expect(parseVdFrame(JSON.stringify({ req: 'K'.repeat(VD_NAME_MAX_CHARS), seq: 3 }))).toMatchObject({ kind: 'request' });
  });

  it("keeps a failed answer's code, its msg made storable: NUL and lone surrogates replaced, cut to the limit", () => {
    expect(parseVdFrame('{"seq":4,"err":{"code":1,"msg":"disk\\u0000 \\ud800full"}}')).toEqual({
      kind: 'error',
      seq: 4,
      err: { code: 1, msg: 'disk\uFFFD \uFFFDfull' },
    });
    const long = parseVdFrame(JSON.stringify({ seq: 5, err: { code: 500, msg: 'x'.repeat(VD_ERR_MSG_MAX_CHARS * 4) } }));
    expect(long.kind === 'error' ? long.err.msg.length : 0).toBe(VD_ERR_MSG_MAX_CHARS);
  });
});

describe('Vd builders', () => {
  it('writes a request as {req, params, seq}', () => {
    expect(vdRequest('StopLive', 3, { stream_id: 'st-1', channel: 0 })).toBe('{"req":"StopLive","params":{"stream_id":"st-1","channel":0},"seq":3}');
  });

  it('omits params when there are none', () => {
    expect(vdRequest('GetCap', 4)).toBe('{"req":"GetCap","seq":4}');
    expect(vdEvent('Reschedule')).toBe('{"event":"Reschedule"}');
  });

  it('writes an answer, {} by default', () => {
    expect(vdResponse(5)).toBe('{"seq":5,"resp":{}}');
    expect(vdResponse(5, { pic_upload_url: 'https://p.example/pic/1' })).toBe('{"seq":5,"resp":{"pic_upload_url":"https://p.example/pic/1"}}');
  });

  it('writes a failed answer with code and msg', () => {
    expect(vdError(6, VD_ERR.UNSUPPORTED_METHOD, 'unsupported RPC method')).toBe('{"seq":6,"err":{"code":101,"msg":"unsupported RPC method"}}');
  });

  it('writes an event with params', () => {
    expect(vdEvent('CtrlPTZ', { channel: 0, op: 'goto_preset', value: 3 })).toBe('{"event":"CtrlPTZ","params":{"channel":0,"op":"goto_preset","value":3}}');
  });

  it('writes frames the parser reads back', () => {
    expect(parseVdFrame(vdRequest('Settime', 9, { datetime: '2022-03-16T08:30:00', offset: 10 }))).toEqual({
      kind: 'request',
      req: 'Settime',
      seq: 9,
      params: { datetime: '2022-03-16T08:30:00', offset: 10 },
    });
    expect(parseVdFrame(vdError(9, 12, 'bad'))).toEqual({ kind: 'error', seq: 9, err: { code: 12, msg: 'bad' } });
  });
});

describe('Vd types (checked by tsc, never run)', () => {
  it('type the builders by message: params required when the message has them, absent otherwise', () => {
    const typeChecks = () => {
      // @ts-expect-error PushLive has params
      vdRequest('PushLive', 1);
      // @ts-expect-error stream_id is a string
      vdRequest('StopLive', 1, { stream_id: 1, channel: 0 });
      // @ts-expect-error CtrlPTZ is an event, not an RPC
      vdRequest('CtrlPTZ', 1, { channel: 0, op: 'left' });
      // @ts-expect-error a preset op needs its preset id
      vdEvent('CtrlPTZ', { channel: 0, op: 'goto_preset' });
      vdRequest('GetCap', 1);
      vdEvent('CtrlPTZ', { channel: 0, op: 'left' });
      const keepalive: VdParams<'Keepalive'> = { state: 1, channels: [{ channel: 0, state: 1 }] };
      const transId: string = (null as unknown as VdParams<'LogUploadAsync'>).trans_id;
      const cry: boolean = (null as unknown as VdResp<'GetCap'>).alarms.cry;
      return [keepalive, transId, cry];
    };
    expect(typeof typeChecks).toBe('function');
  });
});
