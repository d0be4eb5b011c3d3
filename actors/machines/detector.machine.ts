/**
 * The detector actor: one per device channel (issue 25, H.627.2 clause 7 value-added services). Configured by the
 * owner or an operator; `off` does nothing; `armed` waits for the channel's motion alarms (alarm mode, told by the
 * pu) or runs the frame feed (continuous mode); `detecting` runs one detection (snapshot, model, event row) and
 * takes its result; `coolingDown` lets the next alarm wait a little, so a burst of alarms makes one run and then one
 * for the latest; `failed` keeps the reason and is re-armed by the next alarm or setting. The pu learns from it
 * which channels want their alarms (`detection.set`).
 */
import { assign, enqueueActions, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import { type ActorSend, actorSendAction } from '../host/tell.ts';
import { detectorEffects } from './detector.effects.ts';
import type { DetectConfig, DetectorContext, DetectorEvent, DetectorInput } from './detector.types.ts';
import { publishFound } from './detector.publish.ts';
import { puActorId } from './ids.ts';

export type { DetectConfig, DetectorContext, DetectorEvent, DetectorInput } from './detector.types.ts';

/** Longest one run may take: the Snapshot RPC's answer, the queue and the model (platform's choice). */
export const DETECT_TIMEOUT_MS = 20_000;
/** Quiet time after a run before the next alarm runs again (alarms meanwhile wait, the latest one runs). */
export const DETECT_COOLDOWN_MS = 5_000;
/** A continuous detector whose frame feed failed (camera offline or asleep, stream failed) tries again after this. */
export const FEED_RETRY_MS = 30_000;
/** The setting a new detector starts with: off, people only. */
export const DETECT_DEFAULTS: DetectConfig = { mode: 'off', classes: ['person'], minScore: 0.5, zones: [], fps: 1 };

const at = (e: DetectorEvent) => e.at ?? 0;
type Args = { context: DetectorContext; event: DetectorEvent };
const enter = (reason: string) => ({ type: 'enter', params: { reason } }) as const;

/** Tell the pu whether this channel's alarms are wanted (alarm mode). */
const tellPu = enqueueActions<DetectorContext, DetectorEvent, undefined, DetectorEvent, never, ActorSend, never, never, never>(({ enqueue, context }) => {
  enqueue({
    type: 'actor.send',
    params: { to: puActorId(context.deviceId), event: { type: 'detection.set', channel: context.channel, onAlarm: context.config.mode === 'alarm' } },
  });
});

const RUN = {
  type: 'detect.run',
  params: ({ context }: Args) => ({
    deviceId: context.deviceId,
    channel: context.channel,
    attempt: context.attempt,
    ...(context.alarmId !== undefined ? { alarmId: context.alarmId } : {}),
    classes: context.config.classes,
    minScore: context.config.minScore,
    zones: context.config.zones,
  }),
} as const;
const feed = (on: boolean) =>
  ({ type: 'detect.feed', params: ({ context }: Args) => ({ deviceId: context.deviceId, channel: context.channel, on, fps: context.config.fps }) }) as const;

export const detectorMachine = setup({
  types: {} as { context: DetectorContext; events: DetectorEvent; input: DetectorInput },
  delays: { DETECT_TIMEOUT: DETECT_TIMEOUT_MS, DETECT_COOLDOWN: DETECT_COOLDOWN_MS, FEED_RETRY: FEED_RETRY_MS },
  guards: {
    off: ({ event }) => event.type === 'detect.configure' && event.config.mode === 'off',
    onAlarms: ({ context }) => context.config.mode === 'alarm',
    continuous: ({ context }) => context.config.mode === 'continuous',
    latest: ({ context, event }) => event.type === 'detect.result' && event.attempt === context.attempt,
    found: ({ context, event }) => event.type === 'detect.result' && event.attempt === context.attempt && event.ok,
    pending: ({ context }) => context.pendingAlarmId !== undefined,
  },
  actions: {
    enter: assign(({ event }, p: { reason: string }) => ({ since: at(event), reason: p.reason })),
    configure: assign(({ event }) => (event.type === 'detect.configure' ? { config: event.config, ...(event.by ? { setBy: event.by } : {}) } : {})),
    tellPu,
    publishFound,
    /** The device is gone: back to the defaults (off), so the pu stops telling alarms and the API shows it off. */
    forget: assign({ config: DETECT_DEFAULTS, setBy: undefined, alarmId: undefined, pendingAlarmId: undefined }),
    /** A new run: for the alarm that came (or the one that waited). */
    begin: assign(({ context, event }) => ({
      attempt: context.attempt + 1,
      alarmId: event.type === 'alarm' ? event.alarmId : context.pendingAlarmId,
      pendingAlarmId: undefined,
    })),
    wait: assign(({ event }) => (event.type === 'alarm' ? { pendingAlarmId: event.alarmId } : {})),
    done: assign(({ context, event }) =>
      event.type === 'detect.result' && event.ok
        ? {
            last: {
              at: at(event),
              ...(context.alarmId ? { alarmId: context.alarmId } : {}),
              eventId: event.eventId,
              classes: event.classes,
              ...(event.source ? { source: event.source } : {}),
            },
            failure: undefined,
          }
        : {},
    ),
    /** A presence started or ended: the classes present now. */
    presence: assign(({ context, event }) => {
      if (event.type !== 'detect.presence') return {};
      const { [event.class]: _was, ...rest } = context.present ?? {};
      return { present: event.kind === 'start' ? { ...rest, [event.class]: event.eventId } : rest };
    }),
    /** The feed stopped: nothing is present any more (its presences were closed). */
    absent: assign({ present: undefined }),
    fail: assign(({ event }, p: { reason?: string }) => {
      let reason = p.reason ?? 'failed';
      if (event.type === 'detect.result' && !event.ok) reason = `detection failed: ${event.reason}`;
      else if (event.type === 'detect.feed.failed') reason = `the frame feed failed: ${event.reason}`;
      return { failure: { at: at(event), reason }, since: at(event), reason };
    }),
    'detect.run': effect(detectorEffects, 'detect.run'),
    'detect.feed': effect(detectorEffects, 'detect.feed'),
    ...actorSendAction,
  },
}).createMachine({
  id: 'detector',
  context: ({ input }) => ({ ...input, config: DETECT_DEFAULTS, since: 0, reason: 'created', attempt: 0 }),
  initial: 'off',
  on: {
    // the device is gone: nothing runs again (its rows are deleted by the detection service)
    'device.deprovisioned': { target: '.deprovisioned', actions: ['forget', 'tellPu', enter('the device was deprovisioned')] },
    // a new setting: off stops everything; any other re-arms with it (a run under way finishes, its result taken)
    'detect.configure': [
      { guard: 'off', target: '.off', actions: ['configure', 'tellPu', enter('detection turned off')] },
      { target: '.armed', actions: ['configure', 'tellPu', enter('detection set')] },
    ],
    // continuous mode: a presence's start or end (an end may come once the feed has stopped: its presences close)
    'detect.presence': { actions: 'presence' },
  },
  states: {
    off: { on: { 'detect.result': {} } },
    armed: {
      initial: 'choosing',
      on: {
        alarm: { guard: 'onAlarms', target: 'detecting', actions: ['begin', enter('a motion alarm: detecting')] },
        'detect.result': {},
      },
      states: {
        choosing: { always: [{ guard: 'continuous', target: 'watching' }, { target: 'waitingForAlarm' }] },
        waitingForAlarm: {},
        // continuous mode: the frame feed runs while here; its presences' starts and ends come back as events
        watching: {
          entry: feed(true),
          exit: [feed(false), 'absent'],
          on: {
            'detect.feed.failed': { target: '#detector.failed', actions: { type: 'fail', params: {} } },
            'platform.restarted': { target: 'watching', reenter: true, actions: enter('the platform restarted: the frame feed starts again') },
          },
        },
      },
    },
    detecting: {
      entry: RUN,
      after: {
        DETECT_TIMEOUT: { target: 'failed', actions: { type: 'fail', params: { reason: `no detection result within ${DETECT_TIMEOUT_MS / 1000} s` } } },
      },
      on: {
        alarm: { actions: 'wait' },
        'detect.result': [
          { guard: 'found', target: 'coolingDown', actions: ['done', 'publishFound', enter('detection done')] },
          { guard: 'latest', target: 'failed', actions: { type: 'fail', params: {} } },
        ],
      },
    },
    coolingDown: {
      after: {
        DETECT_COOLDOWN: [
          { guard: 'pending', target: 'detecting', actions: ['begin', enter('an alarm came while cooling down: detecting')] },
          { target: 'armed', actions: enter('cooled down: armed') },
        ],
      },
      on: { alarm: { actions: 'wait' }, 'detect.result': {} },
    },
    failed: {
      after: { FEED_RETRY: { guard: 'continuous', target: 'armed', actions: enter('the frame feed is tried again') } },
      on: {
        alarm: { guard: 'onAlarms', target: 'detecting', actions: ['begin', enter('a motion alarm: detecting again after a failure')] },
        // the latest run's result after its timeout (a busy node): its event row exists, so it is taken and published
        'detect.result': [{ guard: 'found', target: 'coolingDown', actions: ['done', 'publishFound', enter('a late detection result')] }, {}],
      },
    },
    // nothing runs; a setting (the device provisioned again) re-arms it
    deprovisioned: { on: { 'detect.result': {} } },
  },
});

/** The detector machine as the host registers it. */
export const detectorV1: MachineDef = { type: 'detector', version: 1, machine: detectorMachine };
