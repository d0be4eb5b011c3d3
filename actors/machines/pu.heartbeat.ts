/** The pu machine's heartbeat timer (NOTES 3): offline after 3 heartbeat intervals without a message. */
import { enqueueActions } from 'xstate';
import { OFFLINE_AFTER_HB_INTERVALS } from '../../protocol/constants.ts';
import { at } from './pu.actions.ts';
import type { PuContext, PuEvent } from './pu.types.ts';

/**
 * The heartbeat timer's id. It is lazy: what the device sends only moves `lastSeenAt`; when the
 * timer comes due it goes offline if nothing was heard for the timeout, else re-arms for the
 * timeout after the last message. So a keepalive changes no timer (no row write, no timer-queue
 * entry), and offline still comes exactly 3 intervals after the last message.
 */
export const HEARTBEAT_TIMER = 'heartbeat';

/** Silence after which a device is offline: 3 heartbeat intervals (NOTES 3; I.2.2 hb_interval). */
export function heartbeatTimeoutMs(context: PuContext): number {
  return context.hbIntervalS * OFFLINE_AFTER_HB_INTERVALS * 1000;
}

/**
 * (Re-)arm the offline timer for the timeout after the last message (or after now, when that
 * is past: a check while upgrading); its event carries its own due time, so `since` is exact.
 */
export const armHeartbeat = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, never, never, never, never>(({ enqueue, context, event }) => {
  const now = at(event);
  const ms = heartbeatTimeoutMs(context);
  let due = (context.lastSeenAt ?? now) + ms;
  if (due <= now) due = now + ms;
  enqueue.cancel(HEARTBEAT_TIMER);
  enqueue.raise({ type: 'heartbeat.expired', at: due }, { id: HEARTBEAT_TIMER, delay: due - now });
});

/**
 * Nothing heard for the heartbeat timeout by the time the timer came due. `lastSeenAt` is
 * volatile (no row per keepalive), and this guard may read it under MachineDef.volatile's rule:
 * the host hands it the newest value; replay has an older or equal one, and an older last-seen
 * time is only more silent, so a logged `true` (offline) replays the same; a `false` only
 * re-arms the heartbeat timer, which the host does not log. Any change that breaks one of
 * these (logging the re-arm, assigning a non-volatile key on it, a guard true for a newer
 * value) breaks replay: tests/actors/pu.volatile.test.ts.
 */
export function silent({ context, event }: { context: PuContext; event: PuEvent }): boolean {
  return at(event) - (context.lastSeenAt ?? 0) >= heartbeatTimeoutMs(context);
}
