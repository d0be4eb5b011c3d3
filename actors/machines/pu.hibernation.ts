/**
 * The pu machine's part for devices that sleep (H.627.2 I.1 `HibernationDomain`, I.2.2 `hibernation`/`hb_token`;
 * OVC hibernation.md; NOTES 20): a device whose Vd connection closed while its hibernation link (a TCP connection
 * to the hibernation server, heartbeat every 60 s) is open is asleep, `hibernating`; it is offline only when no
 * heartbeat came for HIBERNATION_OFFLINE_AFTER_S (a dropped TCP link alone is not offline: OVC 2.2).
 *
 * What is logged and what is not: the time of the last heartbeat (`hbSeenAt`) is volatile, like `lastSeenAt`
 * (a sleeping camera's heartbeat every minute is no history row); the link (`hibernation`: its id, the node holding
 * it, the offline time) is logged when it changes, so whether the link is open is a logged fact a replay sees.
 */
import { and, assign, enqueueActions } from 'xstate';
import { at } from './pu.actions.ts';
import { viewerRoute } from './pu.links.ts';
import type { ActorSend } from '../host/tell.ts';
import type { PuContext, PuEvent } from './pu.types.ts';

/** The hibernation offline timer's id (lazy, as the heartbeat timer: a heartbeat moves only `hbSeenAt`). */
export const HIBERNATION_TIMER = 'hibernation';

/** Why a device is asleep when its Vd connection closes while its hibernation link is open. */
export const ASLEEP_ON_CLOSE_REASON = 'its Vd connection closed while its hibernation link is open: asleep';
/** Why a device is asleep when a heartbeat arrives while it has no Vd connection. */
export const ASLEEP_ON_HEARTBEAT_REASON = 'a hibernation heartbeat arrived while it has no Vd connection: asleep';
/** Why a sleeping device is online again. */
export const WOKE_REASON = 'woke and logged in';

/** Silence after which a sleeping device is offline, ms (the platform's setting, carried by its heartbeats). */
export function hibernationTimeoutMs(context: PuContext): number {
  return context.hibernation?.offlineAfterMs ?? 0;
}

/** Why a sleeping device went offline. */
export function silentReason(context: PuContext): string {
  return `no hibernation heartbeat for ${hibernationTimeoutMs(context) / 1000} s`;
}

/**
 * A heartbeat: its time (volatile), and the link it came on when that is new (another TCP connection, another node,
 * another offline time): only then a logged change.
 */
export const heard = assign<PuContext, PuEvent, undefined, PuEvent, never>(({ context, event }) => {
  if (event.type !== 'hibernation.heartbeat') return {};
  const link = context.hibernation;
  const same = link?.linked && link.linkId === event.linkId && link.node === event.node && link.offlineAfterMs === event.offlineAfterMs;
  const seen = { hbSeenAt: at(event) };
  return same ? seen : { ...seen, hibernation: { linkId: event.linkId, node: event.node, offlineAfterMs: event.offlineAfterMs, linked: true } };
});

/** The hibernation link closed (its TCP connection dropped): not offline (OVC 2.2), but no longer a sign of sleep. */
export const unlinked = assign<PuContext, PuEvent, undefined, PuEvent, never>(({ context, event }) => {
  if (event.type !== 'hibernation.linkClosed' || context.hibernation?.linkId !== event.linkId || !context.hibernation.linked) return {};
  return { hibernation: { ...context.hibernation, linked: false } };
});

/** (Re-)arm the offline timer for the timeout after the last heartbeat (or after now, when that is past). */
export const armHibernation = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, never, never, never, never>(({ enqueue, context, event }) => {
  const now = at(event);
  const ms = hibernationTimeoutMs(context);
  let due = (context.hbSeenAt ?? now) + ms;
  if (due <= now) due = now + ms;
  enqueue.cancel(HIBERNATION_TIMER);
  enqueue.raise({ type: 'hibernation.expired', at: due }, { id: HIBERNATION_TIMER, delay: due - now });
});

/** Stop the offline timer of a sleeping device (it woke, or was deprovisioned). */
export const stopHibernation = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, never, never, never, never>(({ enqueue }) =>
  enqueue.cancel(HIBERNATION_TIMER),
);

/** The Vd connection that closed was the current one and the hibernation link is open (a logged fact). */
export function closesIntoSleep({ context, event }: { context: PuContext; event: PuEvent }): boolean {
  return event.type === 'vd.disconnected' && event.connId === context.connId && Boolean(context.hibernation?.linked);
}

/**
 * No heartbeat for the timeout by the time the timer came due. It reads the volatile `hbSeenAt` under
 * MachineDef.volatile's rule, as the heartbeat's `silent` guard does: an older value is only more silent, and a
 * `false` only re-arms the timer (nothing logged).
 */
export function hibernationSilent({ context, event }: { context: PuContext; event: PuEvent }): boolean {
  return at(event) - (context.hbSeenAt ?? 0) >= hibernationTimeoutMs(context);
}

/**
 * The pu's `quiet` shortcut for the commonest event of a sleeping camera (MachineDef.quiet): a heartbeat on the link
 * the context already holds, while `hibernating` or `waking`, only moves `hbSeenAt` (the machine's answer there is the
 * `heard` action alone, which then changes nothing else). 10,000 sleeping cameras cost one XState transition per
 * heartbeat without it. It reads no volatile value (the link is logged).
 */
export function quietHeartbeat(
  snapshot: { status: string; value: unknown; context: unknown },
  event: { type: string; at?: number },
): Record<string, unknown> | null {
  if (event.type !== 'hibernation.heartbeat' || snapshot.status !== 'active') return null;
  if (snapshot.value !== 'hibernating' && snapshot.value !== 'waking') return null;
  const link = (snapshot.context as PuContext).hibernation;
  const e = event as Extract<PuEvent, { type: 'hibernation.heartbeat' }>;
  const same = link?.linked && link.linkId === e.linkId && link.node === e.node && link.offlineAfterMs === e.offlineAfterMs;
  return same ? { hbSeenAt: at(e) } : null;
}

/** Viewers' requests a waking device holds at most (platform's choice: a family's phones; more are refused). */
export const WAKE_PENDING_MAX = 32;
/** WAKE_TIMEOUT when a request carries none (issue #22: WAKE_TIMEOUT_S defaults to 20 s). */
export const WAKE_TIMEOUT_DEFAULT_MS = 20_000;
/** Why a sleeping device is being woken. */
export const WAKING_REASON = 'a viewer asked for live: TOWAKEUP sent, waiting for its login';
/** Why a woken device is online again. */
export const WOKEN_REASON = 'woke on TOWAKEUP and logged in';

/** How long the wake under way may take. */
export function wakeTimeoutMs(context: PuContext): number {
  return context.wake?.timeoutMs ?? WAKE_TIMEOUT_DEFAULT_MS;
}

/** Why a wake failed. */
export function wakeFailedReason(context: PuContext): string {
  return `did not wake within ${wakeTimeoutMs(context) / 1000} s of TOWAKEUP: asleep`;
}

/** Commands that change the pu's own state (rebooting, rescheduling, upgrading): refused while asleep, never held. */
const NOT_HELD = new Set(['RebootDevice', 'Reschedule', 'UpgradeFirmware']);

/**
 * Hold a viewer's request or a command until the device logs in (the first one starts the wake). A record session or an
 * SD-card playback is not held here: its own actor waits in its `waking` state, told by the pu (pu.online when the
 * device logs in, pu.offline with the wake's failure).
 */
export const holdWake = assign<PuContext, PuEvent, undefined, PuEvent, never>(({ context, event }) => {
  const asked = 'wakeTimeoutMs' in event ? event.wakeTimeoutMs : undefined;
  const wake = context.wake ?? { since: at(event), timeoutMs: asked ?? WAKE_TIMEOUT_DEFAULT_MS, pending: [] };
  if (event.type === 'cmd.request') return { wake: { ...wake, commands: [...(wake.commands ?? []), { reqId: event.reqId, name: event.name }] } };
  if (event.type !== 'live.watch') return { wake };
  const { at: _at, ...watch } = event;
  return { wake: { ...wake, pending: [...wake.pending, watch] } };
});

/** Why a sleeping device is being woken for a record session (issue #22 point 3: start recording wakes it). */
export const WAKING_FOR_RECORDING_REASON = 'a record session started: TOWAKEUP sent, waiting for its login';
/** Why a sleeping device is being woken for a playback of its SD card. */
export const WAKING_FOR_SD_PLAY_REASON = 'a viewer asked to play the SD card: TOWAKEUP sent, waiting for its login';
/** What a record session is told while its device wakes. */
export const PU_WAKING_REASON = 'the PU is asleep: TOWAKEUP sent, waiting for its login';

/** Why a device that fell asleep with a record session open is woken again at once (its sessions want it recording). */
export const REWAKE_FOR_RECORDING_REASON = 'fell asleep with a record session open: TOWAKEUP sent, waiting for its login';

/** The device has open record sessions (a camera that falls asleep with one is woken again, once: pu.machine.ts). */
export function recordingsOpen({ context }: { context: PuContext }): boolean {
  return Object.keys(context.recordings ?? {}).length > 0;
}

/** Tell every open record session that its device is asleep and being woken (they wait in `waking`). */
export const tellRecordingsWaking = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context }) => {
  for (const to of Object.keys(context.recordings ?? {}))
    enqueue({ type: 'actor.send', params: { to, event: { type: 'pu.waking', reason: PU_WAKING_REASON } } });
});

/** Tell the record session that opened that its device is asleep and being woken (it waits in `waking`). */
export const tellWaking = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, event }) => {
  if (event.type === 'recording.opened')
    enqueue({ type: 'actor.send', params: { to: event.recordingId, event: { type: 'pu.waking', reason: PU_WAKING_REASON } } });
});

/** Room for another held request or command, and a command that may be held. */
export function wakeRoom({ context, event }: { context: PuContext; event: PuEvent }): boolean {
  if (event.type === 'cmd.request' && NOT_HELD.has(event.name)) return false;
  return (context.wake?.pending.length ?? 0) + (context.wake?.commands?.length ?? 0) < WAKE_PENDING_MAX;
}

/** Why a sleeping device is being woken for a command. */
export function wakingForCommand({ event }: { event: PuEvent }): { reason: string } {
  return { reason: `${event.type === 'cmd.request' ? event.name : 'a command'} asked for: TOWAKEUP sent, waiting for its login` };
}

/** The `vd.send` effect as this file enqueues it. */
interface VdSend {
  type: 'vd.send';
  params: { reqId: string; name: string; refused?: string };
}

/**
 * The device logged in: the held commands go out (`vd.send`; the RPC service holds their params), and every held
 * viewer goes where routeViewer sends it, in the order they asked.
 */
export const replayWakes = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend | VdSend, never, never, never>(({ enqueue, context }) => {
  for (const c of context.wake?.commands ?? []) enqueue({ type: 'vd.send', params: { reqId: c.reqId, name: c.name } });
  let streams = context.streams ?? {};
  for (const watch of context.wake?.pending ?? []) {
    const routed = viewerRoute(context, streams, watch);
    streams = routed.streams ?? streams;
    enqueue(routed.send);
  }
  enqueue.assign({ streams, wake: undefined });
});

/**
 * The wake is over without a login: asleep again, with the reason; the held viewers are dropped (their callers' waits
 * end with an error) and the held commands are refused with the reason (the RPC service answers their callers 503).
 */
export const wakeFailed = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, VdSend, never, never, never>(({ enqueue, context, event }) => {
  const refused = wakeFailedReason(context);
  for (const c of context.wake?.commands ?? []) enqueue({ type: 'vd.send', params: { reqId: c.reqId, name: c.name, refused } });
  enqueue.assign({ since: at(event), reason: wakeFailedReason(context), wake: undefined });
});

/** The `hibernation.wake` effect: from the node holding the link. */
export const WAKE_EFFECT = { type: 'hibernation.wake', params: ({ context }: { context: PuContext }) => ({ node: context.hibernation?.node ?? '' }) } as const;

/**
 * `online.ready` → `waking` on a Vd close into sleep with a record session open (a KeepAwaken lost, the camera slept
 * anyway): TOWAKEUP at once; its streams are told it is offline, its sessions that it is being woken. One try: a failed
 * wake leaves it `hibernating`, and its sessions failed with the wake's reason until it logs in.
 */
export const REWAKE_ON_CLOSE = {
  guard: and(['closesIntoSleep', 'recordingsOpen']),
  target: '#pu.waking',
  actions: [
    'disconnected',
    'stopHeartbeat',
    'holdWake',
    WAKE_EFFECT,
    { type: 'enter', params: { reason: REWAKE_FOR_RECORDING_REASON } },
    'tellOffline',
    'tellRecordingsWaking',
  ],
} as const;

/** A heartbeat of a device without Vd (provisioned, scheduled, offline): asleep. */
export const ASLEEP_ON_HEARTBEAT = {
  target: 'hibernating',
  actions: ['hibernationHeard', { type: 'enter', params: { reason: ASLEEP_ON_HEARTBEAT_REASON } }],
} as const;
