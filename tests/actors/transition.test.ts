/**
 * The pure transition the host runs on, with XState as patched by patches/xstate@5.33.3.patch
 * (a snapshot's value and tags computed once per state-node array; the eventless-transition scan
 * skipped for machines that have none). Same results as unpatched XState, checked here on the
 * cases the patch touches.
 */
import { describe, expect, test } from 'bun:test';
import { assign, setup } from 'xstate';
import { pureInitial, pureTransition } from '../../actors/transition.ts';
import { counterMachine } from '../../bench/counter.machine.ts';

describe('pureTransition on patched XState', () => {
  test('a context-only transition keeps the state value and tags; a state change computes new ones', () => {
    const [s0] = pureInitial(counterMachine, { deviceId: 'd1' });
    const [s1] = pureTransition(counterMachine, s0, { type: 'tick', note: 'a' });
    expect(s1.context).toMatchObject({ n: 1, last: 'a' });
    expect(s1.value).toBe('idle');
    const [s2] = pureTransition(counterMachine, s1, { type: 'toggle' });
    expect(s2.value).toBe('active');
    const [s3] = pureTransition(counterMachine, s2, { type: 'tick', note: 'b' });
    expect(s3.value).toBe('active');
    expect(s3.context).toMatchObject({ n: 2, last: 'b' });
  });

  test('nested values and tags stay right across assigns and state changes', () => {
    const m = setup({ types: {} as { context: { n: number }; events: { type: 'inc' } | { type: 'go' } } }).createMachine({
      id: 'nested',
      context: { n: 0 },
      initial: 'a',
      states: {
        a: { tags: ['ta'], initial: 'a1', states: { a1: { on: { go: 'a2' } }, a2: { tags: ['ta2'] } }, on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } } },
      },
    });
    const [s0] = pureInitial(m, undefined);
    expect(s0.value).toEqual({ a: 'a1' });
    const [s1] = pureTransition(m, s0, { type: 'inc' });
    expect(s1.value).toEqual({ a: 'a1' });
    expect(s1.hasTag('ta')).toBe(true);
    expect(s1.hasTag('ta2')).toBe(false);
    const [s2] = pureTransition(m, s1, { type: 'go' });
    expect(s2.value).toEqual({ a: 'a2' });
    expect(s2.hasTag('ta2')).toBe(true);
    expect(s0.value).toEqual({ a: 'a1' }); // earlier snapshots unchanged
  });

  test('eventless transitions still run in machines that have them, guards included', () => {
    const m = setup({
      types: {} as { context: { n: number }; events: { type: 'inc' } },
      guards: { big: ({ context }) => context.n >= 2 },
    }).createMachine({
      id: 'eventless',
      context: { n: 0 },
      initial: 'small',
      states: {
        small: { always: { guard: 'big', target: 'large' }, on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } } },
        large: { type: 'final' },
      },
    });
    let [s] = pureInitial(m, undefined);
    [s] = pureTransition(m, s, { type: 'inc' });
    expect(s.value).toBe('small');
    [s] = pureTransition(m, s, { type: 'inc' });
    expect(s.value).toBe('large');
    expect(s.status).toBe('done');
  });
});
