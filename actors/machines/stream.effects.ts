/**
 * The stream machine's effects (see actors/host/effect-catalog.ts): PushLive, StopLive and closing
 * the stream at the MDU, with the shape of their params and what becomes of each when the process
 * dies before it runs.
 */
import { z } from 'zod';
import { Channel } from '../../protocol/vd-common.ts';
import type { EffectCallOf, EffectCatalog, EffectHandlersFor } from '../host/effect-catalog.ts';
import type { StreamContext } from './stream.types.ts';

/** What names a stream on the device: PushLive/StopLive `stream_id`, the device and its channel. */
const StreamOnDevice = { streamId: z.string().min(1), deviceId: z.string().min(1), channel: Channel };

/** After a restart the live service tells every stream still active `platform.restarted`: it fails and sends StopLive. */
const RESTART_FAILS_IT =
  "The MDU, its grants and the stream's secrets die with the process; at start the live service sends every active stream `platform.restarted`, which fails it and sends StopLive; a viewer asks again and gets a new stream.";

/** Every effect the stream machine emits (its setup declares each with `effect()`; tests/actors/effect-catalogs.test.ts checks both ways). */
export const streamEffects = {
  'live.push': {
    params: z.strictObject({ ...StreamOnDevice, maxBitrateKbps: z.int().positive() }),
    does: 'Issue the publisher a single-use token and a passphrase, admit it at the MDU, send PushLive (I.2.12) with the SRT url; answers `push.result`.',
    idempotent:
      'Not by itself (each run grants a new token and sends PushLive again), and it need not be: the host runs an effect once per commit, and the machine emits it once per session, on entering pushRequested, which it never re-enters; and were it run twice, the MDU still admits one publisher per stream (a second publish of a live stream is refused as a conflict).',
    ifLost: RESTART_FAILS_IT,
  },
  'live.stop': {
    params: z.strictObject(StreamOnDevice),
    does: 'Send StopLive (I.2.13) for the stream; answers `stop.result`.',
    idempotent: 'StopLive names the stream: a device that no longer publishes it answers and changes nothing.',
    ifLost:
      "A stream still stopping is active at the restart: `platform.restarted` fails it and sends StopLive again. One that had failed is done and is not told again; the camera's SRT publish died with the MDU.",
  },
  'live.keepAwake': {
    params: z.strictObject({ deviceId: z.string().min(1), channel: Channel, expiredS: z.int().positive() }),
    does: 'Send KeepAwaken (Table 9-4, I.2.26) `{channel, expired}` to the device: it stays powered that long.',
    idempotent: 'KeepAwaken sets a deadline: sent twice, the device stays awake to the same end.',
    ifLost: 'The next `keepAwake.due` sends it again; a stream lost with the process stops sending, and the camera sleeps after its deadline.',
  },
  'live.close': {
    params: z.strictObject({ streamId: z.string().min(1), reason: z.string() }),
    does: "Close the stream at the MDU (its publisher and viewers) and forget its secrets and viewers' grants.",
    idempotent: 'Closing a stream the MDU no longer has, or forgetting secrets already gone, does nothing.',
    ifLost: 'Nothing to close: the MDU and the secrets died with the process.',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the stream machine's effects. */
export type StreamEffectHandlers = EffectHandlersFor<typeof streamEffects, StreamContext>;

/** What the handler of the stream machine's effect `K` is given. */
export type StreamEffectCall<K extends keyof typeof streamEffects> = EffectCallOf<typeof streamEffects, StreamContext, K>;
