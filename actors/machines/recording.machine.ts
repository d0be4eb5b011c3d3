/**
 * The recording actor: one per record session of one PU channel (H.627.2 9.3.4, I.2.14, I.2.15;
 * NOTES 16). starting (StartRecord sent) → recording (the PU acknowledged; it now creates,
 * uploads and confirms segments over Vr on its own) → stopping (StopRecord) → stopped; failed
 * with the reason when StartRecord fails or the PU goes offline. A failed session is still wanted:
 * it starts again when the PU comes back online (and after a timeout, on a timer). On a sleeping PU it waits
 * (`waking`) while its pu wakes it, then starts; a camera that may sleep is kept awake while it records (KeepAwaken).
 */
import { assign, cancel, enqueueActions, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import { RPC_TIMEOUT_S } from '../../protocol/constants.ts';
import { recordingEffects } from './recording.effects.ts';
import type { RecordingContext, RecordingEvent, RecordingInput } from './recording.types.ts';
import { puActorId } from './ids.ts';
import type { ActorSendParams } from '../host/tell.ts';
import { KEEP_AWAKE_TIMER, keepAwakeEveryMs } from './keep-awake.ts';

export type { RecordParams, RecordingContext, RecordingEvent, RecordingInput, RecordFailureKind } from './recording.types.ts';

/** A StartRecord/StopRecord whose result never came back (the process died mid-RPC) counts as timed out after this. */
export const RECORD_RPC_DEADLINE_MS = (RPC_TIMEOUT_S + 10) * 1000;
/** A session that failed on a timeout (the PU is connected but did not answer) tries again after this. */
export const RECORD_RETRY_MS = 60_000;

/** Actor id of a record session. */
export function recordingActorId(sessionId: string): string {
  return `rec:${sessionId}`;
}

const at = (e: { at?: number }) => e.at ?? 0;
const stamp = (context: RecordingContext, e: { at?: number }) => e.at ?? context.since;
const enter = (reason: string) => ({ type: 'enter' as const, params: { reason } });
/** The KeepAwaken of this session (`recording.keepAwake`). */
const KEEP_AWAKE = { type: 'recording.keepAwake', params: ({ context }: { context: RecordingContext }) => ({ expiredS: context.keepAwakeS ?? 0 }) } as const;
/** The timer of an alarm-triggered session: it stops this long after the last alarm of its channel (issue #23). */
export const ALARM_TIMER = 'alarm.elapsed';
/** Why an alarm-triggered session stops. */
export const alarmElapsedReason = (recordS: number) => `no alarm for ${recordS} s: stop`;
/** Who stops an alarm-triggered session when its time is up (`stoppedBy`). */
export const STOPPED_BY_ALARM_TIMER = 'alarm timer';
/** Milliseconds per second. */
const MS_PER_S = 1000;
/** An alarm session's time is up: StopRecord, saying why (`alarm.elapsed` in starting, recording and failed). */
const ALARM_ELAPSED = {
  target: 'stopping',
  actions: [
    'alarmStop',
    { type: 'enter', params: ({ context }: { context: RecordingContext }) => ({ reason: alarmElapsedReason(context.alarm?.recordS ?? 0) }) },
  ],
} as const;
/** Why a session stops while its PU is still being woken. */
export const STOPPED_ASLEEP_REASON = 'stopped before the PU woke (nothing to stop on it)';

/** Tell the device's pu that this session opened or ended: the pu tells it when the device goes offline, comes back, or stops reporting it. */
const tellPu = (type: 'recording.opened' | 'recording.closed') =>
  ({
    type: 'actor.send',
    params: ({ context }: { context: RecordingContext }): ActorSendParams => {
      const recordingId = recordingActorId(context.sessionId);
      const again = context.alarmAfterStop ? { again: { channel: context.channel, alarmId: context.alarmAfterStop.alarmId } } : {};
      const event =
        type === 'recording.opened' ? { type, recordingId, channel: context.channel, sessionId: context.sessionId } : { type, recordingId, ...again };
      return { to: puActorId(context.deviceId), event };
    },
  }) as const;

export const recordingMachine = setup({
  types: {} as { context: RecordingContext; events: RecordingEvent; input: RecordingInput },
  delays: { RPC_DEADLINE: RECORD_RPC_DEADLINE_MS, RETRY: RECORD_RETRY_MS },
  guards: {
    /** The answer to the latest StartRecord. */
    started: ({ context, event }) => event.type === 'record.result' && event.op === 'start' && event.attempt === context.attempt && event.ok,
    startFailed: ({ context, event }) => event.type === 'record.result' && event.op === 'start' && event.attempt === context.attempt && !event.ok,
    stopAnswered: ({ event }) => event.type === 'record.result' && event.op === 'stop',
    retryable: ({ context }) => context.lastError?.kind === 'timeout',
    /** An alarm started this session (it stops on its own after the last alarm). */
    alarmTriggered: ({ context }) => context.alarm !== undefined,
  },
  actions: {
    enter: assign(({ context, event }, p: { reason: string }) => ({ since: stamp(context, event), reason: p.reason })),
    nextAttempt: assign(({ context }) => ({ attempt: context.attempt + 1 })),
    started: assign(({ event }) => ({ startedAt: at(event) })),
    /** Record a failed RPC, with the device's words. */
    failure: assign(({ event }) => {
      if (event.type !== 'record.result') return {};
      const kind = event.kind ?? 'err';
      return {
        lastError: { at: at(event), op: event.op, kind, ...(event.code !== undefined ? { code: event.code } : {}), msg: event.msg ?? '' },
        since: at(event),
        reason: `${event.op === 'start' ? 'StartRecord' : 'StopRecord'} failed: ${kind === 'err' ? `err ${event.code}: ${event.msg}` : (event.msg ?? kind)}`,
      };
    }),
    rpcLost: assign(({ event }, p: { op: 'start' | 'stop' }) => ({
      lastError: { at: at(event), op: p.op, kind: 'timeout' as const, msg: 'no result (the platform restarted during the call?)' },
    })),
    offline: assign(({ event }) => ({
      since: at(event),
      reason: `the PU went offline${event.type === 'pu.offline' ? ` (${event.reason})` : ''}`,
      lastError: { at: at(event), op: 'start' as const, kind: 'offline' as const, msg: event.type === 'pu.offline' ? event.reason : 'offline' },
    })),
    /** The wake of its PU failed: the session waits as for an offline PU, with the wake's failure as its reason. */
    wakeFailed: assign(({ event }) => {
      const why = event.type === 'pu.offline' ? event.reason : 'it did not wake';
      return { since: at(event), reason: `the PU did not wake: ${why}`, lastError: { at: at(event), op: 'start' as const, kind: 'asleep' as const, msg: why } };
    }),
    keepAwakeSet: assign(({ event }) => (event.type === 'pu.keepAwake' ? { keepAwakeS: event.keepAwakeS } : {})),
    /** A camera that may sleep: KeepAwaken at once on recording (issue #22); a camera that does not, nothing. */
    startKeepAwake: enqueueActions(({ enqueue, context }) => {
      if (context.keepAwakeS) enqueue.raise({ type: 'keepAwake.due' });
    }),
    /** The next KeepAwaken, ahead of the camera's deadline. */
    armKeepAwake: enqueueActions(({ enqueue, context }) => {
      enqueue.cancel(KEEP_AWAKE_TIMER);
      if (context.keepAwakeS) enqueue.raise({ type: 'keepAwake.due' }, { id: KEEP_AWAKE_TIMER, delay: keepAwakeEveryMs(context.keepAwakeS) });
    }),
    stopKeepAwake: cancel(KEEP_AWAKE_TIMER),
    /** An alarm session (re)arms its stop: `recordS` after its start or its channel's latest alarm. */
    armAlarm: enqueueActions(({ enqueue, context, event }) => {
      if (!context.alarm) return;
      const recordS = event.type === 'alarm.seen' ? event.recordS : context.alarm.recordS;
      enqueue.cancel(ALARM_TIMER);
      enqueue.raise({ type: 'alarm.elapsed' }, { id: ALARM_TIMER, delay: recordS * MS_PER_S });
      enqueue.assign({
        alarm: { ...context.alarm, recordS },
        alarmUntil: stamp(context, event) + recordS * MS_PER_S,
        alarmsSeen: (context.alarmsSeen ?? 0) + (event.type === 'alarm.seen' ? 1 : 0),
      });
    }),
    /** Someone asked to record the channel: the alarm session becomes an ordinary one (no stop timer). */
    adopt: enqueueActions(({ enqueue, event }) => {
      enqueue.cancel(ALARM_TIMER);
      enqueue.assign({ alarm: undefined, alarmUntil: undefined, ...(event.type === 'alarm.adopt' && event.by ? { by: event.by } : {}) });
    }),
    stopAlarm: cancel(ALARM_TIMER),
    alarmStop: assign({ stoppedBy: STOPPED_BY_ALARM_TIMER, alarmUntil: undefined }),
    alarmAfterStop: assign(({ context, event }) =>
      event.type === 'alarm.seen' ? { alarmAfterStop: { alarmId: event.alarmId, at: stamp(context, event) } } : {},
    ),
    stopAsked: assign(({ event }) => (event.type === 'record.stop' && event.by ? { stoppedBy: event.by } : {})),
    stopped: assign(({ context, event }) => {
      let reason = 'stopped';
      if (event.type !== 'record.result') reason = 'stopped (StopRecord unanswered)';
      else if (!event.ok) reason = `stopped (StopRecord failed: ${event.kind === 'err' ? `err ${event.code}: ${event.msg}` : (event.msg ?? event.kind)})`;
      return { stoppedAt: stamp(context, event), since: stamp(context, event), reason };
    }),
    /** Effects: params typed by their catalog (recording.effects.ts), run by the host after the commit. */
    'recording.start': effect(recordingEffects, 'recording.start'),
    'recording.stop': effect(recordingEffects, 'recording.stop'),
    'recording.closed': effect(recordingEffects, 'recording.closed'),
    'recording.keepAwake': effect(recordingEffects, 'recording.keepAwake'),
    'actor.send': (_, _p: ActorSendParams) => {},
  },
}).createMachine({
  id: 'recording',
  context: ({ input }) => ({ ...input, since: input.createdAt, reason: 'start requested', attempt: 0 }),
  initial: 'starting',
  entry: [tellPu('recording.opened'), 'armAlarm'],
  on: {
    'pu.keepAwake': { actions: 'keepAwakeSet' },
    // An alarm session records on `recordS` after each alarm of its channel; any other session is not concerned.
    'alarm.seen': { guard: 'alarmTriggered', actions: 'armAlarm' },
    'alarm.adopt': { guard: 'alarmTriggered', actions: 'adopt' },
  },
  states: {
    starting: {
      entry: ['nextAttempt', { type: 'recording.start', params: ({ context }) => ({ attempt: context.attempt }) }],
      after: { RPC_DEADLINE: { target: 'failed', actions: [{ type: 'rpcLost', params: { op: 'start' } }, enter('StartRecord got no result')] } },
      on: {
        // Only the latest attempt's answer counts; an older one is ignored.
        'record.result': [
          { guard: 'started', target: 'recording', actions: ['started', enter('the PU is recording')] },
          { guard: 'startFailed', target: 'failed', actions: 'failure' },
        ],
        'pu.offline': { target: 'failed', actions: 'offline' },
        'pu.online': { target: 'starting', reenter: true, actions: enter('the PU reconnected: StartRecord again') },
        'pu.waking': { target: 'waking', actions: { type: 'enter', params: ({ event }) => ({ reason: event.reason }) } },
        'record.stop': { target: 'stopping', actions: ['stopAsked', enter('stop requested')] },
        'alarm.elapsed': ALARM_ELAPSED,
      },
    },
    // The PU is asleep and its pu wakes it (issue #22 point 3): StartRecord once it logs in; the wake's failure is the reason.
    waking: {
      on: {
        'pu.online': { target: 'starting', actions: enter('the PU woke and logged in: StartRecord') },
        'pu.offline': { target: 'failed', actions: 'wakeFailed' },
        'record.stop': { target: 'stopped', actions: ['stopAsked', 'stopped', enter(STOPPED_ASLEEP_REASON)] },
        'alarm.elapsed': { target: 'stopped', actions: ['alarmStop', 'stopped', enter(STOPPED_ASLEEP_REASON)] },
      },
    },
    recording: {
      // A camera that may sleep is kept awake while it records (issue #22 point 3), and no longer once it stops.
      entry: 'startKeepAwake',
      exit: 'stopKeepAwake',
      on: {
        'keepAwake.due': { actions: [KEEP_AWAKE, 'armKeepAwake'] },
        'pu.keepAwake': { actions: ['keepAwakeSet', 'startKeepAwake'] },
        'pu.offline': { target: 'failed', actions: 'offline' },
        // The PU may have restarted and lost the session; StartRecord with the same session is harmless if not.
        'pu.online': { target: 'starting', actions: enter('the PU reconnected: StartRecord again') },
        'record.resync': { target: 'starting', actions: { type: 'enter', params: ({ event }) => ({ reason: `${event.reason}: StartRecord again` }) } },
        'record.stop': { target: 'stopping', actions: ['stopAsked', enter('stop requested')] },
        'alarm.elapsed': ALARM_ELAPSED,
      },
    },
    failed: {
      after: { RETRY: { guard: 'retryable', target: 'starting', actions: enter('retrying after a timeout') } },
      on: {
        'pu.online': { target: 'starting', actions: enter('the PU is back online: recording again') },
        'pu.waking': { target: 'waking', actions: { type: 'enter', params: ({ event }) => ({ reason: event.reason }) } },
        'record.stop': { target: 'stopping', actions: ['stopAsked', enter('stop requested')] },
        'alarm.elapsed': ALARM_ELAPSED,
      },
    },
    stopping: {
      entry: ['stopAlarm', 'recording.stop'],
      after: { RPC_DEADLINE: { target: 'stopped', actions: [{ type: 'rpcLost', params: { op: 'stop' } }, 'stopped'] } },
      on: {
        'record.result': { guard: 'stopAnswered', target: 'stopped', actions: 'stopped' },
        // Too late for this session: the pu opens another for it once this one has closed.
        'alarm.seen': { guard: 'alarmTriggered', actions: 'alarmAfterStop' },
      },
    },
    stopped: { type: 'final', entry: ['recording.closed', tellPu('recording.closed')] },
  },
});

/** The recording machine as the host registers it. */
export const recordingV1: MachineDef = { type: 'recording', version: 1, machine: recordingMachine };
