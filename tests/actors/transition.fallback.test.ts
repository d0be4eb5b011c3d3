/**
 * The fallback the host takes on an XState version other than the pinned one: XState's own public
 * `transition`/`initialTransition`. It must give the snapshots and actions of the internals path
 * (cached scope and fast paths), so that an upgrade changes speed, never behaviour.
 */
import { describe, expect, test } from 'bun:test';
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { engine, engineFor, selectEngine, XSTATE_INSTALLED_VERSION, XSTATE_PINNED_VERSION } from '../../actors/host/transition.ts';
import { counterMachine } from '../../bench/counter.machine.ts';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import type { PuEvent } from '../../actors/machines/pu.types.ts';
import pkg from '../../package.json';

type Ev = { type: string; [k: string]: unknown };

/** Not the pinned version: what an unpinned install could bring. */
const OTHER_VERSION = '5.34.0';

/** What a snapshot is, as far as the host and the history can observe it. */
function observed(s: AnyMachineSnapshot) {
  return { value: s.value, context: s.context, status: s.status, tags: [...s.tags].sort(), children: Object.keys(s.children) };
}

/** Drive the internals engine and the public one in lockstep from their own initial snapshots. */
function lockstep(machine: AnyStateMachine, input: unknown, events: Ev[]): AnyMachineSnapshot {
  const internals = engineFor(XSTATE_PINNED_VERSION);
  const fallback = engineFor(OTHER_VERSION);
  let [fast, fastActions] = internals.initial(machine, input);
  let [slow, slowActions] = fallback.initial(machine, input);
  for (const e of [{ type: 'xstate.init' }, ...events]) {
    if (e.type !== 'xstate.init') {
      [fast, fastActions] = internals.transition(machine, fast, e);
      [slow, slowActions] = fallback.transition(machine, slow, e);
    }
    expect({ event: e.type, ...observed(fast) }).toEqual({ event: e.type, ...observed(slow) });
    expect(fastActions.map((a) => [a.type, a.params])).toEqual(slowActions.map((a) => [a.type, a.params]));
  }
  return slow;
}

describe('the XState version gate', () => {
  test('package.json pins xstate to exactly the version the internals and the patch were written for', () => {
    expect(pkg.dependencies.xstate).toBe(XSTATE_PINNED_VERSION);
    expect(Object.keys(pkg.patchedDependencies)).toEqual([`xstate@${XSTATE_PINNED_VERSION}`]);
  });

  test('the installed version is the pinned one, so the host runs on the internals', () => {
    expect(XSTATE_INSTALLED_VERSION).toBe(XSTATE_PINNED_VERSION);
    expect(engine.mode).toBe('internals');
  });

  test("another version falls back to XState's public API and says why, once", () => {
    const warnings: Array<[unknown, string]> = [];
    const log = { warn: (obj: unknown, msg: string) => warnings.push([obj, msg]) } as never;
    expect(selectEngine(OTHER_VERSION, log).mode).toBe('public');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toEqual({ installed: OTHER_VERSION, pinned: XSTATE_PINNED_VERSION, engine: 'public' });
    expect(selectEngine(XSTATE_PINNED_VERSION, log).mode).toBe('internals');
    expect(warnings).toHaveLength(1); // the pinned version (patched) has nothing to say
  });
});

describe('the public-API fallback', () => {
  test('gives the snapshots and actions of the internals path through a device’s life (pu machine)', () => {
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
      ka(2),
      at({ type: 'vd.alarm', alarmId: 'a1', channel: 1, alarmType: 1, state: 'start', timestamp: 1 }),
      at({ type: 'heartbeat.expired' }),
      at({ type: 'cmd.request', reqId: 'r1', name: 'UpgradeFirmware', firmwareModel: 'FW2' }),
      at({ type: 'upgrade.poll' }),
      at({ type: 'cmd.result', reqId: 'r1', name: 'QueryUpgrade', ok: true, resp: { upgrade_status: 'done', progress: 100 } }),
      at({ type: 'vd.connected', connId: 'c2', reconnect: true, hardwareModel: 'HW', firmwareModel: 'FW2' }),
      at({ type: 'login.failed', ip: '10.0.0.9', reason: 'wrong password' }),
      { type: 'heartbeat.expired', at: (t += 60_000) },
      ka(0),
      at({ type: 'device.deprovisioned' }),
    ];
    const end = lockstep(puMachine, { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0, 1] }, events);
    expect(end.value).toBe('deprovisioned');
  });

  test('gives the same snapshots on the counter machine, whose ticks and toggles the fast paths take', () => {
    const events: Ev[] = [];
    for (let i = 0; i < 30; i++) events.push(i % 7 === 0 ? { type: 'toggle' } : { type: 'tick', note: `n${i}` });
    expect(lockstep(counterMachine, { deviceId: 'd1' }, events).context.n).toBe(25);
  });

  test('folds volatile values into a snapshot like the internals do, and the machine reads them the same', () => {
    const internals = engineFor(XSTATE_PINNED_VERSION);
    const fallback = engineFor(OTHER_VERSION);
    const input = { deviceId: 'CAM1', macId: 'a0b1c2d3e4f5', channels: [0] };
    const login = { type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW', at: 1000 };
    const [f0] = internals.initial(puMachine, input);
    const [f1] = internals.transition(puMachine, f0, login);
    const [s0] = fallback.initial(puMachine, input);
    const [s1] = fallback.transition(puMachine, s0, login);
    const f = internals.withContext(f1, { lastSeenAt: 50_000 });
    const s = fallback.withContext(s1, { lastSeenAt: 50_000 });
    expect(observed(s)).toEqual(observed(f));
    expect(s1.context.lastSeenAt).toBe(1000); // the original is untouched
    // 59 s after login (past the 30 s timeout), but only 10 s after the folded last-seen time.
    const expired = { type: 'heartbeat.expired', at: 60_000 };
    expect(fallback.transition(puMachine, s1, expired)[0].value).toBe('offline');
    expect(observed(fallback.transition(puMachine, s, expired)[0])).toEqual(observed(internals.transition(puMachine, f, expired)[0]));
    expect(fallback.transition(puMachine, s, expired)[0].value).toEqual({ online: 'ready' });
  });
});
