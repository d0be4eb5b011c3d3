/**
 * The segment machine's effect (see actors/host/effect-catalog.ts): removing its bytes and its
 * playback-index row, with the shape of its params and what becomes of it when the process dies
 * before it runs.
 */
import { z } from 'zod';
import type { EffectCallOf, EffectCatalog, EffectHandlersFor } from '../host/effect-catalog.ts';
import type { RemovalWhy, SegmentContext } from './segment.types.ts';

/** Why a segment is removed (the schema of {@link RemovalWhy}). */
const Why = z.enum(['failed', 'expired', 'retention', 'quota'] as const satisfies readonly RemovalWhy[]);

/** Every effect the segment machine emits (its setup declares each with `effect()`; tests/actors/effect-catalogs.test.ts checks both ways). */
export const segmentEffects = {
  'segment.remove': {
    params: z.strictObject({ key: z.string().min(1), version: z.string().min(1).optional(), why: Why }),
    does: "Delete the segment's bytes (its pinned version, if any; and any partial upload) in the CS and its playback-index row; answers `segment.removed`.",
    idempotent: 'Deleting a file or row that is already gone does nothing, and `segment.removed` in any state other than removing is ignored.',
    ifLost: 'The REMOVE_RETRY timer re-enters removing and runs it again until it reports back.',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the segment machine's effect. */
export type SegmentEffectHandlers = EffectHandlersFor<typeof segmentEffects, SegmentContext>;

/** What the handler of the segment machine's effect `K` is given. */
export type SegmentEffectCall<K extends keyof typeof segmentEffects> = EffectCallOf<typeof segmentEffects, SegmentContext, K>;
