/**
 * Context diffs: `changesOnly`, the host's allocation-free test of "only volatile keys changed",
 * must answer exactly what building the diff and checking it would.
 */
import { describe, expect, test } from 'bun:test';
import { applyChanges, changesOnly, diffContext, onlyTouches } from '../../actors/diff.ts';

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
