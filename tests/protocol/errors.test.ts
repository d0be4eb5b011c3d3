import { describe, expect, it } from 'bun:test';
import { z } from 'zod';
import { formatPath, parseWith, preview } from '../../protocol/index.ts';

describe('one-line zod errors', () => {
  it('write paths in JavaScript notation under a root', () => {
    expect(formatPath(['channels', 0, 'state'], 'params')).toBe('params.channels[0].state');
    expect(formatPath(['channls', '0', 'led'], 'resp')).toBe('resp.channls["0"].led');
    expect(formatPath(['size'])).toBe('size');
    expect(formatPath([], 'params')).toBe('params');
  });

  it('say "required" for a missing field and "got" for a wrong one', () => {
    const schema = z.object({ a: z.string(), b: z.int() });
    expect(parseWith(schema, { b: 'x' }, 'p')).toEqual({ ok: false, error: 'p.a: required (expected string); p.b: expected number, got "x"' });
  });

  it('say what range was expected', () => {
    expect(parseWith(z.object({ n: z.int().max(100) }), { n: 101 })).toEqual({ ok: false, error: 'n: must be <= 100, got 101' });
    expect(parseWith(z.object({ s: z.string().max(2) }), { s: 'abc' })).toEqual({ ok: false, error: 's: must be <= 2 characters long, got "abc"' });
  });

  it('use a message set on the schema as written', () => {
    expect(parseWith(z.object({ u: z.string().refine(() => false, 'expected an absolute URL') }), { u: 'x' })).toEqual({
      ok: false,
      error: 'u: expected an absolute URL, got "x"',
    });
  });

  it('list the choices of an enum', () => {
    expect(parseWith(z.object({ e: z.enum(['a', 'b']) }), { e: 'c' })).toEqual({ ok: false, error: 'e: expected one of "a"|"b", got "c"' });
  });

  it('describe a union by its branches', () => {
    expect(parseWith(z.object({ u: z.union([z.int(), z.boolean()]) }), { u: 'x' })).toEqual({ ok: false, error: 'u: expected number or boolean, got "x"' });
  });

  it('stay one line, summarising issues beyond the third', () => {
    const schema = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string() });
    const result = parseWith(schema, {});
    expect(result.ok ? '' : result.error).toEndWith('(+2 more)');
    expect(result.ok ? '' : result.error).not.toContain('\n');
  });

  it('shorten long values', () => {
    expect(preview('x'.repeat(100)).length).toBe(40);
  });
});
