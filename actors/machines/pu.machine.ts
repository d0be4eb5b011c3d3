/**
 * The pu actor: one per provisioned device (premises unit). Its machine is the device's lifecycle as the platform sees
 * it (H.627.2 9.3.1, 9.3.2; NOTES 3): provisioned → scheduled (Vs) → online (Vd login, keepalives) → offline (nothing
 * heard for 3 heartbeat intervals; a closed socket alone is not offline) → online again; rebooting, upgrading and
 * rescheduling when told; hibernating (asleep: its Vd closed, its hibernation link open; pu.hibernation.ts) → online
 * when it wakes, offline when its heartbeats stop. Every top-level transition records its reason and time (`reason`,
 * `since`); online, asleep and offline are told the device's mqtt actor (pu.publish.ts).
 */
import { assign, cancel, not, raise, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import * as a from './pu.actions.ts';
import { puEffects } from './pu.effects.ts';
import * as links from './pu.links.ts';
import { askAtLogin } from './pu.capabilities.ts';
import * as hib from './pu.hibernation.ts';
import { armHeartbeat, HEARTBEAT_TIMER, silent } from './pu.heartbeat.ts';
import { REBOOT_TIMEOUT_MS, RESCHEDULE_TIMEOUT_MS, UPGRADE_POLL_INTERVAL_MS, UPGRADE_POLL_TIMER, UPGRADE_TIMEOUT_MS } from './pu.delays.ts';
import { actorSendAction } from '../host/tell.ts';
import * as pub from './pu.publish.ts';
import type { PuContext, PuEvent, PuInput } from './pu.types.ts';
export type { PuContext, PuEvent, PuInput } from './pu.types.ts';
export { REBOOT_TIMEOUT_MS, RESCHEDULE_TIMEOUT_MS, UPGRADE_POLL_INTERVAL_MS, UPGRADE_TIMEOUT_MS } from './pu.delays.ts';
export { KEEPALIVE_BACK_REASON } from './pu.actions.ts';
export { puActorId } from './ids.ts';
export const puMachine = setup({
  types: {} as { context: PuContext; events: PuEvent; input: PuInput },
  delays: {
    WAKE_TIMEOUT: ({ context }) => hib.wakeTimeoutMs(context),
    REBOOT_TIMEOUT: REBOOT_TIMEOUT_MS,
    RESCHEDULE_TIMEOUT: RESCHEDULE_TIMEOUT_MS,
    UPGRADE_TIMEOUT: UPGRADE_TIMEOUT_MS,
  },
  guards: {
    connected: ({ context }) => context.connected,
    sameConnection: ({ context, event }) => event.type === 'vd.disconnected' && event.connId === context.connId,
    /** The event came over the device's current, still open connection. */
    currentConnection: ({ context, event }) => event.type === 'vd.keepalive' && context.connected && event.connId === context.connId,
    isCommand: ({ context, event }, name: string) => event.type === 'cmd.request' && event.name === name && context.connected,
    upgradeFinished: ({ event }) => a.upgradeStatus(event) === 'done',
    upgradeFailed: ({ event }) => a.upgradeStatus(event) === 'error',
    runsTargetFirmware: ({ context, event }) =>
      event.type === 'vd.connected' && Boolean(context.upgrade) && event.firmwareModel === context.upgrade!.firmwareModel,
    /**
     * Enough failed logins in a row for the hard lock, and not locked already. The count comes with
     * the event (the platform read it from this actor's answer to `login.failed`): it is volatile
     * in the context, and a guard reading it would not replay.
     */
    hardLockDue: ({ context, event }) =>
      event.type === 'login.tooManyFailures' && event.failures >= a.LOGIN_FAILURES_TO_LOCK && !((context.login?.lockedUntil ?? 0) > a.at(event)),
    silent, // pu.heartbeat.ts: reads the volatile `lastSeenAt` under MachineDef.volatile's rule
    closesIntoSleep: hib.closesIntoSleep,
    hibernationSilent: hib.hibernationSilent,
    wakeRoom: hib.wakeRoom,
    recordingsOpen: hib.recordingsOpen,
    opensAlarmSession: links.opensAlarmSession,
  },
  actions: {
    enter: assign(({ event }, p: { reason: string }) => ({ since: a.at(event), reason: p.reason })),
    connected: assign(a.onConnected),
    askAtLogin, // GetCap and GetDiskInfo at every login (pu.capabilities.ts)
    disconnected: assign(a.onDisconnected),
    keepalive: assign(a.onKeepalive),
    heard: assign(({ event }) => ({ lastSeenAt: (event as { at?: number }).at })),
    serverInfo: assign(a.onServerInfo),
    scheduled: assign(a.onScheduled),
    loginFailed: assign(a.onLoginFailed),
    loginLocked: assign(a.onLoginLocked),
    loginUnlocked: assign(a.onLoginUnlocked),
    alarm: pub.alarm, // recorded, and told the mqtt actor (pu.publish.ts)
    battery: pub.battery,
    publishState: pub.publishState,
    bound: assign(a.onBound),
    bindRejected: assign(a.onBindRejected),
    shared: assign(a.onShared),
    logDone: assign(a.onLogDone),
    commandSent: assign(a.onCommandSent),
    commandResult: links.commandResult, // kept, and a camera found to sleep is kept awake by its open sessions
    startUpgrade: assign(a.onStartUpgrade),
    upgradeOutcome: assign(({ context, event }, p: { status: 'done' | 'error'; error?: string }) => a.onUpgradeOutcome({ context, event }, p)),
    countPoll: assign(a.onUpgradePoll),
    forget: assign(a.onDeprovisioned),
    reprovision: assign(a.onReprovisioned),
    armHeartbeat,
    stopHeartbeat: cancel(HEARTBEAT_TIMER),
    schedulePoll: raise({ type: 'upgrade.poll' }, { id: UPGRADE_POLL_TIMER, delay: UPGRADE_POLL_INTERVAL_MS }),
    stopPoll: cancel(UPGRADE_POLL_TIMER),
    /** Effects: params typed by their catalog (pu.effects.ts), run by the host after the commit. */
    'vd.send': effect(puEffects, 'vd.send'),
    'vd.close': effect(puEffects, 'vd.close'),
    /** The host's: tell a stream or record session of this device (actors/host/tell.ts). */
    ...actorSendAction,
    routeViewer: links.routeViewer,
    routeSdPlay: links.routeSdPlay,
    streamStopping: assign(links.streamStopping),
    streamClosed: assign(links.streamClosed),
    recordingOpened: links.recordingOpened,
    recordingClosed: links.recordingClosed, // pu.alarm-recording.ts: an alarm during its stop opens another
    'recording.alarm': effect(puEffects, 'recording.alarm'),
    tellOffline: links.tellOffline,
    tellOnline: links.tellOnline,
    checkChannels: links.checkChannels,
    hibernationHeard: hib.heard,
    hibernationUnlinked: hib.unlinked,
    armHibernation: hib.armHibernation,
    stopHibernation: hib.stopHibernation,
    holdWake: hib.holdWake,
    tellWaking: hib.tellWaking,
    tellRecordingsWaking: hib.tellRecordingsWaking,
    replayWakes: hib.replayWakes,
    wakeFailed: hib.wakeFailed,
    'hibernation.wake': effect(puEffects, 'hibernation.wake'),
  },
}).createMachine({
  id: 'pu',
  context: ({ input }) => a.initialContext(input),
  initial: 'provisioned',
  on: {
    'login.failed': { actions: 'loginFailed' },
    'login.tooManyFailures': { guard: 'hardLockDue', actions: 'loginLocked' },
    'login.unlocked': { actions: 'loginUnlocked' },
    'device.bound': { actions: 'bound' },
    'bind.rejected': { actions: 'bindRejected' },
    'device.shared': { actions: 'shared' },
    'vd.logDone': { actions: 'logDone' },
    'cmd.result': { actions: 'commandResult' },
    'live.watch': { actions: 'routeViewer' },
    'sd.play': { actions: 'routeSdPlay' },
    'stream.stopping': { actions: 'streamStopping' },
    'stream.closed': { actions: 'streamClosed' },
    'recording.opened': { actions: 'recordingOpened' },
    'recording.closed': { actions: 'recordingClosed' },
    'alarmRecording.set': { actions: assign(links.alarmRecordingSet) }, // the owner's alarm-triggered recording
    'detection.set': { actions: assign(links.detectionSet) }, // a channel's detector wants its alarms (issue 25)
    'hibernation.linkClosed': { actions: 'hibernationUnlinked' },
    'device.deprovisioned': {
      target: '.deprovisioned',
      actions: [
        'forget',
        'stopHeartbeat',
        'stopPoll',
        'stopHibernation',
        { type: 'vd.close', params: { reason: 'device deprovisioned' } },
        { type: 'enter', params: { reason: 'deprovisioned by an admin' } },
        'tellOffline',
      ],
    },
  },
  states: {
    provisioned: {
      on: {
        'vs.scheduled': { target: 'scheduled', actions: ['scheduled', { type: 'enter', params: { reason: 'asked Vs for its server' } }] },
        'vd.connected': { target: 'online', actions: ['connected', 'askAtLogin', 'tellOnline', { type: 'enter', params: { reason: 'logged in' } }] },
        'hibernation.heartbeat': hib.ASLEEP_ON_HEARTBEAT,
      },
    },
    scheduled: {
      on: {
        'vs.scheduled': { actions: 'scheduled' },
        'vd.connected': { target: 'online', actions: ['connected', 'askAtLogin', 'tellOnline', { type: 'enter', params: { reason: 'logged in' } }] },
        'hibernation.heartbeat': hib.ASLEEP_ON_HEARTBEAT,
      },
    },
    online: {
      initial: 'ready',
      entry: ['armHeartbeat', { type: 'publishState', params: { state: 'online' } }],
      on: {
        'vd.keepalive': { actions: ['checkChannels', 'keepalive'] },
        'vd.serverInfo': { actions: ['serverInfo', 'armHeartbeat'] }, // the interval may have changed
        'vd.message': { actions: 'heard' },
        'vd.alarm': links.ON_ALARM, // an alarm session opened when due (pu.alarm-recording.ts)
        'vd.battery': { actions: 'battery' },
        'vd.connected': { actions: ['connected', 'askAtLogin', 'tellOnline', 'armHeartbeat'] },
        'vd.disconnected': { guard: 'sameConnection', actions: 'disconnected' },
        'vs.scheduled': { actions: 'scheduled' },
        'hibernation.heartbeat': { actions: 'hibernationHeard' },
      },
      states: {
        ready: {
          on: {
            // Asleep (pu.hibernation.ts): its Vd closed while its hibernation link is open, or a heartbeat without Vd.
            'vd.disconnected': [
              hib.REWAKE_ON_CLOSE, // with a record session open: woken again at once, one try
              {
                guard: 'closesIntoSleep',
                target: '#pu.hibernating',
                actions: ['disconnected', 'stopHeartbeat', { type: 'enter', params: { reason: hib.ASLEEP_ON_CLOSE_REASON } }],
              },
            ],
            'hibernation.heartbeat': {
              guard: not('connected'),
              target: '#pu.hibernating',
              actions: ['hibernationHeard', 'stopHeartbeat', { type: 'enter', params: { reason: hib.ASLEEP_ON_HEARTBEAT_REASON } }],
            },
            'heartbeat.expired': [
              { guard: 'silent', target: '#pu.offline', actions: { type: 'enter', params: { reason: 'no message for 3 heartbeat intervals' } } },
              { actions: 'armHeartbeat' },
            ],
            'cmd.request': [
              {
                guard: { type: 'isCommand', params: 'RebootDevice' },
                target: 'rebooting',
                actions: ['commandSent', a.SEND_COMMAND, 'stopHeartbeat', { type: 'enter', params: { reason: 'RebootDevice sent' } }],
              },
              {
                guard: { type: 'isCommand', params: 'Reschedule' },
                target: 'rescheduling',
                actions: ['commandSent', a.SEND_COMMAND, 'stopHeartbeat', { type: 'enter', params: { reason: 'Reschedule sent' } }],
              },
              {
                guard: { type: 'isCommand', params: 'UpgradeFirmware' },
                target: 'upgrading',
                actions: ['commandSent', a.SEND_COMMAND, 'startUpgrade', { type: 'enter', params: { reason: 'UpgradeFirmware sent' } }],
              },
              { guard: 'connected', actions: ['commandSent', a.SEND_COMMAND] },
            ],
          },
        },
        upgrading: {
          entry: 'schedulePoll',
          exit: 'stopPoll',
          after: {
            UPGRADE_TIMEOUT: {
              target: 'ready',
              actions: [
                { type: 'upgradeOutcome', params: { status: 'error', error: 'upgrade timed out' } },
                { type: 'enter', params: { reason: 'upgrade timed out' } },
              ],
            },
          },
          on: {
            'heartbeat.expired': { actions: 'armHeartbeat' }, // silent while it installs: never offline here (UPGRADE_TIMEOUT bounds it), but keep checking
            'upgrade.poll': [
              {
                guard: 'connected',
                actions: [
                  'countPoll',
                  {
                    type: 'vd.send',
                    params: ({ context }) => ({ reqId: `${context.deviceId}:upgrade-poll:${context.upgrade?.polls ?? 0}`, name: 'QueryUpgrade' }),
                  },
                  'schedulePoll',
                ],
              },
              { actions: 'schedulePoll' },
            ],
            'cmd.result': [
              {
                guard: 'upgradeFinished',
                target: 'rebooting',
                actions: [
                  'commandResult',
                  { type: 'upgradeOutcome', params: { status: 'done' } },
                  'stopHeartbeat',
                  { type: 'enter', params: { reason: 'upgrade done; the device restarts' } },
                ],
              },
              {
                guard: 'upgradeFailed',
                target: 'ready',
                actions: [
                  'commandResult',
                  { type: 'upgradeOutcome', params: { status: 'error', error: 'the device reported an upgrade error' } },
                  { type: 'enter', params: { reason: 'upgrade failed' } },
                ],
              },
              { actions: 'commandResult' },
            ],
            'vd.connected': [
              {
                guard: 'runsTargetFirmware',
                target: 'ready',
                actions: [
                  'connected',
                  'askAtLogin',
                  'tellOnline',
                  'armHeartbeat',
                  { type: 'upgradeOutcome', params: { status: 'done' } },
                  { type: 'enter', params: { reason: 'back with the new firmware' } },
                ],
              },
              { actions: ['connected', 'askAtLogin', 'tellOnline', 'armHeartbeat'] },
            ],
            'cmd.request': { guard: 'connected', actions: ['commandSent', a.SEND_COMMAND] },
          },
        },
        rebooting: {
          after: { REBOOT_TIMEOUT: { target: '#pu.offline', actions: { type: 'enter', params: { reason: 'did not come back after a reboot' } } } },
          on: {
            'vd.keepalive': { actions: ['checkChannels', 'keepalive'] }, // still up: the reboot has not begun
            'vd.connected': {
              target: 'ready',
              actions: ['connected', 'askAtLogin', 'tellOnline', 'armHeartbeat', { type: 'enter', params: { reason: 'back after a reboot' } }],
            },
          },
        },
        rescheduling: {
          after: { RESCHEDULE_TIMEOUT: { target: '#pu.offline', actions: { type: 'enter', params: { reason: 'did not come back after Reschedule' } } } },
          on: {
            'vd.keepalive': { actions: ['checkChannels', 'keepalive'] },
            'vd.connected': {
              target: 'ready',
              actions: ['connected', 'askAtLogin', 'tellOnline', 'armHeartbeat', { type: 'enter', params: { reason: 'back after rescheduling' } }],
            },
          },
        },
      },
    },
    hibernating: {
      entry: ['armHibernation', 'tellOffline', { type: 'publishState', params: { state: 'asleep' } }],
      exit: 'stopHibernation',
      on: {
        'hibernation.heartbeat': { actions: 'hibernationHeard' },
        'hibernation.expired': [
          { guard: 'hibernationSilent', target: 'offline', actions: { type: 'enter', params: ({ context }) => ({ reason: hib.silentReason(context) }) } },
          { actions: 'armHibernation' },
        ],
        'vd.connected': { target: 'online', actions: ['connected', 'askAtLogin', 'tellOnline', { type: 'enter', params: { reason: hib.WOKE_REASON } }] },
        'vd.disconnected': { guard: 'sameConnection', actions: 'disconnected' },
        'vs.scheduled': { actions: 'scheduled' },
        'live.watch': { target: 'waking', actions: ['holdWake', hib.WAKE_EFFECT, { type: 'enter', params: { reason: hib.WAKING_REASON } }] },
        'cmd.request': { guard: 'wakeRoom', target: 'waking', actions: ['holdWake', hib.WAKE_EFFECT, { type: 'enter', params: hib.wakingForCommand }] },
        // Start recording and SD playback wake it too (issue #22 point 3): their actors wait for the login.
        'recording.opened': {
          target: 'waking',
          actions: ['recordingOpened', 'holdWake', 'tellWaking', hib.WAKE_EFFECT, { type: 'enter', params: { reason: hib.WAKING_FOR_RECORDING_REASON } }],
        },
        'sd.play': {
          target: 'waking',
          actions: [
            { type: 'routeSdPlay', params: { wait: true } },
            'holdWake',
            hib.WAKE_EFFECT,
            { type: 'enter', params: { reason: hib.WAKING_FOR_SD_PLAY_REASON } },
          ],
        },
      },
    },
    // Woken (issue #22): viewers, commands, record sessions and SD playbacks wait for the login, bounded by WAKE_TIMEOUT.
    waking: {
      after: {
        WAKE_TIMEOUT: { target: 'hibernating', actions: 'wakeFailed' },
      },
      on: {
        'hibernation.heartbeat': { actions: 'hibernationHeard' },
        'live.watch': { guard: 'wakeRoom', actions: 'holdWake' },
        'cmd.request': { guard: 'wakeRoom', actions: 'holdWake' },
        'recording.opened': { actions: ['recordingOpened', 'tellWaking'] },
        'sd.play': { actions: { type: 'routeSdPlay', params: { wait: true } } },
        'vd.connected': {
          target: 'online',
          actions: ['connected', 'askAtLogin', 'tellOnline', 'replayWakes', { type: 'enter', params: { reason: hib.WOKEN_REASON } }],
        },
        'vd.disconnected': { guard: 'sameConnection', actions: 'disconnected' },
        'vs.scheduled': { actions: 'scheduled' },
      },
    },
    offline: {
      entry: ['tellOffline', { type: 'publishState', params: { state: 'offline' } }],
      on: {
        'hibernation.heartbeat': hib.ASLEEP_ON_HEARTBEAT,
        // Heard from again on the connection that never closed (it went offline while the platform
        // could not record its keepalives, e.g. a database outage): the heartbeat rule says online.
        'vd.keepalive': {
          guard: 'currentConnection',
          target: 'online',
          actions: ['checkChannels', 'keepalive', 'tellOnline', { type: 'enter', params: { reason: a.KEEPALIVE_BACK_REASON } }],
        },
        'vs.scheduled': { target: 'scheduled', actions: ['scheduled', { type: 'enter', params: { reason: 'asked Vs for its server again' } }] },
        'vd.connected': { target: 'online', actions: ['connected', 'askAtLogin', 'tellOnline', { type: 'enter', params: { reason: 'logged in again' } }] },
        'vd.disconnected': { guard: 'sameConnection', actions: 'disconnected' },
      },
    },
    deprovisioned: {
      entry: { type: 'publishState', params: { state: 'offline' } },
      on: {
        'device.provisioned': { target: 'provisioned', actions: ['reprovision', { type: 'enter', params: { reason: 'provisioned again' } }] },
        'login.failed': {},
        'login.tooManyFailures': {},
        'live.watch': {},
        'sd.play': {},
      },
    },
  },
});

/**
 * The pu machine as the host registers it. Changes of these alone are not history rows: the last-seen time, when and
 * from where the device last asked Vs, its failed logins in a row and the last (anyone can repeat them, issue #19).
 */
export const puV1: MachineDef = {
  type: 'pu',
  version: 1,
  machine: puMachine,
  volatile: ['lastSeenAt', 'scheduledAt', 'scheduledFrom', 'failedLogins', 'lastLoginFailure', 'hbSeenAt'],
  quiet: (snapshot, event) => a.quietKeepalive(snapshot, event) ?? hib.quietHeartbeat(snapshot, event),
  // A sleeping camera's pu leaves memory (10,000 asleep would hold 20 KiB each): the hibernation server keeps its
  // heartbeats (services/hibernation/asleep.ts), its offline timer and a wake bring it back.
  dormant: ['hibernating'],
};
