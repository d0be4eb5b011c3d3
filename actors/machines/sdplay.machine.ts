/**
 * The sdplay actor: one playback of a camera's own SD-card recordings (H.627.2 I.2.23–I.2.25, with
 * the project's extension: docs/sd-playback.md). The viewer's request makes it: PlayVideo is sent
 * with the SRT url and the time range; the camera's SRT publish makes it play; CtrlVideo pauses,
 * resumes, seeks and changes speed; the camera's QueryVideoStatus answers are its reports. It stops
 * on the viewer's stop, when the viewer leaves or never connects, or when the camera ends the push;
 * it fails, with the reason, when PlayVideo cannot be sent, on no publish within 10 s, on the
 * publisher going silent, or when the PU goes offline.
 *
 * Its own kind, not a variant of the live stream: a live stream is shared by viewers who come and
 * go and lingers after the last; a playback has one viewer, its own position and speed and controls,
 * and ends with that viewer. What they share (the SRT path through the MDU, the WSS feed, the pu's
 * link that tells it the device went offline) they share by the actor id `stream:<id>`.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import type { ActorSendParams } from '../host/tell.ts';
import { puActorId } from './ids.ts';
import { sdPlayEffects } from './sdplay.effects.ts';
import { INGEST_TIMEOUT_MS, VIEWER_CONNECT_TIMEOUT_MS } from './stream.machine.ts';
import type { SdPlayContext, SdPlayEvent, SdPlayInput } from './sdplay.types.ts';

export type { SdPlayContext, SdPlayEvent, SdPlayInput } from './sdplay.types.ts';

/** The speed a playback starts at (real time). */
export const SD_START_SPEED = 1;
/** Why a playback waits: its camera is asleep. */
export const SD_WAKING_REASON = 'the camera is asleep: waiting for it to wake (TOWAKEUP sent)';
/** The timer of the viewer's connection. */
const VIEWER_TIMER = 'viewer';

const at = (e: SdPlayEvent) => e.at ?? 0;
type Args = { context: SdPlayContext; event: SdPlayEvent };

const tellPu = (type: 'stream.stopping' | 'stream.closed') =>
  ({
    type: 'actor.send',
    params: ({ context }: { context: SdPlayContext }): ActorSendParams => ({ to: puActorId(context.deviceId), event: { type, streamId: context.playId } }),
  }) as const;
const onDevice = (c: SdPlayContext) => ({ playId: c.playId, deviceId: c.deviceId, channel: c.channel });
/** CtrlVideo with the op the viewer asked for (and its position or speed). */
const CTRL = {
  type: 'sdplay.ctrl',
  params: ({ context, event }: Args) => {
    if (event.type !== 'sd.ctrl') return { ...onDevice(context), op: 'stop' as const };
    return {
      ...onDevice(context),
      op: event.op,
      ...(event.pos !== undefined ? { pos: event.pos } : {}),
      ...(event.speed !== undefined ? { speed: event.speed } : {}),
    };
  },
} as const;
const STOP_DEVICE = { type: 'sdplay.ctrl', params: ({ context }: Args) => ({ ...onDevice(context), op: 'stop' as const }) } as const;
const CLOSE = { type: 'sdplay.close', params: ({ context }: Args) => ({ playId: context.playId, reason: context.reason }) } as const;
const enter = (reason: string) => ({ type: 'enter', params: { reason } }) as const;
const fail = (reason?: string) => ({ type: 'fail', params: reason === undefined ? {} : { reason } }) as const;

export const sdPlayMachine = setup({
  types: {} as { context: SdPlayContext; events: SdPlayEvent; input: SdPlayInput },
  delays: { INGEST_TIMEOUT: INGEST_TIMEOUT_MS },
  guards: {
    sent: ({ event }) => (event.type === 'play.sent' || event.type === 'ctrl.sent') && event.ok,
    op: ({ event }, p: { op: string }) => event.type === 'sd.ctrl' && event.op === p.op,
    /** A seek stays inside the range asked for (the API checks it too; the machine decides). */
    seekInRange: ({ context, event }) =>
      event.type === 'sd.ctrl' && event.op === 'seek' && event.pos !== undefined && event.pos >= context.from && event.pos < context.to,
    silent: ({ event }) => event.type === 'ingest.ended' && event.reason === 'silent',
  },
  actions: {
    enter: assign(({ event }, p: { reason: string }) => ({ since: at(event), reason: p.reason })),
    waitViewer: enqueueActions(({ enqueue, event }) => {
      enqueue.raise({ type: 'viewer.expired', at: at(event) + VIEWER_CONNECT_TIMEOUT_MS }, { id: VIEWER_TIMER, delay: VIEWER_CONNECT_TIMEOUT_MS });
    }),
    viewerConnected: enqueueActions(({ enqueue, event }) => {
      if (event.type !== 'viewer.connected') return;
      enqueue.cancel(VIEWER_TIMER);
      enqueue.assign({ viewer: event.kind });
    }),
    viewerGone: enqueueActions(({ enqueue }) => {
      enqueue.cancel(VIEWER_TIMER);
      enqueue.assign({ viewer: 'gone' });
    }),
    requested: assign(({ event }) => ({ requestedAt: at(event) })),
    wentLive: assign(({ event }) => ({ liveAt: at(event) })),
    seek: assign(({ event }) => (event.type === 'sd.ctrl' && event.pos !== undefined ? { pos: event.pos } : {})),
    speed: assign(({ event }) => (event.type === 'sd.ctrl' && event.speed !== undefined ? { speed: event.speed } : {})),
    report: assign(({ event }) => (event.type === 'sd.report' ? { report: event.report } : {})),
    stats: assign(({ event }) => (event.type === 'stats' ? { stats: event.stats } : {})),
    ended: assign(({ event }) => ({ endedAt: at(event) })),
    fail: assign(({ event }, p: { reason?: string }) => {
      let reason = p.reason ?? 'failed';
      let code: number | undefined;
      if (event.type === 'play.sent') {
        code = event.code;
        reason = `PlayVideo could not be sent: ${event.msg ?? 'no connection'}${code !== undefined ? ` (${code})` : ''}`;
      } else if (event.type === 'ingest.ended') reason = `the camera's push ${event.reason === 'silent' ? 'went silent' : `ended (${event.reason})`}`;
      else if (event.type === 'pu.offline' && p.reason === undefined) reason = `the device went offline: ${event.reason}`;
      return { failure: { reason, ...(code !== undefined ? { code } : {}) }, since: at(event), reason, endedAt: at(event) };
    }),
    'sdplay.push': effect(sdPlayEffects, 'sdplay.push'),
    'sdplay.ctrl': effect(sdPlayEffects, 'sdplay.ctrl'),
    'sdplay.close': effect(sdPlayEffects, 'sdplay.close'),
    'actor.send': (_, _p: ActorSendParams) => {},
  },
}).createMachine({
  id: 'sdplay',
  context: ({ input }) => ({ ...input, since: 0, reason: 'created', pos: input.from, speed: SD_START_SPEED, viewer: 'pending' }),
  initial: 'idle',
  on: {
    'viewer.connected': { actions: 'viewerConnected' },
    'viewer.leave': { target: '.stopping', actions: ['viewerGone', enter('the viewer left')] },
    'viewer.expired': { target: '.stopping', actions: ['viewerGone', enter(`no viewer connected within ${VIEWER_CONNECT_TIMEOUT_MS / 1000} s`)] },
    // The camera plays one recording per channel: the newer PlayVideo replaced this one there. No CtrlVideo stop (it
    // could reach the camera after that PlayVideo and stop the newer playback); closed here only.
    'sd.replaced': { target: '.stopped', actions: ['ended', enter('another playback of this channel began')] },
    'sd.report': { actions: 'report' },
    stats: { actions: 'stats' },
    'pu.offline': { target: '.failed', actions: fail() },
    'platform.restarted': { target: '.failed', actions: [fail('the platform restarted during the playback'), STOP_DEVICE] },
  },
  states: {
    idle: {
      on: {
        'sd.start': { target: 'requested', actions: ['waitViewer', enter('a viewer asked to play the SD card')] },
        'sd.wait': { target: 'waking', actions: ['waitViewer', enter(SD_WAKING_REASON)] },
      },
    },
    // The camera is asleep and its pu wakes it (issue #22 point 3): PlayVideo once it logs in; the wake's failure is the reason.
    waking: {
      on: {
        'pu.online': { target: 'requested', actions: enter('the camera woke and logged in: PlayVideo') },
        'pu.offline': { target: 'failed', actions: { type: 'fail', params: ({ event }) => ({ reason: `the camera did not wake: ${event.reason}` }) } },
        'sd.ctrl': { guard: { type: 'op', params: { op: 'stop' } }, target: 'stopped', actions: ['ended', enter('the viewer stopped before the camera woke')] },
        'viewer.leave': { target: 'stopped', actions: ['viewerGone', 'ended', enter('the viewer left before the camera woke')] },
      },
    },
    requested: {
      entry: ['requested', { type: 'sdplay.push', params: ({ context }) => ({ ...onDevice(context), from: context.from, to: context.to }) }],
      on: {
        'play.sent': [
          { guard: 'sent', target: 'awaitingIngest', actions: enter('PlayVideo sent; waiting for the SRT publish') },
          { target: 'failed', actions: fail() },
        ],
        'ingest.started': { target: 'active', actions: ['wentLive', enter('the camera is publishing')] },
        'sd.ctrl': { guard: { type: 'op', params: { op: 'stop' } }, target: 'stopping', actions: enter('the viewer stopped') },
      },
    },
    awaitingIngest: {
      after: { INGEST_TIMEOUT: { target: 'failed', actions: [fail(`no SRT publish within ${INGEST_TIMEOUT_MS / 1000} s of PlayVideo`), STOP_DEVICE] } },
      on: {
        'ingest.started': { target: 'active', actions: ['wentLive', enter('the camera is publishing')] },
        'sd.ctrl': { guard: { type: 'op', params: { op: 'stop' } }, target: 'stopping', actions: enter('the viewer stopped') },
      },
    },
    active: {
      initial: 'playing',
      on: {
        'ingest.ended': [
          { guard: 'silent', target: 'failed', actions: [fail(), STOP_DEVICE] },
          { target: 'stopped', actions: ['ended', enter('the camera ended its push (the end of the range or of its recordings)'), STOP_DEVICE] },
        ],
        'sd.ctrl': [
          { guard: { type: 'op', params: { op: 'stop' } }, target: 'stopping', actions: enter('the viewer stopped') },
          { guard: 'seekInRange', actions: ['seek', CTRL] },
          { guard: { type: 'op', params: { op: 'speed' } }, actions: ['speed', CTRL] },
        ],
      },
      states: {
        playing: { on: { 'sd.ctrl': { guard: { type: 'op', params: { op: 'pause' } }, target: 'paused', actions: [CTRL, enter('the viewer paused')] } } },
        paused: { on: { 'sd.ctrl': { guard: { type: 'op', params: { op: 'resume' } }, target: 'playing', actions: [CTRL, enter('the viewer resumed')] } } },
      },
    },
    stopping: {
      entry: [STOP_DEVICE, tellPu('stream.stopping')],
      on: {
        'ctrl.sent': { target: 'stopped', actions: 'ended' },
        'ingest.ended': {},
        'viewer.leave': { actions: 'viewerGone' },
        'viewer.expired': {},
        'sd.ctrl': {},
      },
    },
    stopped: { type: 'final', entry: [CLOSE, tellPu('stream.closed')] },
    failed: { type: 'final', entry: [CLOSE, tellPu('stream.closed')] },
  },
});

/** The sdplay machine as the host registers it; the camera's reports and ingest statistics are not history rows. */
export const sdPlayV1: MachineDef = { type: 'sdplay', version: 1, machine: sdPlayMachine, volatile: ['stats', 'report'] };
