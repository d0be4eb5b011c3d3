/**
 * Context diffs: `changesOnly`, the host's allocation-free test of "only volatile keys changed",
 * must answer exactly what building the diff and checking it would.
 */
import { describe, expect, test } from 'bun:test';
import { applyChanges, changesOnly, diffContext, onlyTouches } from '../../actors/host/diff.ts';

const base = { deviceId: 'd1', n: 1, lastSeenAt: 100, channels: [{ channel: 0, state: 1 }], note: 'x' };

/** Pairs of contexts covering sets, unsets, undefined values, nested equality and new keys. */
const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['identical object', base, base],
  ['equal copy', base, { ...base }],
  ['nested equal copy', base, { ...base, channels: [{ channel: 0, state: 1 }] }],
  ['volatile key changed', base, { ...base, lastSeenAt: 200 }],
  ['logged key changed', base, { ...base, n: 2 }],
  ['both changed', base, { ...base, n: 2, lastSeenAt: 200 }],
  ['nested change', base, { ...base, channels: [{ channel: 0, state: 0 }] }],
  ['logged key removed', base, { deviceId: 'd1', n: 1, lastSeenAt: 100, channels: base.channels }],
  ['logged key set to undefined', base, { ...base, note: undefined }],
  ['volatile key removed', base, { deviceId: 'd1', n: 1, channels: base.channels, note: 'x' }],
  ['volatile key added', { deviceId: 'd1' }, { deviceId: 'd1', lastSeenAt: 5 }],
  ['logged key added', { deviceId: 'd1' }, { deviceId: 'd1', extra: 5 }],
  ['undefined to undefined', { a: undefined }, { a: undefined }],
  ['undefined to a value', { a: undefined }, { a: 1 }],
  ['null to a value', { a: null }, { a: 1 }],
];

describe('changesOnly', () => {
  for (const keys of [[], ['lastSeenAt']]) {
    for (const [name, before, after] of cases) {
      test(`${name}, volatile [${keys.join(',')}]: same answer as onlyTouches(diffContext)`, () => {
        expect(changesOnly(before, after, keys)).toBe(onlyTouches(diffContext(before, after), keys));
      });
    }
  }

  test('a diff rebuilds the new context from the old', () => {
    for (const [, before, after] of cases) {
      const defined = Object.fromEntries(Object.entries(after).filter(([, v]) => v !== undefined));
      const rebuilt = applyChanges(before, diffContext(before, after));
      expect(Object.fromEntries(Object.entries(rebuilt).filter(([, v]) => v !== undefined))).toEqual(defined);
    }
  });
});

describe('diffs of records', () => {
  const viewer = (i: number) => ({ kind: 'pending', since: 1_000 + i, by: `user:${i % 3}` });

  test('a record that gains or loses one entry is patched with that entry only, whatever its size', () => {
    const sizes: number[] = [];
    let ctx: Record<string, unknown> = { streamId: 's1', viewers: {} };
    for (let i = 0; i < 200; i++) {
      const next = { ...ctx, viewers: { ...(ctx.viewers as object), [`v${String(i).padStart(4, '0')}`]: viewer(i) } };
      const d = diffContext(ctx, next);
      if (i > 0) sizes.push(JSON.stringify(d).length);
      expect(applyChanges(ctx, d)).toEqual(next);
      ctx = next;
    }
    expect(new Set(sizes).size).toBe(1); // every join costs the same bytes, from the second on
    const { v0007: _gone, ...rest } = ctx.viewers as Record<string, unknown>;
    const left = { ...ctx, viewers: rest };
    expect(diffContext(ctx, left)).toEqual({ set: {}, unset: [], patch: { viewers: { set: {}, unset: ['v0007'] } } });
    expect(applyChanges(ctx, diffContext(ctx, left))).toEqual(left);
  });

  test('an object whose every entry changed is set whole, and changesOnly agrees on patched keys', () => {
    const before = { login: { failures: [1], lockouts: 0 }, lastSeenAt: 1 };
    const after = { login: { failures: [1, 2], lockouts: 1 }, lastSeenAt: 2 };
    expect(diffContext(before, after)).toEqual({ set: { login: after.login, lastSeenAt: 2 }, unset: [] });
    const patched = { login: { failures: [1], lockouts: 1 }, lastSeenAt: 1 };
    expect(diffContext(before, patched).patch).toEqual({ login: { set: { lockouts: 1 }, unset: [] } });
    expect(changesOnly(before, patched, ['lastSeenAt'])).toBe(onlyTouches(diffContext(before, patched), ['lastSeenAt']));
    expect(onlyTouches(diffContext(before, patched), ['lastSeenAt'])).toBe(false);
  });
});
