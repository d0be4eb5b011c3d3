/**
 * What the pu decides about its device's streams and record sessions (issue #20 point 3): which
 * stream a viewer joins, what its streams and sessions are told when the device goes offline or
 * comes back, the StopLive for a stream the platform did not ask for (NOTES 2), and the resync of a
 * record session the device stopped reporting (NOTES 2). The pu keeps links to them in its context
 * (`streams`, `recordings`); the streams and sessions keep them current by telling the pu.
 */
import { enqueueActions } from 'xstate';
import { streamActorId } from './ids.ts';
import type { ActorSend } from '../host/tell.ts';
import type { LiveWatch, PuChannelState, PuContext, PuEvent, PuRecordingLink, PuStreamLink } from './pu.types.ts';
import { onCommandResult } from './pu.actions.ts';

/** The `vd.send` effect as the pu enqueues it for a message it decides on itself (its params are not secret). */
interface VdSend {
  type: 'vd.send';
  params: { reqId: string; name: string; params?: Record<string, unknown> };
}

type Args = { context: PuContext; event: PuEvent };
const at = (e: PuEvent) => e.at ?? 0;
const streamsOf = (c: PuContext): Record<string, PuStreamLink> => c.streams ?? {};
const recordingsOf = (c: PuContext): Record<string, PuRecordingLink> => c.recordings ?? {};

/**
 * `live.watch`: the viewer joins the channel's joinable stream; with none, the pu opens the stream
 * the platform named for it (the host creates the stream actor, then delivers the join). The join
 * carries that id too: a stream that has begun stopping when the join reaches it hands the viewer
 * back here, and the pu then opens it.
 */
export const routeViewer = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context, event }) => {
  if (event.type !== 'live.watch') return;
  const { at: _at, ...watch } = event;
  const routed = viewerRoute(context, streamsOf(context), watch);
  if (routed.streams) enqueue.assign({ streams: routed.streams });
  enqueue(routed.send);
});

/**
 * `sd.play`: a camera plays one SD-card recording per channel at a time (PlayVideo and CtrlVideo
 * name only the channel, I.2.23, I.2.24), so a running playback of the channel is told it was
 * replaced; the new one (an sdplay actor, linked like a stream that takes no viewer) is created.
 * With `wait` (its device is asleep and being woken) it is created waiting (`sd.wait`), and starts
 * when the pu tells it the device logged in (tellOnline).
 */
export const routeSdPlay = enqueueActions<PuContext, PuEvent, { wait?: boolean } | undefined, PuEvent, never, ActorSend, never, never, never>(
  ({ enqueue, context, event }, p) => {
    if (event.type !== 'sd.play') return;
    const streams = streamsOf(context);
    for (const [to, s] of Object.entries(streams))
      if (s.sd && s.channel === event.channel) enqueue({ type: 'actor.send', params: { to, event: { type: 'sd.replaced' } } });
    const to = streamActorId(event.playId);
    const wait = p?.wait === true;
    enqueue.assign({ streams: { ...streams, [to]: { channel: event.channel, joinable: false, sd: true, ...(wait ? { waiting: true } : {}) } } });
    const input = {
      playId: event.playId,
      deviceId: context.deviceId,
      channel: event.channel,
      from: event.from,
      to: event.to,
      ...(event.by ? { by: event.by } : {}),
    };
    const create = { type: 'sdplay', input, deviceId: context.deviceId, parentId: `pu:${context.deviceId}` };
    enqueue({ type: 'actor.send', params: { to, event: { type: wait ? 'sd.wait' : 'sd.start' }, create } });
  },
);

/**
 * KeepAwaken's `expired` for a stream of a camera that may sleep, seconds (issue #22; platform's choice: a minute, sent
 * every half minute, so a camera stays up through a missed one and sleeps within a minute of the stream's end).
 */
export const KEEP_AWAKE_S = 60;

/** A camera that may sleep: it has a hibernation link, or says it runs on a battery (GetCap, NOTES 9). */
export function maySleep(context: PuContext): boolean {
  return context.hibernation !== undefined || context.capabilities?.battery === true;
}

/** Where a viewer goes (see routeViewer): the message to send, and the streams when a new one opens. */
export function viewerRoute(
  context: PuContext,
  streams: Record<string, PuStreamLink>,
  watch: LiveWatch,
): { send: ActorSend; streams?: Record<string, PuStreamLink> } {
  const deviceId = context.deviceId;
  const join = { type: 'viewer.join', viewerId: watch.viewerId, ...(watch.by ? { by: watch.by } : {}), next: watch };
  const open = Object.entries(streams).find(([id, s]) => s.joinable && s.channel === watch.channel && id !== streamActorId(watch.streamId));
  if (open) return { send: { type: 'actor.send', params: { to: open[0], event: join } } };
  const to = streamActorId(watch.streamId);
  const input = {
    ...{ streamId: watch.streamId, deviceId, channel: watch.channel, maxBitrateKbps: watch.maxBitrateKbps, lingerMs: watch.lingerMs },
    ...(maySleep(context) ? { keepAwakeS: KEEP_AWAKE_S } : {}),
  };
  return {
    streams: { ...streams, [to]: { channel: watch.channel, joinable: true } },
    send: { type: 'actor.send', params: { to, event: join, create: { type: 'stream', input, deviceId, parentId: `pu:${deviceId}` } } },
  };
}

/** A stream stops taking viewers, or ended; a record session opened or ended. */
export function streamStopping({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'stream.stopping') return {};
  const id = streamActorId(event.streamId);
  const s = streamsOf(context)[id];
  return s ? { streams: { ...streamsOf(context), [id]: { ...s, joinable: false } } } : {};
}
export function streamClosed({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'stream.closed') return {};
  const { [streamActorId(event.streamId)]: _gone, ...rest } = streamsOf(context);
  return { streams: rest };
}
/**
 * A record session opened: linked, and, on a camera that may sleep, told to keep it awake while it records (KeepAwaken
 * ahead of the camera's idle timeout, as a live stream does: issue #22 point 3).
 */
export const recordingOpened = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context, event }) => {
  if (event.type !== 'recording.opened') return;
  enqueue.assign({ recordings: { ...recordingsOf(context), [event.recordingId]: { channel: event.channel, sessionId: event.sessionId } } });
  if (maySleep(context)) enqueue({ type: 'actor.send', params: { to: event.recordingId, event: { type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S } } });
});
/**
 * The device's answer to a command (pu.actions.ts onCommandResult), and when it is the GetCap that first says the camera
 * runs on a battery (asked at login, answered after a record session or a stream may have opened already): the open
 * sessions are told to keep it awake from now on, as they would have been had it been known when they opened.
 */
export const commandResult = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context, event }) => {
  const update = onCommandResult({ context, event });
  enqueue.assign(update);
  if (maySleep(context) || !maySleep({ ...context, ...update })) return;
  const keepAwake = { type: 'pu.keepAwake', keepAwakeS: KEEP_AWAKE_S };
  for (const to of [...Object.keys(recordingsOf(context)), ...Object.keys(streamsOf(context))])
    enqueue({ type: 'actor.send', params: { to, event: keepAwake } });
});
/** A record session ended: see pu.alarm-recording.ts (an alarm may follow it with another). */
export { alarmRecordingSet, ON_ALARM, opensAlarmSession, recordingClosed } from './pu.alarm-recording.ts';

/** The device went offline (or was deprovisioned): its streams fail and its record sessions wait for it. */
export const tellOffline = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context }) => {
  const event = { type: 'pu.offline', reason: context.reason };
  for (const to of [...Object.keys(streamsOf(context)), ...Object.keys(recordingsOf(context))]) enqueue({ type: 'actor.send', params: { to, event } });
});

/**
 * The device logged in again (or was heard from again): its record sessions start recording again, and the SD-card
 * playbacks that waited for it to wake start playing.
 */
export const tellOnline = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend, never, never, never>(({ enqueue, context }) => {
  for (const to of Object.keys(recordingsOf(context))) enqueue({ type: 'actor.send', params: { to, event: { type: 'pu.online' } } });
  const streams = streamsOf(context);
  const waiting = Object.entries(streams).filter(([, s]) => s.waiting);
  if (waiting.length === 0) return;
  for (const [to] of waiting) enqueue({ type: 'actor.send', params: { to, event: { type: 'pu.online' } } });
  enqueue.assign({ streams: Object.fromEntries(Object.entries(streams).map(([id, { waiting: _w, ...s }]) => [id, s])) });
});

/**
 * A Keepalive compared with the one before it (run before the context takes the new one). Only
 * what changed since the last report counts, so a device that keeps reporting the same thing is
 * told once, not at every keepalive:
 * - a channel now reports a stream the pu has no link to: StopLive (NOTES 2);
 * - a record session the device reported is gone from its report, or another one is reported on its
 *   channel: the session is told to StartRecord again (NOTES 2; a device that never reports sessions
 *   is left alone).
 */
export const checkChannels = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, ActorSend | VdSend, never, never, never>(
  ({ enqueue, context, event }) => {
    if (event.type !== 'vd.keepalive') return;
    const before = new Map(context.channelStates.map((c) => [c.channel, c] as const));
    const now = new Map(event.channels.map((c) => [c.channel, c] as const));
    for (const c of event.channels) {
      if (!c.stream_id || c.stream_id === before.get(c.channel)?.stream_id) continue;
      if (streamsOf(context)[streamActorId(c.stream_id)]?.channel === c.channel) continue;
      enqueue({
        type: 'vd.send',
        params: {
          reqId: `${context.deviceId}:stop-unexpected:${c.channel}:${at(event)}`,
          name: 'StopLive',
          params: { stream_id: c.stream_id, channel: c.channel },
        },
      });
    }
    for (const [to, r] of Object.entries(recordingsOf(context))) {
      const reason = resyncReason(r, before.get(r.channel), now.get(r.channel));
      if (reason) enqueue({ type: 'actor.send', params: { to, event: { type: 'record.resync', reason } } });
    }
  },
);

/** Why a record session must StartRecord again, from the channel's last two reports; undefined when it need not. */
export function resyncReason(r: PuRecordingLink, was: PuChannelState | undefined, is: PuChannelState | undefined): string | undefined {
  if (was?.record_session === is?.record_session) return undefined;
  if (is?.record_session !== undefined && is.record_session !== r.sessionId)
    return `the PU reports record session ${is.record_session} on channel ${r.channel}`;
  if (was?.record_session === r.sessionId) return `the PU no longer reports record session ${r.sessionId}`;
  return undefined;
}

/** A channel's detector wants (or no longer wants) its alarms (issue 25). */
export { detectionSet } from './pu.detection.ts';
