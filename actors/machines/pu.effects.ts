/**
 * The pu machine's effects (see actors/host/effect-catalog.ts): what the pu actor asks the world
 * to do after a commit, with the shape of its params and what becomes of it when the process dies
 * before it runs.
 */
import { z } from 'zod';
import type { EffectCallOf, EffectCatalog, EffectHandlersFor } from '../host/effect-catalog.ts';
import type { PuContext } from './pu.types.ts';

/** Every effect the pu machine emits (its setup declares each with `effect()`; tests/actors/effect-catalogs.test.ts checks both ways). */
export const puEffects = {
  'vd.send': {
    params: z.strictObject({
      /** Names the command end to end: the RPC service's outbox entry (its params) and the `cmd.result` that answers it. */
      reqId: z.string().min(1),
      /** The Vd message (Table 9-4); the RPC service checked it against the catalog when the API asked. */
      name: z.string().min(1),
      /**
       * The message's params when the machine decides the message itself and they are not secret (StopLive of a
       * stream the platform never asked for, pu.links.ts); an API command's params wait in the RPC service instead.
       */
      params: z.record(z.string(), z.unknown()).optional(),
      /** Not to be sent: why (a command held for a wake that failed, pu.hibernation.ts); its caller is told this. */
      refused: z.string().min(1).optional(),
    }),
    does: 'Send Vd message `name` to the device, with the params the RPC service holds for `reqId` (they never enter the log) or the params given, and answer the actor with `cmd.result`.',
    idempotent:
      'Keyed by `reqId`, not the effect key: the RPC service takes the held params out of its outbox on the first run, and the device answers the seq the connection gives it. A machine emits each `reqId` once (an API command) or per poll count (`<device>:upgrade-poll:<n>`, QueryUpgrade, which only reads).',
    ifLost:
      'The Vd socket and the outbox die with the process, so the API caller gets an error and the device reconnects: RebootDevice/Reschedule/UpgradeFirmware already moved the machine to rebooting/rescheduling/upgrading, which the reconnect or REBOOT_TIMEOUT/RESCHEDULE_TIMEOUT/UPGRADE_TIMEOUT ends; a lost QueryUpgrade is sent again by the next `upgrade.poll` timer; `lastCommand` keeps no result.',
  },
  'vd.close': {
    params: z.strictObject({ reason: z.string() }),
    does: "Close the device's Vd connection (it was deprovisioned).",
    idempotent: 'Closing a connection that is closed or gone does nothing.',
    ifLost: 'The connection died with the process; the device reconnects and its login is refused (its credentials were deleted with its row).',
  },
  'recording.alarm': {
    params: z.strictObject({
      channel: z.int().nonnegative(),
      /** The alarm that asks for it (the `alarms` row id). */
      alarmId: z.string().min(1),
      /** Seconds recorded after each alarm, and the camera's pre-recording (StartRecord `prerecord_seconds`). */
      recordS: z.int().positive(),
      prerecordS: z.int().nonnegative(),
    }),
    does: 'Open an alarm-triggered record session on the channel (its row and recording actor, which sends StartRecord); when one opened meanwhile, tell it the alarm (`alarm.seen`) instead.',
    idempotent:
      'One open session per channel (a unique index): a second run finds the one the first opened and tells it the same alarm, which sets the same stop time.',
    ifLost: 'The alarm is not recorded on video; the next alarm of the channel opens a session.',
  },
  'hibernation.wake': {
    params: z.strictObject({
      /** The node holding the device's hibernation link, as its last heartbeat said ('' when none is known). */
      node: z.string(),
    }),
    does: "Send `TOWAKEUP` on the device's hibernation link (OVC hibernation.md 3.2): from this node if it holds the link, else through the node that does (docs/cluster.md).",
    idempotent: 'A second TOWAKEUP to a device that is waking does nothing more: it logs in once.',
    ifLost: 'The pu stays `waking` until WAKE_TIMEOUT, then goes back to `hibernating`; the viewer gets a clear error and may ask again.',
  },
} as const satisfies EffectCatalog;

/** The services' implementations of the pu machine's effects. */
export type PuEffectHandlers = EffectHandlersFor<typeof puEffects, PuContext>;

/** What the handler of the pu machine's effect `K` is given. */
export type PuEffectCall<K extends keyof typeof puEffects> = EffectCallOf<typeof puEffects, PuContext, K>;
