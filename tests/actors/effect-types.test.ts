/**
 * What the effect catalogs promise: every entry documented, and the wrong shape a compile error
 * (`bun run typecheck` checks the `@ts-expect-error` lines below: each must still be an error).
 */
import { describe, expect, it } from 'bun:test';
import { setup } from 'xstate';
import { z } from 'zod';
import { effect, type EffectCatalog } from '../../actors/host/effect-catalog.ts';
import { type PuEffectHandlers, puEffects } from '../../actors/machines/pu.effects.ts';
import { recordingEffects } from '../../actors/machines/recording.effects.ts';
import { segmentEffects } from '../../actors/machines/segment.effects.ts';
import { streamEffects } from '../../actors/machines/stream.effects.ts';

const CATALOGS: Record<string, EffectCatalog> = { pu: puEffects, stream: streamEffects, recording: recordingEffects, segment: segmentEffects };

describe('effect catalogs as types', () => {
  it('documents every effect: what it does, why running it again is harmless, what a crash before it runs leaves', () => {
    for (const [machine, catalog] of Object.entries(CATALOGS)) {
      for (const [name, spec] of Object.entries(catalog)) {
        const missing = (['does', 'idempotent', 'ifLost'] as const).filter((k) => spec[k].trim() === '');
        expect({ machine, name, missing, schema: spec.params instanceof z.ZodType }).toEqual({ machine, name, missing: [], schema: true });
      }
    }
  });

  it('does not compile a catalog entry, emitted params or a handler map of the wrong shape; the binder refuses such params too', () => {
    const wrongEntry = {
      // @ts-expect-error params must be a zod schema
      'x.y': { params: { reason: 'a string, not a schema' }, does: 'd', idempotent: 'i', ifLost: 'l' },
    } satisfies EffectCatalog;
    const undocumented = {
      // @ts-expect-error an entry says what happens when its effect is lost
      'x.z': { params: z.strictObject({}), does: 'd', idempotent: 'i' },
    } satisfies EffectCatalog;
    const machine = setup({ actions: { 'vd.close': effect(puEffects, 'vd.close') } }).createMachine({
      // @ts-expect-error `vd.close` takes { reason: string }
      entry: { type: 'vd.close', params: { reason: 42 } },
    });
    // @ts-expect-error every effect of the catalog needs a handler (`vd.send` is missing)
    const incomplete: PuEffectHandlers = { 'vd.close': () => {} };
    const misread: PuEffectHandlers = {
      'vd.close': () => {},
      'hibernation.wake': () => {},
      'recording.alarm': () => {},
      // @ts-expect-error `vd.send` has no `deviceId` param (the device is the actor's context)
      'vd.send': (call) => void call.params.deviceId.length,
    };
    const wrongContext: PuEffectHandlers = {
      'vd.send': () => {},
      'hibernation.wake': () => {},
      'recording.alarm': () => {},
      // @ts-expect-error the context is the pu machine's, which has no `streamId`
      'vd.close': (call) => void call.context.streamId,
    };
    expect([wrongEntry, undocumented, machine, incomplete, misread, wrongContext].every(Boolean)).toBe(true);
    expect(z.safeParse(puEffects['vd.close'].params, { reason: 42 }).success).toBe(false);
  });
});
