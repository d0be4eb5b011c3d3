/**
 * What the platform asks a device at every login (issue #22 point 4): GetCap (I.2.28; the capability set of OVC
 * dap.md 5.13, NOTES 9) and GetDiskInfo (I.2.31: whether it has an SD card). The answers are kept in the pu's
 * context, so the console offers only what the camera can do and the platform picks http or https for the URLs
 * it hands the device (NOTES 9). A device that does not answer keeps working with what is known:
 * - an `err` answer (an older firmware answers 101, unsupported method) makes it unknown: `null`, so the refusal
 *   shows in the history (absent means never answered yet);
 * - no answer (timeout, a dropped connection) keeps what was known before: nothing new was learnt.
 * The queries are not the user's commands: they leave `lastCommand` alone.
 */
import { enqueueActions } from 'xstate';
import type { Capabilities, GetDiskInfoResp } from '../../protocol/index.ts';
import type { PuContext, PuEvent } from './pu.types.ts';

/** The messages asked at every login, in the order they are sent. */
export const LOGIN_QUERIES = ['GetCap', 'GetDiskInfo'] as const;
/** One of them. */
export type LoginQuery = (typeof LOGIN_QUERIES)[number];

/** The capability set as kept: the GetCap answer (every flag filled, NOTES 9) and when it came. */
export type PuCapabilities = Capabilities;
/** The SD card as last reported at login (I.2.31: state 0 normal, 1 no card, 2 exception, 3 formatting; sizes in MB). */
export type PuDisk = GetDiskInfoResp;

const MARK = ':login:';
/** The request id of a login query: names the device, the connection and the message, so it never collides with an API command's random id. */
export function loginQueryId(deviceId: string, connId: string, name: LoginQuery): string {
  return `${deviceId}${MARK}${connId}:${name}`;
}

/** The answer is one of the login's queries (not a user's command). */
export function isLoginAnswer(context: PuContext, event: PuEvent): boolean {
  return event.type === 'cmd.result' && event.reqId.startsWith(`${context.deviceId}${MARK}`);
}

/** The `vd.send` effect of a login query (no params: GetCap and GetDiskInfo take none). */
interface VdSendQuery {
  type: 'vd.send';
  params: { reqId: string; name: LoginQuery };
}

/** Ask the login's queries over the connection that just logged in (the `vd.send` effect, run after the commit). */
export const askAtLogin = enqueueActions<PuContext, PuEvent, undefined, PuEvent, never, VdSendQuery, never, never, never>(({ enqueue, context, event }) => {
  if (event.type !== 'vd.connected') return;
  for (const name of LOGIN_QUERIES) enqueue({ type: 'vd.send', params: { reqId: loginQueryId(context.deviceId, event.connId, name), name } });
});

/** What an answer to a login query changes. */
export function onLoginAnswer({ event }: { context: PuContext; event: PuEvent }): Partial<PuContext> {
  if (event.type !== 'cmd.result') return {};
  // Refused (err): unknown from now on. Unanswered (no code: timeout, disconnected): what was known stays.
  const refused = !event.ok && event.code !== undefined;
  if (event.name === 'GetCap') {
    if (event.ok && event.resp) return { capabilities: event.resp as PuCapabilities };
    return refused ? { capabilities: null } : {};
  }
  if (event.name === 'GetDiskInfo') {
    if (event.ok && event.resp) return { disk: event.resp as PuDisk };
    return refused ? { disk: null } : {};
  }
  return {};
}
