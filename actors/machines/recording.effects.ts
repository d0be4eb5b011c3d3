/**
 * The recording machine's effects (see actors/host/effect-catalog.ts): StartRecord, StopRecord,
 * KeepAwaken and closing the session's row, with the shape of their params and what becomes of each when the
 * process dies before it runs.
 */
import { z } from 'zod';
import { type EffectCallOf, type EffectCatalog, type EffectHandlersFor, NoEffectParams } from '../host/effect-catalog.ts';
import type { RecordingContext } from './recording.types.ts';

/** Every effect the recording machine emits (its setup declares each with `effect()`; tests/actors/effect-catalogs.test.ts checks both ways). */
export const recordingEffects = {
  'recording.start': {
    params: z.strictObject({
      /** The attempt this StartRecord belongs to: only the latest attempt's `record.result` counts. */
      attempt: z.int().positive(),
    }),
    does: "Send StartRecord (I.2.14) for the session, with its Vr URL (`cbk_url`, from the session's row); answers `record.result` with the attempt.",
    idempotent:
      'StartRecord names the session (`session_id`): a PU told twice records it once (the machine already sends it again on every `pu.online`), and an answer to an older attempt is ignored by the `started`/`startFailed` guards.',
    ifLost: 'The RPC_DEADLINE timer fails the attempt as a timeout, and the RETRY timer starts it again.',
  },
  'recording.stop': {
    params: NoEffectParams,
    does: 'Send StopRecord (I.2.15) for the session; answers `record.result`.',
    idempotent: 'StopRecord names the session: a PU no longer recording it answers and changes nothing.',
    ifLost: 'The RPC_DEADLINE timer ends the session as stopped (StopRecord unanswered).',
  },
  'recording.keepAwake': {
    params: z.strictObject({ expiredS: z.int().positive() }),
    does: "Send KeepAwaken (Table 9-4, I.2.26) `{channel, expired}` for the session's channel: the camera stays powered that long.",
    idempotent: 'KeepAwaken sets a deadline: sent twice, the camera stays awake to the same end.',
    ifLost: 'The next `keepAwake.due` sends it again; a session lost with the process stops sending, and the camera sleeps after its deadline.',
  },
  'recording.closed': {
    params: NoEffectParams,
    does: "Close the session's row (another session may start on the channel).",
    idempotent: 'Sets `closed_at` only on a row still open: a second run changes nothing.',
    ifLost: "The row stays open until the next start on the channel, which finds the session's actor done and closes it.",
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the recording machine's effects. */
export type RecordingEffectHandlers = EffectHandlersFor<typeof recordingEffects, RecordingContext>;

/** What the handler of the recording machine's effect `K` is given. */
export type RecordingEffectCall<K extends keyof typeof recordingEffects> = EffectCallOf<typeof recordingEffects, RecordingContext, K>;
