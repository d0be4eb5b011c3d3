/**
 * The effect binder: a handler gets its params as the catalog parsed them and its actor's context;
 * params the catalog refuses are logged with the effect and the field, and the handler does not run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { bindEffects, type EffectCatalog, type EffectHandlersFor, mergeEffects, type TypedEffectCall } from '../../actors/host/effect-catalog.ts';
import { ActorHost } from '../../actors/host/host.ts';
import { silentLog } from '../../lib/log.ts';
import { lampV1 } from '../fixtures/lamp.machine.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
}, 30_000);
afterAll(async () => {
  await t?.cleanup();
});

interface LampContext {
  name: string;
  switches: number;
}

/** The lamp fixture's effect as its machine emits it (`announce` with `{ text: 'on' }`). */
const lampEffects = {
  announce: { params: z.strictObject({ text: z.string() }), does: 'say something', idempotent: 'saying it twice is harmless', ifLost: 'unsaid' },
} as const satisfies EffectCatalog;

/** The same effect after its catalog moved on (an actor on an older machine version still emits the old shape). */
const stricterLampEffects = {
  announce: { params: z.strictObject({ text: z.literal('lit') }), does: 'say something', idempotent: 'saying it twice is harmless', ifLost: 'unsaid' },
} as const satisfies EffectCatalog;

/** A logger that keeps its lines. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: pino({ level: 'info', base: undefined }, { write: (s: string) => lines.push(JSON.parse(s)) }) };
}

function lampHost(effects: ReturnType<typeof bindEffects>) {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2026, 0, 1));
  return new ActorHost({ db: t.db, machines: [lampV1], clock, effects, log: silentLog });
}

describe('effect binder', () => {
  it("runs the handler with the params the catalog parsed and the actor's context", async () => {
    const calls: Array<TypedEffectCall<{ text: string }, LampContext>> = [];
    const handlers: EffectHandlersFor<typeof lampEffects, LampContext> = { announce: (c) => void calls.push(c) };
    const host = lampHost(bindEffects(lampEffects, handlers, silentLog));
    await host.create('lamp', 'lamp:hall', { name: 'hall' });
    await host.dispatch('lamp:hall', { type: 'on' });
    expect(calls.map((c) => [c.type, c.params, c.context.name, c.context.switches, c.key])).toEqual([['announce', { text: 'on' }, 'hall', 1, 'lamp:hall:1:0']]);
    await host.stop();
  });

  it('logs params the catalog refuses, naming the effect and the field, and does not run the handler', async () => {
    const { lines, log } = capture();
    let ran = 0;
    const handlers: EffectHandlersFor<typeof stricterLampEffects, LampContext> = { announce: () => void ran++ };
    const host = lampHost(bindEffects(stricterLampEffects, handlers, log));
    await host.create('lamp', 'lamp:porch', { name: 'porch' });
    await host.dispatch('lamp:porch', { type: 'on' });
    expect(ran).toBe(0);
    expect(lines.map((l) => [l.level, l.msg, l.effect, l.field, l.actor, l.key])).toEqual([
      [pino.levels.values.error, 'effect params invalid; not run', 'announce', 'text', 'lamp:porch', 'lamp:porch:1:0'],
    ]);
    await host.stop();
  });

  it('refuses two catalogs that declare the same effect name', () => {
    const a = bindEffects(lampEffects, { announce: () => {} }, silentLog);
    const b = bindEffects(stricterLampEffects, { announce: () => {} }, silentLog);
    expect(() => mergeEffects(a, b)).toThrow('effect announce is declared by two catalogs');
  });
});
