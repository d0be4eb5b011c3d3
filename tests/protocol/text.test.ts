import { describe, expect, it } from 'bun:test';
import { z } from 'zod';
import { JSON_DEPTH_MAX, KEY_MAX_CHARS } from '../../protocol/constants.ts';
import { parseWith } from '../../protocol/errors.ts';
import { findUnstorable, isStorableText, KEY_TOO_LONG_MESSAGE, text, TOO_DEEP_MESSAGE, UNSTORABLE_TEXT_MESSAGE } from '../../protocol/text.ts';
import { validateVdParams } from '../../protocol/vd.ts';

/** `levels` objects nested in one another. */
const nested = (levels: number): unknown => (levels === 0 ? 1 : { d: nested(levels - 1) });

describe('storable text', () => {
  it('is any well-formed string without U+0000: empty, accented, emoji (a paired surrogate)', () => {
    for (const s of ['', 'café', '\u{1F4F7} camera', '中文', '\uFFFD']) expect([s, isStorableText(s)]).toEqual([s, true]);
  });

  it('is not a string with a NUL, a lone high or low surrogate, or a pair in the wrong order', () => {
    for (const s of ['\u0000', 'a\u0000b', '\uD800', 'x\uDC00', '\uDC00\uD800']) expect([s, isStorableText(s)]).toEqual([s, false]);
  });
});

describe('the walk over an input', () => {
  it('finds nothing in clean data', () => {
    expect(findUnstorable({ a: ['x', 1, null, true, { b: 'é' }] })).toBeUndefined();
    expect(findUnstorable('plain')).toBeUndefined();
    expect(findUnstorable(undefined)).toBeUndefined();
  });

  it('names the path of a bad string at any depth, in arrays too', () => {
    expect(findUnstorable({ a: [{ b: 'ok' }, { b: 'x\u0000' }] })).toMatchObject({ path: ['a', 1, 'b'], message: UNSTORABLE_TEXT_MESSAGE });
  });

  it('refuses a key with a NUL or a lone surrogate, and a key that is too long', () => {
    expect(findUnstorable({ ok: { 'k\u0000': 1 } })).toMatchObject({ path: ['ok', 'k\u0000'], message: UNSTORABLE_TEXT_MESSAGE });
    expect(findUnstorable({ '\uD800': 1 })).toMatchObject({ path: ['\uD800'] });
    const long = 'k'.repeat(KEY_MAX_CHARS + 1);
    expect(findUnstorable({ [long]: 1 })).toMatchObject({ path: [long], message: KEY_TOO_LONG_MESSAGE });
    expect(findUnstorable({ ['k'.repeat(KEY_MAX_CHARS)]: 1 })).toBeUndefined();
  });

  it(`takes ${JSON_DEPTH_MAX} levels of nesting and refuses one more`, () => {
    expect(findUnstorable(nested(JSON_DEPTH_MAX))).toBeUndefined();
    expect(findUnstorable(nested(JSON_DEPTH_MAX + 1))).toMatchObject({ message: TOO_DEEP_MESSAGE });
  });

  it('walks objects without a prototype, and keys named like Object.prototype members', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { toString: 'a\u0000' });
    expect(findUnstorable(bare)).toMatchObject({ path: ['toString'] });
    expect(findUnstorable(JSON.parse('{"__proto__": "x\\u0000"}'))).toMatchObject({ path: ['__proto__'] });
  });
});

describe('parseWith refuses unstorable text before any schema runs', () => {
  it('names the field, in one line, without echoing the text', () => {
    expect(validateVdParams('AlarmNotify', { channel: 0, timestamp: 1, type: 3, state: 'start', desc: 'secret\u0000' })).toEqual({
      ok: false,
      kind: 'invalid',
      error: `params.desc: ${UNSTORABLE_TEXT_MESSAGE}`,
    });
  });

  it('looks inside the open parts no schema looks at: free JSON and unknown fields', () => {
    const open = z.object({ doc: z.record(text(8), z.unknown()) });
    expect(parseWith(open, { doc: { a: { b: ['\uDFFF'] } } }, 'resp')).toEqual({ ok: false, error: `resp.doc.a.b[0]: ${UNSTORABLE_TEXT_MESSAGE}` });
    expect(parseWith(z.object({}), { stripped: 'x\u0000' })).toEqual({ ok: false, error: `stripped: ${UNSTORABLE_TEXT_MESSAGE}` });
  });

  it('writes a long or odd key shortened and escaped, so the line stays short and one line', () => {
    const result = parseWith(z.object({}), { [`line\nbreak${'x'.repeat(200)}`]: 'a\u0000' });
    expect(result.ok ? '' : result.error).toBe(`["line\\nbreak${'x'.repeat(29)}…"]: ${KEY_TOO_LONG_MESSAGE}`);
  });
});

describe('text(max), the catalog string', () => {
  it('refuses NUL and lone surrogates itself, for a schema parsed directly, without echoing them', () => {
    const result = text(10).safeParse('a\u0000');
    expect(result.success).toBe(false);
    expect(parseWith(z.object({ s: text(10) }), { s: 'ok' })).toEqual({ ok: true, value: { s: 'ok' } });
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.message).toBe(UNSTORABLE_TEXT_MESSAGE);
  });

  it('bounds the length, and the minimum when given', () => {
    expect(text(3).safeParse('abcd').success).toBe(false);
    expect(text(3, 1).safeParse('').success).toBe(false);
    expect(text(3).safeParse('').success).toBe(true);
  });
});
