import { describe, expect, it } from 'bun:test';
import {
  parseVrForm,
  parseWith,
  VR_OPS,
  VR_REPLY_HEADERS,
  VrCreateResp,
  vrCreateResp,
  VrCurrentTimeResp,
  VrFailure,
  VrOkResp,
  type VrOp,
  type VrRequest,
} from '../../protocol/index.ts';

/** The I.3 example bodies, and what each parses to. */
const EXAMPLES: Record<VrOp, [string, VrRequest]> = {
  create: [
    'op=create&content_type=video%2Fmp2t&size=32768&start=1574322174&duration=600&discontinue=0&https=0',
    { op: 'create', content_type: 'video/mp2t', size: 32768, start: 1574322174, duration: 600, discontinue: 0, https: 0 },
  ],
  save: ['op=save&name=0003.ts', { op: 'save', name: '0003.ts' }],
  fail: ['op=fail&name=0003.ts', { op: 'fail', name: '0003.ts' }],
  getcurrenttime: ['op=getcurrenttime', { op: 'getcurrenttime' }],
  stat: ['op=stat&dropped_nb=3&dropped_time=30', { op: 'stat', dropped_nb: 3, dropped_time: 30 }],
};

/** Bodies that must be rejected, and the start of the error (which names the field). */
const BAD: Record<VrOp, Array<[string, string, string]>> = {
  create: [
    ['a missing content_type', 'op=create&size=1&start=1&duration=1', 'content_type: required'],
    ['a content_type other than video/mp2t', 'op=create&content_type=video%2Fmp4&size=1&start=1&duration=1', 'content_type: expected one of "video/mp2t"'],
    ['a missing size', 'op=create&content_type=video%2Fmp2t&start=1&duration=1', 'size: required'],
    ['a size that is not a number', 'op=create&content_type=video%2Fmp2t&size=big&start=1&duration=1', 'size: expected a non-negative integer'],
    ['a fractional size', 'op=create&content_type=video%2Fmp2t&size=1.5&start=1&duration=1', 'size: expected a non-negative integer'],
    ['a negative size', 'op=create&content_type=video%2Fmp2t&size=-1&start=1&duration=1', 'size: expected a non-negative integer'],
    ['a missing start', 'op=create&content_type=video%2Fmp2t&size=1&duration=1', 'start: required'],
    ['a start that is not a number', 'op=create&content_type=video%2Fmp2t&size=1&start=now&duration=1', 'start: expected a non-negative number'],
    ['a missing duration', 'op=create&content_type=video%2Fmp2t&size=1&start=1', 'duration: required'],
    ['discontinue other than 0 or 1', 'op=create&content_type=video%2Fmp2t&size=1&start=1&duration=1&discontinue=2', 'discontinue: expected one of "0"|"1"'],
    ['https other than 0 or 1', 'op=create&content_type=video%2Fmp2t&size=1&start=1&duration=1&https=yes', 'https: expected one of "0"|"1"'],
  ],
  save: [['a missing name', 'op=save', 'name: required']],
  fail: [['a missing name', 'op=fail&name=', 'name: required']],
  getcurrenttime: [['an op misspelt', 'op=getcurrenttim', 'op: expected one of']],
  stat: [
    ['a dropped_nb that is not an integer', 'op=stat&dropped_nb=2.5', 'dropped_nb: expected a non-negative integer'],
    ['a negative dropped_time', 'op=stat&dropped_time=-3', 'dropped_time: expected a non-negative number'],
  ],
};

describe('Vr requests', () => {
  it('covers the five ops of Table 9-5', () => {
    expect([...VR_OPS].sort() as string[]).toEqual(Object.keys(EXAMPLES).sort());
    expect(Object.keys(BAD).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  for (const op of VR_OPS) {
    const [body, value] = EXAMPLES[op];
    it(`accepts the I.3 example of ${op}`, () => {
      expect(parseVrForm(body)).toEqual({ ok: true, value });
    });
    for (const [what, badBody, error] of BAD[op]) {
      it(`rejects ${op} with ${what}, naming the field`, () => {
        const result = parseVrForm(badBody);
        expect(result.ok ? '' : result.error).toStartWith(error);
      });
    }
  }

  it('accepts a URLSearchParams body', () => {
    expect(parseVrForm(new URLSearchParams({ op: 'save', name: '0004.ts' }))).toEqual({ ok: true, value: { op: 'save', name: '0004.ts' } });
  });

  it('matches field names case-insensitively (I.3.5 writes Dropped_nb)', () => {
    expect(parseVrForm('op=stat&Dropped_nb=3&Dropped_time=30.5')).toEqual({ ok: true, value: { op: 'stat', dropped_nb: 3, dropped_time: 30.5 } });
    expect(parseVrForm('OP=SAVE&NAME=0003.ts')).toEqual({ ok: true, value: { op: 'save', name: '0003.ts' } });
  });

  it('keeps the first of two fields that differ only in case', () => {
    expect(parseVrForm('op=stat&dropped_nb=1&DROPPED_NB=2')).toMatchObject({ ok: true, value: { dropped_nb: 1 } });
  });

  it('defaults stat counters to 0', () => {
    expect(parseVrForm('op=stat')).toEqual({ ok: true, value: { op: 'stat', dropped_nb: 0, dropped_time: 0 } });
  });

  it("defaults create's discontinue and https to 0 when an OVC device leaves them out", () => {
    expect(parseVrForm('op=create&content_type=video%2Fmp2t&size=1&start=1574322174.250000&duration=10.000000')).toEqual({
      ok: true,
      value: { op: 'create', content_type: 'video/mp2t', size: 1, start: 1574322174.25, duration: 10, discontinue: 0, https: 0 },
    });
  });

  it('reads name on create as the previous segment to confirm (piggybacked, 9.3.4.1.3)', () => {
    const result = parseVrForm('op=create&content_type=video%2Fmp2t&size=1&start=1&duration=1&discontinue=1&https=1&name=0002.ts');
    expect(result).toMatchObject({ ok: true, value: { name: '0002.ts', discontinue: 1, https: 1 } });
  });

  it("reads OVC's last_file_name on create as that previous segment", () => {
    expect(parseVrForm('op=create&content_type=video%2Fmp2t&size=1&start=1&duration=1&last_file_name=0002.ts')).toMatchObject({
      ok: true,
      value: { name: '0002.ts' },
    });
  });

  it('treats an empty field as absent', () => {
    expect(parseVrForm('op=create&content_type=video%2Fmp2t&size=1&start=1&duration=1&name=')).toMatchObject({ ok: true, value: { op: 'create' } });
  });

  it('accepts the content type in any case', () => {
    expect(parseVrForm('op=create&content_type=Video%2FMP2T&size=1&start=1&duration=1')).toMatchObject({ ok: true, value: { content_type: 'video/mp2t' } });
  });

  it('tolerates and drops fields it does not know (OVC sends next_dts, and size on save)', () => {
    expect(parseVrForm('op=save&name=0003.ts&size=10&next_dts=99')).toEqual({ ok: true, value: { op: 'save', name: '0003.ts' } });
  });

  it('rejects a body without op, or with an unknown op, naming op', () => {
    expect(parseVrForm('name=0003.ts')).toEqual({ ok: false, error: 'op: required (expected one of "create"|"save"|"fail"|"getcurrenttime"|"stat")' });
    expect(parseVrForm('op=delete')).toEqual({ ok: false, error: 'op: expected one of "create"|"save"|"fail"|"getcurrenttime"|"stat", got "delete"' });
  });

  it('treats form fields named like object members as plain fields', () => {
    expect(parseVrForm('op=save&name=x&__proto__=1&constructor=2')).toEqual({ ok: true, value: { op: 'save', name: 'x' } });
  });

  it('rejects a body larger than the limit', () => {
    expect(parseVrForm(`op=save&name=${'x'.repeat(5000)}`)).toEqual({ ok: false, error: 'body: too large (limit 4096 bytes)' });
  });
});

describe('Vr answers', () => {
  it('sends the create answer under both url and OVC uri', () => {
    const resp = vrCreateResp('0003.ts', 'https://cs.example.com/u/0003.ts?t=abc');
    expect(resp).toEqual({ name: '0003.ts', url: 'https://cs.example.com/u/0003.ts?t=abc', uri: 'https://cs.example.com/u/0003.ts?t=abc' });
    expect(parseWith(VrCreateResp, resp).ok).toBe(true);
    expect(parseWith(VrCreateResp, { name: '0003.ts', url: 'u' }, 'resp')).toEqual({ ok: false, error: 'resp.uri: required (expected string)' });
  });

  it('gives getcurrenttime as float seconds', () => {
    expect(parseWith(VrCurrentTimeResp, { currenttime: 1_647_419_400.123 }).ok).toBe(true);
    expect(parseWith(VrCurrentTimeResp, { currenttime: '1647419400' }, 'resp')).toMatchObject({
      ok: false,
      error: 'resp.currenttime: expected number, got "1647419400"',
    });
  });

  it('answers save, fail and stat with {} and failures with {info}', () => {
    expect(parseWith(VrOkResp, {}).ok).toBe(true);
    expect(parseWith(VrFailure, { info: 'no such segment' }).ok).toBe(true);
    expect(parseWith(VrFailure, { info: 5 }, 'resp')).toMatchObject({ ok: false, error: 'resp.info: expected string, got 5' });
  });

  it('replies with the I.3 headers', () => {
    expect(VR_REPLY_HEADERS).toEqual({
      'Content-Type': 'application/json; charset=utf-8',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'POST',
    });
  });
});
