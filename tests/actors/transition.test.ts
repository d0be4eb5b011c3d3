/**
 * The pure transition the host runs on, with XState as patched by patches/xstate@5.33.3.patch
 * (a snapshot's value and tags computed once per state-node array; the eventless-transition scan
 * skipped for machines that have none). Same results as unpatched XState, checked here on the
 * cases the patch touches.
 */
import { describe, expect, test } from 'bun:test';
import { assign, setup } from 'xstate';
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { pureInitial, pureTransition, slowTransition, transitionCounts } from '../../actors/host/transition.ts';
import { counterMachine } from '../../bench/counter.machine.ts';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';

type Ev = { type: string; [k: string]: unknown };

/** What a snapshot is, as far as anyone can observe it. */
function observed(s: AnyMachineSnapshot) {
  const n = s as unknown as { _nodes: Array<{ id: string }>; historyValue: unknown };
  return {
    value: s.value,
    context: s.context,
    status: s.status,
    tags: [...s.tags].sort(),
    children: Object.keys(s.children),
    nodes: n._nodes.map((x) => x.id),
    historyValue: n.historyValue,
  };
}

/** Drive both paths in lockstep; every step must give the same snapshot and actions (and the same identity when nothing happened). */
function lockstep(machine: AnyStateMachine, start: AnyMachineSnapshot, events: Ev[], paths: string[] = []): AnyMachineSnapshot {
  let fast = start;
  let slow = start;
  for (const e of events) {
    const before = { ...transitionCounts };
    const [f, fa] = pureTransition(machine, fast, e);
    paths.push(transitionCounts.assignOnly > before.assignOnly ? 'fast' : transitionCounts.sibling > before.sibling ? 'sibling' : 'xstate');
    const [s, sa] = slowTransition(machine, slow, e);
    expect({ event: e.type, ...observed(f) }).toEqual({ event: e.type, ...observed(s) });
    expect(fa.map((a) => [a.type, a.params])).toEqual(sa.map((a) => [a.type, a.params]));
    expect(f === fast).toBe(s === slow);
    fast = f;
    slow = s;
  }
  return fast;
}

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
        a: {
          tags: ['ta'],
          initial: 'a1',
          states: { a1: { on: { go: 'a2' } }, a2: { tags: ['ta2'] } },
          on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
        },
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

  test('a new array of nodes already seen (a second initial snapshot, a state entered again) reuses its value and tags', () => {
    const m = setup({ types: {} as { events: { type: 'go' } | { type: 'back' } } }).createMachine({
      id: 'shapes',
      initial: 'a',
      states: { a: { tags: ['ta'], on: { go: 'b' } }, b: { tags: ['tb'], initial: 'b1', states: { b1: { tags: ['tb1'] } }, on: { back: 'a' } } },
    });
    const [s1] = pureInitial(m, undefined);
    const [s2] = pureInitial(m, undefined);
    expect(s2.value).toBe(s1.value);
    const [b] = pureTransition(m, s1, { type: 'go' });
    expect(b.value).toEqual({ b: 'b1' });
    expect([...b.tags].sort()).toEqual(['tb', 'tb1']);
    const [a] = pureTransition(m, b, { type: 'back' });
    const [b2] = pureTransition(m, a, { type: 'go' });
    expect(a.value).toBe('a');
    expect(a.hasTag('ta') && !a.hasTag('tb')).toBe(true);
    expect(b2.value).toBe(b.value); // the same nodes: the same value object
    expect(b2.tags).toBe(b.tags);
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

describe('the assign-only fast path', () => {
  const m = setup({
    types: {} as { context: { n: number; log: string[]; p?: unknown }; events: Ev },
    actions: {
      bump: assign({ n: ({ context }) => context.n + 1 }),
      note: assign(({ context, event }) => ({ log: [...context.log, event.type] })),
      withParams: assign({ p: (_, params: unknown) => params }),
    },
    guards: { even: ({ context }) => context.n % 2 === 0 },
  }).createMachine({
    id: 'fast',
    context: { n: 0, log: [] },
    initial: 'a',
    on: { top: { actions: ['bump', 'note'] }, 'wild.*': { actions: 'bump' } },
    states: {
      a: {
        initial: 'a1',
        on: { mid: { actions: 'note' }, top: { actions: 'note' } }, // overrides the root's `top` in a
        states: {
          a1: {
            on: {
              leaf: { actions: ['bump', assign({ log: ({ context }) => [...context.log, 'inline'] })] },
              p1: { actions: { type: 'withParams', params: { k: 1 } } },
              p2: { actions: { type: 'withParams', params: ({ context }: { context: { n: number } }) => ({ n: context.n }) } },
              guarded: [{ guard: 'even', actions: 'bump' }, { actions: 'note' }],
              go: 'a2',
            },
          },
          a2: { on: { back: 'a1', '*': { actions: 'note' } } },
        },
      },
      b: { type: 'parallel', states: { x: { on: { leaf: { actions: 'bump' } } }, y: { on: { leaf: { actions: 'note' } } } } },
    },
  });

  test("gives XState's own snapshots, actions and identities for every kind of transition", () => {
    const [s0] = pureInitial(m, undefined);
    const events = [
      'leaf',
      'mid',
      'top',
      'p1',
      'p2',
      'guarded',
      'guarded',
      'unknown',
      'wild.card',
      'leaf',
      'go',
      'leaf',
      'top',
      'anything',
      'back',
      'leaf',
    ].map((type) => ({ type }));
    const paths: string[] = [];
    const end = lockstep(m, s0, events, paths);
    expect(events.map((e, i) => `${e.type}:${paths[i]}`)).toEqual([
      'leaf:fast',
      'mid:fast',
      'top:fast',
      'p1:fast',
      'p2:fast',
      'guarded:xstate',
      'guarded:xstate',
      'unknown:xstate', // a wildcard on the root
      'wild.card:xstate',
      'leaf:fast',
      'go:xstate',
      'leaf:xstate',
      'top:xstate',
      'anything:xstate',
      'back:xstate',
      'leaf:fast', // a2 has a wildcard
    ]);
    expect(end.context.p).toEqual({ n: 1 }); // p2 read n at its time
  });

  test('leaves parallel states to XState and agrees with it there', () => {
    const m2 = setup({ types: {} as { context: { n: number }; events: Ev } }).createMachine({
      id: 'par',
      context: { n: 0 },
      type: 'parallel',
      states: {
        x: { on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } } },
        y: { on: { inc: { actions: assign({ n: ({ context }) => context.n + 10 }) } } },
      },
    });
    const [s0] = pureInitial(m2, undefined);
    expect(lockstep(m2, s0, [{ type: 'inc' }, { type: 'nope' }, { type: 'inc' }]).context.n).toBe(22);
  });

  test("the pu machine through a device's life gives the same snapshots on both paths", () => {
    const [s0] = pureInitial(puMachine, { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0, 1] });
    let t = Date.UTC(2026, 0, 1);
    const at = (e: PuEvent) => ({ ...e, at: (t += 1000) }) as Ev;
    const ka = (alarm: number) =>
      at({
        type: 'vd.keepalive',
        state: 1,
        channels: [
          { channel: 1, state: 1, alarm },
          { channel: 0, state: 2, alarm: 0 },
        ],
      });
    const events: Ev[] = [
      at({ type: 'vs.scheduled', ip: '10.0.0.2' }),
      at({ type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW', ip: '10.0.0.2' }),
      at({ type: 'vd.serverInfo', hbIntervalS: 10, state: 1 }),
      ka(0),
      ka(0),
      ka(2),
      at({ type: 'vd.alarm', alarmId: 'a1', channel: 1, alarmType: 1, state: 'start', timestamp: 1 }),
      ka(2),
      at({ type: 'vd.message', name: 'Bind' }),
      at({ type: 'vd.battery', battery: 50 }),
      at({ type: 'heartbeat.expired' }),
      at({ type: 'cmd.request', reqId: 'r1', name: 'SetDeviceConfig' }),
      at({ type: 'cmd.result', reqId: 'r1', name: 'SetDeviceConfig', ok: true }),
      at({ type: 'vd.disconnected', connId: 'other', code: 1000, reason: 'x' }),
      at({ type: 'vd.disconnected', connId: 'c1', code: 1006, reason: 'gone' }),
      ka(0),
      at({ type: 'vd.connected', connId: 'c2', reconnect: true, hardwareModel: 'HW', firmwareModel: 'FW' }),
      at({ type: 'cmd.request', reqId: 'r2', name: 'RebootDevice' }),
      ka(0),
      at({ type: 'vd.connected', connId: 'c3', reconnect: true, hardwareModel: 'HW', firmwareModel: 'FW' }),
      ka(0),
      at({ type: 'login.failed', ip: '10.0.0.9', reason: 'wrong password' }),
      { type: 'heartbeat.expired', at: (t += 60_000) },
      ka(0),
      at({ type: 'device.deprovisioned' }),
      ka(0),
    ];
    const paths: string[] = [];
    const end = lockstep(puMachine, s0, events, paths);
    expect(end.value).toBe('deprovisioned');
    // An unhandled message is an assign only. A keepalive is not since the pu reads its channels against the streams and
    // sessions it knows (pu.links.ts checkChannels): XState takes the one the quiet shortcut does not answer (a change
    // of channels, an alarm active), and gives the same snapshots. A battery level is told to the MQTT actor too
    // (pu.publish.ts), so XState takes it as well.
    expect([3, 4, 5, 7, 8, 9].map((i) => `${events[i]!.type}:${paths[i]}`)).toEqual([
      'vd.keepalive:xstate',
      'vd.keepalive:xstate',
      'vd.keepalive:xstate',
      'vd.keepalive:xstate',
      'vd.message:fast',
      'vd.battery:xstate',
    ]);
    expect(paths[10]).toBe('xstate'); // heartbeat.expired: guarded
  });

  test('the counter machine (bench) agrees on both paths, and a keepalive-like tick takes the fast path', () => {
    const [s0] = pureInitial(counterMachine, { deviceId: 'd1' });
    const events: Ev[] = [];
    for (let i = 0; i < 50; i++) events.push(i % 7 === 0 ? { type: 'toggle' } : { type: 'tick', note: `n${i}` });
    const paths: string[] = [];
    expect(lockstep(counterMachine, s0, events, paths).context.n).toBe(42);
    // A toggle's first move from each state is XState's (earlier tests may have made it); the later ones reuse its state nodes.
    expect(
      paths
        .filter((_, i) => i % 7 === 0)
        .slice(2)
        .every((p) => p === 'sibling'),
    ).toBe(true);
    expect(paths.filter((_, i) => i % 7 !== 0).every((p) => p === 'fast')).toBe(true);
  });
});

describe('the sibling-move fast path', () => {
  const m = setup({
    types: {} as { context: { n: number; log: string[] }; events: Ev },
    actions: {
      bump: assign({ n: ({ context }) => context.n + 1 }),
      note: assign(({ context, event }) => ({ log: [...context.log, event.type] })),
      shout: () => {},
    },
    delays: { SOON: 1000 },
  }).createMachine({
    id: 'moves',
    context: { n: 0, log: [] },
    initial: 'a',
    states: {
      a: {
        tags: ['in-a'],
        initial: 'a1',
        on: { up: 'b' },
        states: {
          a1: {
            tags: ['one'],
            on: { next: { target: 'a2', actions: ['bump', 'note'] }, loud: 'a3', timed: 'a4', far: '#moves.b', self: { target: 'a1', reenter: true } },
          },
          a2: { tags: ['two'], on: { next: 'a1', deep: 'a5' } },
          a3: { entry: 'shout', on: { next: 'a1' } },
          a4: { after: { SOON: 'a1' }, on: { next: 'a1' } },
          a5: { initial: 'x', states: { x: { on: { next: '#moves.a.a1' } } } },
        },
      },
      b: { on: { down: 'a', next: { target: 'c', actions: 'bump' } } },
      c: { type: 'final' },
    },
  });

  test("gives XState's own snapshots (values, tags, nodes) on every kind of move, and takes only the quiet ones itself", () => {
    const [s0] = pureInitial(m, undefined);
    const steps: Array<[event: string, path: string]> = [
      ['next', 'xstate'],
      ['next', 'xstate'],
      ['next', 'sibling'],
      ['next', 'sibling'], // a1 ⇄ a2: XState once each way, then swapped
      ['loud', 'xstate'],
      ['next', 'xstate'],
      ['loud', 'xstate'],
      ['next', 'sibling'], // a3 runs an entry action; leaving it is quiet
      ['timed', 'xstate'],
      ['next', 'xstate'], // a4 has a delayed transition (an entry raise, an exit cancel)
      ['self', 'xstate'], // re-entering itself is not a move to a sibling
      ['next', 'sibling'],
      ['deep', 'xstate'],
      ['next', 'xstate'], // a5 is compound; a5.x → a1 is not between siblings
      ['next', 'sibling'],
      ['next', 'sibling'],
      ['far', 'xstate'],
      ['down', 'xstate'],
      ['next', 'sibling'],
      ['next', 'sibling'], // to and from another branch
      ['up', 'xstate'], // defined on the parent, not on the leaf
      ['next', 'xstate'], // b → c: a final state
    ];
    const events = steps.map(([type]) => ({ type }));
    const paths: string[] = [];
    const end = lockstep(m, s0, events, paths);
    expect(end.status).toBe('done');
    expect(events.map((e, i) => `${e.type}:${paths[i]}`)).toEqual(steps.map(([e, p]) => `${e}:${p}`));
    expect(end.context.n).toBe(6);
  });
});
