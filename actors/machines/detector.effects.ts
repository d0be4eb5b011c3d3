/**
 * The detector machine's effects (see actors/host/effect-catalog.ts): one detection run (snapshot, detect, record
 * the event) and the continuous frame feed, with the shape of their params and what becomes of each when the
 * process dies before it runs.
 */
import { z } from 'zod';
import { Channel } from '../../protocol/vd-common.ts';
import type { EffectCallOf, EffectCatalog, EffectHandlersFor } from '../host/effect-catalog.ts';
import type { DetectorContext } from './detector.types.ts';

const OnChannel = { deviceId: z.string().min(1), channel: Channel };
const Zone = z.strictObject({ name: z.string(), points: z.array(z.tuple([z.number(), z.number()])) });

/** Every effect the detector machine emits (its setup declares each with `effect()`). */
export const detectorEffects = {
  'detect.run': {
    params: z.strictObject({
      ...OnChannel,
      attempt: z.int().positive(),
      alarmId: z.string().optional(),
      classes: z.array(z.string()),
      minScore: z.number(),
      zones: z.array(Zone),
    }),
    does: 'Take a snapshot of the channel (the Snapshot RPC), detect in it, record a detection event (even with nothing found); answers `detect.result`.',
    idempotent:
      'Each run has its attempt number; the machine takes the result of its latest attempt only, so a run done twice records two rows at most, one of them ignored.',
    ifLost: "The run's DETECT_TIMEOUT fails it with the reason; the next alarm runs again.",
  },
  'detect.feed': {
    params: z.strictObject({ ...OnChannel, on: z.boolean(), fps: z.number() }),
    does: "Start (or stop) the channel's frame feed for continuous mode; a feed that cannot run answers `detect.feed.failed`.",
    idempotent: 'Starting a running feed or stopping a stopped one changes nothing.',
    ifLost: 'Feeds die with the process; the detection service restarts the feeds of armed continuous detectors at start.',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the detector machine's effects. */
export type DetectorEffectHandlers = EffectHandlersFor<typeof detectorEffects, DetectorContext>;

/** What the handler of the detector machine's effect `K` is given. */
export type DetectorEffectCall<K extends keyof typeof detectorEffects> = EffectCallOf<typeof detectorEffects, DetectorContext, K>;
