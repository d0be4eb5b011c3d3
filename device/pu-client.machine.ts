/**
 * The device side of H.627.2 as an XState machine: Vs scheduling with time sync (9.3.1.1), Vd
 * login and heartbeat (9.3.2, I.2.1, I.2.2), reconnection backoff (9.3.1.3), re-scheduling after
 * repeated failures or when told (9.3.1.2), and reboot. Pure: sockets (`vdSocket`), HTTP
 * (`vsSchedule`), the clock correction (`clock.set`) and power (`device.powerOff`) are injected
 * with `provide`, timers are named delays on the actor's clock, randomness comes from the
 * `random` given to `createPuClientMachine`.
 * @module
 */
import { assign, fromCallback, fromPromise, sendTo, setup, type SnapshotFrom } from 'xstate';
import { HB_INTERVAL_DEFAULT_S, RPC_TIMEOUT_S, SYNC_TIME_US_PER_MS, type VsGetServerAddrResp } from '../protocol/index.ts';
import { backoffDelayMs, needsReschedule } from './backoff.ts';
import { clockIsOff, errorMessage, retryReason, vdAddressOf } from './pu-client.rules.ts';

const MS_PER_S = 1_000;
/** How long a rebooting device stays down before it starts again from Vs. Device's choice. */
export const BOOT_MS = 3_000;
/** How long the PU waits for the Vd WebSocket to open. Device's choice: the RPC timeout (NOTES). */
export const CONNECT_TIMEOUT_MS = RPC_TIMEOUT_S * MS_PER_S;

/** Where the signalling server is, from the Vs answer (I.1, NOTES 4). */
export interface VdAddress {
  scheme: 'wss' | 'ws';
  host: string;
  port: number;
}

/** What the Vs actor resolves with: the answer, and the device clock when it arrived. */
export interface VsOutcome {
  resp: VsGetServerAddrResp;
  deviceNowMs: number;
}

/** What the Vd socket actor is started with (the password stays in the runtime). */
export interface VdSocketInput {
  address: VdAddress;
  /** Table 9-3 `reconnect`: 1 once this device has been online since start-up. */
  reconnect: 0 | 1;
}

/** Commands the machine sends to the Vd socket actor. */
export type VdCommand = { type: 'vd.send.getServerInfo' } | { type: 'vd.send.keepalive' };

/** What a machine is created with: identity (no secrets) and device settings. */
export interface PuClientInput {
  deviceId: string;
  mac: string;
  /** Heartbeat interval that wins over GetServerInfo's `hb_interval` (load tests). */
  hbOverrideS?: number;
  /** How long a reboot keeps the device down, ms. */
  bootMs?: number;
}

/** The machine's context: plain JSON. */
export interface PuClientContext {
  deviceId: string;
  mac: string;
  hbOverrideS: number | null;
  bootMs: number;
  /** Signalling server from the last Vs answer. */
  vd: VdAddress | null;
  /** Heartbeat interval in force, seconds (I.2.2). */
  hbIntervalS: number;
  /** N of 9.3.1.3: consecutive failed tries (Vs or Vd) since the device was last online. */
  failures: number;
  /** Consecutive failures since the last Vs answer (9.3.1.2). */
  failuresSinceSchedule: number;
  /**
   * The last Vd try found nobody at the address (refused, reset, timed out): the next try asks Vs first, without
   * waiting for 9.3.1.2's 15 failures. A server that is gone (a cluster node that died or left) is not coming back
   * at that address, and Vs knows where the device belongs now (docs/cluster.md). The 9.3.1.3 backoff still applies.
   */
  vdUnreachable: boolean;
  /** The sleep drawn for the current backoff, ms. */
  backoffMs: number;
  /** Table 9-3 `reconnect` for the next login. */
  reconnect: 0 | 1;
  /** Times the device clock was reset from Vs SyncTime (9.3.1.1 step 3). */
  clockResets: number;
  /** Successful logins since start-up. */
  logins: number;
  /** Why the machine is where it is, in words (logged with each state change). */
  reason: string;
}

/** Events: `device.*` from the SDK user, `vd.*` from the Vd socket actor. */
export type PuClientEvent =
  | { type: 'device.start' }
  | { type: 'device.stop' }
  | { type: 'device.reboot'; reason: string }
  /** Re-arm a restored waiting state's timer (XState does not persist delayed events). */
  | { type: 'device.resume' }
  | { type: 'vd.open' }
  | { type: 'vd.failed'; reason: string; retryAfterS?: number; unreachable?: boolean }
  | { type: 'vd.closed'; reason: string }
  | { type: 'vd.serverInfo'; hbIntervalS?: number }
  | { type: 'vd.keepalive.ack' }
  | { type: 'vd.reschedule' };

const failure = (reason: string) => ({ type: 'failure.note', params: { reason } }) as const;
/**
 * A failure where nobody answered at the Vd address in time (a connect, a GetServerInfo or a Keepalive timed out): the
 * server is stopped, paused or cut off (docs/cluster.md, "Partitions and pauses"), so the next try asks Vs first, as
 * for a refused connection; a healthy server is given again by Vs (placement is sticky).
 */
const silence = (reason: string) => ({ type: 'failure.note', params: { reason, unreachable: true } }) as const;

/**
 * The PU client machine; `random` draws the backoff point in [0, 1).
 * @example createActor(createPuClientMachine(() => 0.5).provide({ actors: { vsSchedule, vdSocket } }), { input })
 */
export function createPuClientMachine(random: () => number = Math.random) {
  return setup({
    types: {} as { context: PuClientContext; events: PuClientEvent; input: PuClientInput },
    actors: {
      vsSchedule: fromPromise<VsOutcome, { mac: string }>(async () => {
        throw new Error('vsSchedule is not provided');
      }),
      vdSocket: fromCallback<VdCommand, VdSocketInput, PuClientEvent>(({ sendBack }) => {
        sendBack({ type: 'vd.failed', reason: 'vdSocket is not provided' });
      }),
    },
    actions: {
      /** Injected: move the device clock to the platform's (9.3.1.1 step 3). */
      'clock.set': (_, _params: { syncTimeMs: number; deviceNowMs: number }) => {},
      /** Injected: the camera loses power (streams stop, volatile state resets). */
      'device.powerOff': () => {},
      'failure.note': assign(({ context }, params: { reason: string; retryAfterS?: number; unreachable?: boolean }) => {
        const failures = context.failures + 1;
        const backoffMs = backoffDelayMs(failures, random(), params.retryAfterS);
        const reason = `failure ${failures}: ${params.reason}; next try in ${(backoffMs / MS_PER_S).toFixed(1)} s`;
        return { failures, failuresSinceSchedule: context.failuresSinceSchedule + 1, backoffMs, reason, vdUnreachable: params.unreachable === true };
      }),
      'schedule.apply': assign((_, params: { outcome: VsOutcome }) => {
        const vd = vdAddressOf(params.outcome.resp);
        return { vd, failuresSinceSchedule: 0, vdUnreachable: false, reason: `scheduled to ${vd?.scheme}://${vd?.host}:${vd?.port}` };
      }),
      'clock.counted': assign({ clockResets: ({ context }) => context.clockResets + 1 }),
      'hb.apply': assign(({ context }, params: { hbIntervalS?: number }) => {
        const hbIntervalS = context.hbOverrideS ?? params.hbIntervalS ?? HB_INTERVAL_DEFAULT_S; // I.2.2
        return { hbIntervalS, reason: `logged in, heartbeat every ${hbIntervalS} s` };
      }),
      'online.note': assign(({ context }) => ({ failures: 0, failuresSinceSchedule: 0, reconnect: 1 as const, logins: context.logins + 1 })),
      'power.on': assign({ vd: null, failures: 0, failuresSinceSchedule: 0, vdUnreachable: false, reconnect: 0 as const, reason: 'started' }),
      'reason.set': assign((_, params: { reason: string }) => ({ reason: params.reason })),
    },
    guards: {
      'clock.off': (_, params: { outcome: VsOutcome }) => clockIsOff(params.outcome),
      'schedule.unusable': (_, params: { outcome: VsOutcome }) => vdAddressOf(params.outcome.resp) === null,
      /** No signalling address yet, or more than 15 failures since the last Vs answer (9.3.1.2). */
      'schedule.needed': ({ context }) => context.vd === null || context.vdUnreachable || needsReschedule(context.failuresSinceSchedule),
    },
    delays: {
      'reconnect.backoff': ({ context }) => context.backoffMs,
      'hb.interval': ({ context }) => context.hbIntervalS * MS_PER_S,
      'rpc.timeout': RPC_TIMEOUT_S * MS_PER_S,
      'connect.timeout': CONNECT_TIMEOUT_MS,
      'boot.duration': ({ context }) => context.bootMs,
    },
  }).createMachine({
    id: 'puClient',
    context: ({ input }) => ({
      deviceId: input.deviceId,
      mac: input.mac,
      hbOverrideS: input.hbOverrideS ?? null,
      bootMs: input.bootMs ?? BOOT_MS,
      vd: null,
      hbIntervalS: HB_INTERVAL_DEFAULT_S,
      failures: 0,
      failuresSinceSchedule: 0,
      vdUnreachable: false,
      backoffMs: 0,
      reconnect: 0,
      clockResets: 0,
      logins: 0,
      reason: 'created',
    }),
    initial: 'stopped',
    on: { 'device.stop': { target: '.stopped', actions: { type: 'reason.set', params: { reason: 'stopped by the SDK' } } } },
    states: {
      stopped: {
        on: { 'device.start': { target: 'running', actions: 'power.on' } },
      },
      running: {
        initial: 'scheduling',
        on: {
          'device.reboot': { target: '.rebooting', actions: { type: 'reason.set', params: ({ event }) => ({ reason: event.reason }) } },
        },
        states: {
          // 9.3.1.1: ask Vs where to connect, and sync the clock from SyncTime.
          scheduling: {
            invoke: {
              src: 'vsSchedule',
              input: ({ context }) => ({ mac: context.mac }),
              onDone: [
                {
                  guard: { type: 'schedule.unusable', params: ({ event }) => ({ outcome: event.output }) },
                  target: 'backoff',
                  actions: failure('Vs named no signalling port'),
                },
                {
                  guard: { type: 'clock.off', params: ({ event }) => ({ outcome: event.output }) },
                  target: 'connection',
                  actions: [
                    {
                      type: 'clock.set',
                      params: ({ event }) => ({ syncTimeMs: event.output.resp.SyncTime / SYNC_TIME_US_PER_MS, deviceNowMs: event.output.deviceNowMs }),
                    },
                    'clock.counted',
                    { type: 'schedule.apply', params: ({ event }) => ({ outcome: event.output }) },
                  ],
                },
                { target: 'connection', actions: { type: 'schedule.apply', params: ({ event }) => ({ outcome: event.output }) } },
              ],
              onError: { target: 'backoff', actions: { type: 'failure.note', params: ({ event }) => ({ reason: `Vs: ${errorMessage(event.error)}` }) } },
            },
          },
          // 9.3.1.3: sleep [0, 5N] s (N ≤ 12) or 60 s, then Vs again when 9.3.1.2 says so, else Vd.
          backoff: {
            on: { 'device.resume': { target: 'backoff', reenter: true } },
            after: {
              'reconnect.backoff': [
                {
                  guard: 'schedule.needed',
                  target: 'scheduling',
                  actions: { type: 'reason.set', params: ({ context }) => ({ reason: retryReason(context, 'Vs') }) },
                },
                { target: 'connection', actions: { type: 'reason.set', params: ({ context }) => ({ reason: retryReason(context, 'Vd') }) } },
              ],
            },
          },
          connection: {
            invoke: { id: 'vd', src: 'vdSocket', input: ({ context }) => ({ address: context.vd!, reconnect: context.reconnect }) },
            on: {
              'vd.failed': {
                target: 'backoff',
                actions: {
                  type: 'failure.note',
                  params: ({ event }) => ({ reason: event.reason, retryAfterS: event.retryAfterS, unreachable: event.unreachable }),
                },
              },
              'vd.closed': { target: 'backoff', actions: { type: 'failure.note', params: ({ event }) => ({ reason: event.reason }) } },
            },
            initial: 'opening',
            states: {
              opening: {
                on: { 'vd.open': 'registering' },
                after: { 'connect.timeout': { target: '#puClient.running.backoff', actions: silence('Vd connect timed out') } },
              },
              // I.2.2: GetServerInfo first; its hb_interval paces the heartbeat.
              registering: {
                entry: sendTo('vd', { type: 'vd.send.getServerInfo' }),
                on: { 'vd.serverInfo': { target: 'online', actions: { type: 'hb.apply', params: ({ event }) => ({ hbIntervalS: event.hbIntervalS }) } } },
                after: { 'rpc.timeout': { target: '#puClient.running.backoff', actions: silence('GetServerInfo unanswered') } },
              },
              online: {
                entry: 'online.note',
                type: 'parallel',
                states: {
                  // I.2.1: Keepalive, then hb_interval of rest; an unanswered one means reconnect (NOTES).
                  heartbeat: {
                    initial: 'beating',
                    states: {
                      beating: {
                        entry: sendTo('vd', { type: 'vd.send.keepalive' }),
                        on: { 'vd.keepalive.ack': 'resting' },
                        after: { 'rpc.timeout': { target: '#puClient.running.backoff', actions: silence(`Keepalive unanswered for ${RPC_TIMEOUT_S} s`) } },
                      },
                      resting: { after: { 'hb.interval': 'beating' } },
                    },
                  },
                  // 9.3.1.2 item 2 (OVC dev_dispatcher.md 2.3c): Vs runs while the old connection serves.
                  schedule: {
                    initial: 'steady',
                    states: {
                      steady: {
                        on: { 'vd.reschedule': { target: 'fetching', actions: { type: 'reason.set', params: { reason: 'Reschedule from the platform' } } } },
                      },
                      fetching: {
                        invoke: {
                          src: 'vsSchedule',
                          input: ({ context }) => ({ mac: context.mac }),
                          onDone: [
                            {
                              guard: { type: 'schedule.unusable', params: ({ event }) => ({ outcome: event.output }) },
                              target: 'steady',
                              actions: { type: 'reason.set', params: { reason: 'reschedule: Vs named no signalling port; staying' } },
                            },
                            {
                              guard: { type: 'clock.off', params: ({ event }) => ({ outcome: event.output }) },
                              target: '#puClient.running.switching',
                              actions: [
                                {
                                  type: 'clock.set',
                                  params: ({ event }) => ({
                                    syncTimeMs: event.output.resp.SyncTime / SYNC_TIME_US_PER_MS,
                                    deviceNowMs: event.output.deviceNowMs,
                                  }),
                                },
                                'clock.counted',
                                { type: 'schedule.apply', params: ({ event }) => ({ outcome: event.output }) },
                              ],
                            },
                            { target: '#puClient.running.switching', actions: { type: 'schedule.apply', params: ({ event }) => ({ outcome: event.output }) } },
                          ],
                          onError: {
                            target: 'steady',
                            actions: { type: 'reason.set', params: ({ event }) => ({ reason: `reschedule failed (${errorMessage(event.error)}); staying` }) },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          // Leaves the old connection (its socket closes) and opens one to the new address.
          switching: { always: 'connection' },
          // RebootDevice (I.2.5) or a finished upgrade: down for bootMs, then from Vs with reconnect=0.
          rebooting: {
            entry: 'device.powerOff',
            on: { 'device.resume': { target: 'rebooting', reenter: true } },
            after: { 'boot.duration': { target: 'scheduling', actions: 'power.on' } },
          },
        },
      },
    },
  });
}

/** The machine with Math.random; runtimes provide actors and actions (`provide`). */
export const puClientMachine = createPuClientMachine();
/** The machine's type. */
export type PuClientMachine = ReturnType<typeof createPuClientMachine>;
/** A snapshot of the machine. */
export type PuClientSnapshot = SnapshotFrom<PuClientMachine>;
