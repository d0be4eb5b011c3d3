/**
 * The stream actor: one live session of one device channel (H.627.2 9.3.3, I.2.12, I.2.13).
 * The first viewer starts it: PushLive is sent with the SRT url, the stream id and the bitrate;
 * the camera's SRT publish makes it live; when the last viewer leaves it lingers, then StopLive.
 * It fails, with the reason, on a PushLive error (11, 12, 101 or any other), on no ingest within
 * 10 s, on the publisher going silent, or when the PU goes offline.
 */
import { assign, cancel, enqueueActions, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import { VD_ERR } from '../../protocol/constants.ts';
import { streamEffects } from './stream.effects.ts';
import type { StreamContext, StreamEvent, StreamInput } from './stream.types.ts';
import { puActorId } from './ids.ts';
import type { ActorSendParams } from '../host/tell.ts';
import { KEEP_AWAKE_TIMER, keepAwakeEveryMs } from './keep-awake.ts';

export type { StreamContext, StreamEvent, StreamInput } from './stream.types.ts';

/** A stream whose camera has not started publishing this long after PushLive has failed (issue #4). */
export const INGEST_TIMEOUT_MS = 10_000;
/** Default linger after the last viewer left, before StopLive (issue #4). */
export const DEFAULT_LINGER_MS = 30_000;
/** A viewer registered through the API has this long to connect (SRT or WSS) before it counts as gone. */
export const VIEWER_CONNECT_TIMEOUT_MS = 60_000;

/** Words for the PushLive error codes of I.2.12. */
const PUSH_ERRORS: Record<number, string> = {
  [VD_ERR.STREAM_TOO_LARGE]: 'the stream is too large',
  [VD_ERR.PARAMETER]: 'parameter error',
  [VD_ERR.UNSUPPORTED_METHOD]: 'PushLive is not supported',
};

export { streamActorId } from './ids.ts';

const at = (e: StreamEvent) => e.at ?? 0;

/** Tell the device's pu that this stream stops taking viewers, or ended (the pu's link to it). */
const tellPu = (type: 'stream.stopping' | 'stream.closed') =>
  ({
    type: 'actor.send',
    params: ({ context }: { context: StreamContext }): ActorSendParams => ({ to: puActorId(context.deviceId), event: { type, streamId: context.streamId } }),
  }) as const;
/** A join that reached this stream after it began stopping goes back to the pu, which opens the stream the join names. */
const BOUNCE_VIEWER = {
  type: 'actor.send',
  params: ({ context, event }: { context: StreamContext; event: StreamEvent }): ActorSendParams => ({
    to: puActorId(context.deviceId),
    event: event.type === 'viewer.join' && event.next ? event.next : { type: 'live.watch.lost' },
  }),
} as const;
const viewerTimer = (id: string) => `viewer:${id}`;
/** The `live.keepAwake` effect (KeepAwaken) of this stream. */
const KEEP_AWAKE = {
  type: 'live.keepAwake',
  params: ({ context }: { context: StreamContext }) => ({ deviceId: context.deviceId, channel: context.channel, expiredS: context.keepAwakeS ?? 0 }),
} as const;

/** The `live.stop` effect (StopLive) of this stream; its params are checked against the catalog where it is used. */
const STOP_DEVICE = {
  type: 'live.stop',
  params: ({ context }: { context: StreamContext }) => ({ streamId: context.streamId, deviceId: context.deviceId, channel: context.channel }),
} as const;
/** The `live.close` effect of this stream (closed at the MDU with the reason it ended). */
const CLOSE = { type: 'live.close', params: ({ context }: { context: StreamContext }) => ({ streamId: context.streamId, reason: context.reason }) } as const;

export const streamMachine = setup({
  types: {} as { context: StreamContext; events: StreamEvent; input: StreamInput },
  delays: {
    INGEST_TIMEOUT: INGEST_TIMEOUT_MS,
    LINGER: ({ context }) => context.lingerMs,
  },
  guards: {
    pushOk: ({ event }) => event.type === 'push.result' && event.ok,
    noViewers: ({ context }) => Object.keys(context.viewers).length === 0,
    /** The join names another stream to open for the viewer (never this one: that would loop). */
    bounces: ({ context, event }) => event.type === 'viewer.join' && event.next !== undefined && event.next.streamId !== context.streamId,
  },
  actions: {
    enter: assign(({ event }, p: { reason: string }) => ({ since: at(event), reason: p.reason })),
    addViewer: enqueueActions(({ enqueue, event }) => {
      if (event.type !== 'viewer.join') return;
      enqueue.assign(({ context }) => ({
        viewers: { ...context.viewers, [event.viewerId]: { kind: 'pending', since: at(event), ...(event.by ? { by: event.by } : {}) } },
      }));
      enqueue.raise(
        { type: 'viewer.expired', viewerId: event.viewerId, at: at(event) + VIEWER_CONNECT_TIMEOUT_MS },
        { id: viewerTimer(event.viewerId), delay: VIEWER_CONNECT_TIMEOUT_MS },
      );
    }),
    viewerConnected: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'viewer.connected') return;
      const v = context.viewers[event.viewerId];
      if (!v) return;
      enqueue.cancel(viewerTimer(event.viewerId));
      enqueue.assign({ viewers: { ...context.viewers, [event.viewerId]: { ...v, kind: event.kind } } });
    }),
    removeViewer: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'viewer.leave' && event.type !== 'viewer.expired') return;
      if (!context.viewers[event.viewerId]) return;
      const { [event.viewerId]: _gone, ...rest } = context.viewers;
      enqueue.cancel(viewerTimer(event.viewerId));
      enqueue.assign({ viewers: rest });
    }),
    requested: assign(({ event }) => ({ requestedAt: at(event) })),
    /** PushLive's answer after the camera already publishes (it may answer late): kept for the record. */
    pushAnswered: assign(({ event }) =>
      event.type === 'push.result' ? { pushAnswer: { ok: event.ok, at: at(event), ...(event.code !== undefined ? { code: event.code } : {}) } } : {},
    ),
    wentLive: assign(({ event }) => ({ liveAt: at(event) })),
    fail: assign(({ event }, p: { reason?: string }) => {
      let reason = p.reason ?? 'failed';
      let code: number | undefined;
      if (event.type === 'push.result') {
        code = event.code;
        reason = `PushLive failed: ${code !== undefined ? `${PUSH_ERRORS[code] ?? 'device error'} (${code})${event.msg ? `: ${event.msg}` : ''}` : (event.msg ?? 'no answer')}`;
      } else if (event.type === 'ingest.ended') reason = `the publisher ${event.reason === 'silent' ? 'went silent' : `left (${event.reason})`}`;
      else if (event.type === 'pu.offline') reason = `the device went offline: ${event.reason}`;
      return { failure: { reason, ...(code !== undefined ? { code } : {}) }, since: at(event), reason, endedAt: at(event) };
    }),
    ended: assign(({ event }) => ({ endedAt: at(event) })),
    stats: assign(({ event }) => (event.type === 'stats' ? { stats: event.stats } : {})),
    /** Effects: params typed by their catalog (stream.effects.ts), run by the host after the commit. */
    'live.push': effect(streamEffects, 'live.push'),
    'live.stop': effect(streamEffects, 'live.stop'),
    'live.close': effect(streamEffects, 'live.close'),
    'live.keepAwake': effect(streamEffects, 'live.keepAwake'),
    /** A camera that may sleep: KeepAwaken at once on going live (issue #22); a camera that does not, nothing. */
    startKeepAwake: enqueueActions(({ enqueue, context }) => {
      if (context.keepAwakeS) enqueue.raise({ type: 'keepAwake.due' });
    }),
    /** The next KeepAwaken, ahead of the camera's deadline. */
    armKeepAwake: enqueueActions(({ enqueue, context }) => {
      enqueue.cancel(KEEP_AWAKE_TIMER);
      if (context.keepAwakeS) enqueue.raise({ type: 'keepAwake.due' }, { id: KEEP_AWAKE_TIMER, delay: keepAwakeEveryMs(context.keepAwakeS) });
    }),
    keepAwakeSet: assign(({ event }) => (event.type === 'pu.keepAwake' ? { keepAwakeS: event.keepAwakeS } : {})),
    stopKeepAwake: cancel(KEEP_AWAKE_TIMER),
    'actor.send': (_, _p: ActorSendParams) => {},
  },
}).createMachine({
  id: 'stream',
  context: ({ input }) => ({ ...input, since: 0, reason: 'created', viewers: {} }),
  initial: 'idle',
  on: {
    'viewer.join': { actions: 'addViewer' },
    'viewer.connected': { actions: 'viewerConnected' },
    'viewer.leave': { actions: 'removeViewer' },
    'viewer.expired': { actions: 'removeViewer' },
    stats: { actions: 'stats' },
    'pu.keepAwake': { actions: 'keepAwakeSet' },
    'push.result': { actions: 'pushAnswered' },
    'pu.offline': { target: '.failed', actions: { type: 'fail', params: {} } },
    'platform.restarted': { target: '.failed', actions: [{ type: 'fail', params: { reason: 'the platform restarted during the stream' } }, STOP_DEVICE] },
  },
  states: {
    idle: {
      on: { 'viewer.join': { target: 'pushRequested', actions: ['addViewer', { type: 'enter', params: { reason: 'a viewer asked for live' } }] } },
    },
    pushRequested: {
      entry: [
        'requested',
        {
          type: 'live.push',
          params: ({ context }) => ({
            streamId: context.streamId,
            deviceId: context.deviceId,
            channel: context.channel,
            maxBitrateKbps: context.maxBitrateKbps,
          }),
        },
      ],
      on: {
        'push.result': [
          {
            guard: 'pushOk',
            target: 'awaitingIngest',
            actions: ['pushAnswered', { type: 'enter', params: { reason: 'PushLive accepted; waiting for the SRT publish' } }],
          },
          { target: 'failed', actions: { type: 'fail', params: {} } },
        ],
        'ingest.started': { target: 'live', actions: ['wentLive', { type: 'enter', params: { reason: 'the camera is publishing' } }] },
      },
    },
    awaitingIngest: {
      after: {
        INGEST_TIMEOUT: {
          target: 'failed',
          actions: [{ type: 'fail', params: { reason: `no SRT publish within ${INGEST_TIMEOUT_MS / 1000} s of PushLive` } }, STOP_DEVICE],
        },
      },
      on: { 'ingest.started': { target: 'live', actions: ['wentLive', { type: 'enter', params: { reason: 'the camera is publishing' } }] } },
    },
    live: {
      initial: 'watching',
      // A camera that may sleep is kept awake while the stream is live, lingering included (issue #22).
      entry: 'startKeepAwake',
      exit: 'stopKeepAwake',
      on: {
        'ingest.ended': { target: 'failed', actions: [{ type: 'fail', params: {} }, STOP_DEVICE] },
        'keepAwake.due': { actions: [KEEP_AWAKE, 'armKeepAwake'] },
        'pu.keepAwake': { actions: ['keepAwakeSet', 'startKeepAwake'] },
      },
      states: {
        watching: {
          always: { guard: 'noViewers', target: 'lingering' },
        },
        lingering: {
          after: { LINGER: { target: '#stream.stopping', actions: { type: 'enter', params: { reason: 'no viewer since the linger began' } } } },
          on: { 'viewer.join': { target: 'watching', actions: 'addViewer' } },
        },
      },
    },
    stopping: {
      entry: [STOP_DEVICE, tellPu('stream.stopping')],
      on: {
        'stop.result': { target: 'stopped', actions: 'ended' },
        'ingest.ended': {},
        // Too late for this session: the join goes back to the pu, which opens the stream it names.
        'viewer.join': [{ guard: 'bounces', actions: BOUNCE_VIEWER }, {}],
      },
    },
    stopped: { type: 'final', entry: [CLOSE, tellPu('stream.closed')] },
    failed: { type: 'final', entry: [CLOSE, tellPu('stream.closed')] },
  },
});

/** The stream machine as the host registers it; statistics are not history rows. */
export const streamV1: MachineDef = { type: 'stream', version: 1, machine: streamMachine, volatile: ['stats'] };
