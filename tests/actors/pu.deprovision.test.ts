/** An admin deprovisions a device: its connection closes and its owner is forgotten. */
import { describe, expect, it } from 'bun:test';
import { start } from './pu.harness.ts';

describe('pu machine: deprovisioning', () => {
  it('closes the connection and forgets the owner when deprovisioned', () => {
    const t = start();
    t.login();
    t.send({ type: 'device.bound', userId: 'u1' });
    t.send({ type: 'device.deprovisioned' });
    expect(t.state()).toBe('"deprovisioned"');
    expect(t.closed).toEqual(['device deprovisioned']);
    expect(t.ctx().ownerId).toBeUndefined();
  });
});
