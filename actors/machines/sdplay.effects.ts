/**
 * The sdplay machine's effects (see actors/host/effect-catalog.ts): PlayVideo, CtrlVideo and closing
 * the playback at the MDU, with the shape of their params and what becomes of each when the process
 * dies before it runs.
 */
import { z } from 'zod';
import { Channel } from '../../protocol/vd-common.ts';
import { CtrlVideoParams, SdPlaySpeed } from '../../protocol/vd-media.ts';
import type { EffectCallOf, EffectCatalog, EffectHandlersFor } from '../host/effect-catalog.ts';
import type { SdPlayContext } from './sdplay.types.ts';

const OnDevice = { playId: z.string().min(1), deviceId: z.string().min(1), channel: Channel };

const RESTART_FAILS_IT =
  "The MDU, the publisher's grant and the viewer's die with the process; at start the sd-play service tells every active playback `platform.restarted`, which fails it and sends CtrlVideo stop.";

/** Every effect the sdplay machine emits (its setup declares each with `effect()`; tests/actors/effect-catalogs.test.ts checks both ways). */
export const sdPlayEffects = {
  'sdplay.push': {
    params: z.strictObject({ ...OnDevice, from: z.int().nonnegative(), to: z.int().positive() }),
    does: 'Admit one publisher of the playback at the MDU, send PlayVideo (I.2.23) with the SRT url and the time range; answers `play.sent`.',
    idempotent: 'Emitted once per playback, on entering `requested`, which it never re-enters; the MDU admits one publisher per stream.',
    ifLost: RESTART_FAILS_IT,
  },
  'sdplay.ctrl': {
    params: z.strictObject({ ...OnDevice, op: CtrlVideoParams.shape.op, pos: z.int().nonnegative().optional(), speed: SdPlaySpeed.optional() }),
    does: 'Send CtrlVideo (I.2.24) for the channel; answers `ctrl.sent`.',
    idempotent: 'A control names the state wanted (pause, resume, a position, a speed, stop): sent twice, it changes nothing more.',
    ifLost: 'A playback still active at the restart is failed and told to stop (`platform.restarted`).',
  },
  'sdplay.close': {
    params: z.strictObject({ playId: z.string().min(1), reason: z.string() }),
    does: "Close the playback at the MDU (its publisher and viewer) and forget the viewer's grants.",
    idempotent: 'Closing a stream the MDU no longer has does nothing.',
    ifLost: 'Nothing to close: the MDU and the grants died with the process.',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the sdplay machine's effects. */
export type SdPlayEffectHandlers = EffectHandlersFor<typeof sdPlayEffects, SdPlayContext>;

/** What the handler of the sdplay machine's effect `K` is given. */
export type SdPlayEffectCall<K extends keyof typeof sdPlayEffects> = EffectCallOf<typeof sdPlayEffects, SdPlayContext, K>;
