/** The pu actor from provisioning to online (H.627.2 9.3.1): Vs then Vd, and the Vs calls that cost no history row. */
import { describe, expect, it } from 'bun:test';
import { puMachine, puV1 } from '../../actors/machines/pu.machine.ts';
import { pureTransition } from '../../actors/host/transition.ts';
import { start, T0 } from './pu.harness.ts';

describe('pu machine: Vs scheduling and Vd login', () => {
  it('goes provisioned → scheduled → online, recording why and when', () => {
    const t = start();
    expect(t.state()).toBe('"provisioned"');
    t.clock.increment(1000);
    t.send({ type: 'vs.scheduled', ip: '10.0.0.2' });
    expect(t.state()).toBe('"scheduled"');
    expect(t.ctx()).toMatchObject({ scheduledAt: T0 + 1000, reason: 'asked Vs for its server' });
    t.login();
    expect(t.state()).toBe('{"online":"ready"}');
    expect(t.ctx()).toMatchObject({ connected: true, hardwareModel: 'HW1', firmwareModel: 'FW1', reason: 'logged in', since: T0 + 1000 });
  });

  it('does not write history for Vs calls that change no state', () => {
    const t = start();
    t.send({ type: 'vs.scheduled', ip: '10.0.0.2' });
    const before = t.actor.getSnapshot();
    t.clock.increment(1000);
    const [next, actions] = pureTransition(puMachine, before, { type: 'vs.scheduled', ip: '10.0.0.3', at: t.clock.now() });
    expect(actions).toEqual([]);
    expect(next.value).toEqual(before.value);
    const [now, was] = [next.context as unknown as Record<string, unknown>, before.context as unknown as Record<string, unknown>];
    const changed = Object.keys(now).filter((k) => now[k] !== was[k]);
    expect(changed.every((k) => puV1.volatile!.includes(k))).toBe(true); // the host keeps these beside the snapshot, unlogged
  });
});
