/**
 * Pure rules the PU client machine applies (where to connect, whether the clock is off, why it
 * retries) and the one-word name of its state.
 * @module
 */
import { SYNC_TIME_US_PER_MS, TIME_SYNC_THRESHOLD_S, type VsGetServerAddrResp } from '../protocol/index.ts';
import type { PuClientContext, PuClientSnapshot, VdAddress, VsOutcome } from './pu-client.machine.ts';

const MS_PER_S = 1_000;

/** The signalling address of a Vs answer: WSS when `Secure_PassPort` is set, else plain WS, else none. */
export function vdAddressOf(resp: VsGetServerAddrResp): VdAddress | null {
  if (resp.PassDomain === '') return null;
  if (resp.Secure_PassPort !== 0) return { scheme: 'wss', host: resp.PassDomain, port: resp.Secure_PassPort };
  if (resp.PassPort !== 0) return { scheme: 'ws', host: resp.PassDomain, port: resp.PassPort };
  return null;
}

/** True when SyncTime and the device clock differ by more than 10 s (9.3.1.1 step 3). */
export function clockIsOff(outcome: VsOutcome): boolean {
  return Math.abs(outcome.resp.SyncTime / SYNC_TIME_US_PER_MS - outcome.deviceNowMs) > TIME_SYNC_THRESHOLD_S * MS_PER_S;
}

/** The device's state in one word, as logged and as `SimulatedDevice.state` reports it. */
export type PuClientState = 'stopped' | 'scheduling' | 'backoff' | 'connecting' | 'registering' | 'online' | 'rescheduling' | 'rebooting';

/** The one-word state of a snapshot. */
export function puClientState(snapshot: Pick<PuClientSnapshot, 'matches'>): PuClientState {
  if (snapshot.matches('stopped')) return 'stopped';
  if (snapshot.matches({ running: 'scheduling' })) return 'scheduling';
  if (snapshot.matches({ running: 'backoff' })) return 'backoff';
  if (snapshot.matches({ running: 'rebooting' })) return 'rebooting';
  if (snapshot.matches({ running: { connection: 'opening' } })) return 'connecting';
  if (snapshot.matches({ running: { connection: 'registering' } })) return 'registering';
  if (snapshot.matches({ running: { connection: { online: { schedule: 'fetching' } } } })) return 'rescheduling';
  return 'online';
}

/** Why the device tries again, and where (logged as the state change's reason). */
export function retryReason(context: PuClientContext, where: 'Vs' | 'Vd'): string {
  if (where === 'Vd') return `try ${context.failures + 1}: Vd again`;
  if (context.vd === null) return `try ${context.failures + 1}: Vs again`;
  if (context.vdUnreachable) return `try ${context.failures + 1}: Vs again, nobody answered at the Vd address`;
  return `re-scheduling through Vs after ${context.failuresSinceSchedule} failures (9.3.1.2)`;
}

/** The message of a thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
