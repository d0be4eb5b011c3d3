/**
 * The pu machine's context updates, as pure functions of (context, event). Kept beside the
 * machine so that the machine file reads as the lifecycle and these as the bookkeeping.
 */
import { ALARM_TYPES, HB_INTERVAL_DEFAULT_S } from '../../protocol/constants.ts';
import { jsonEqual } from '../host/diff.ts';
import type { PuChannelState, PuContext, PuEvent, PuInput } from './pu.types.ts';
import { isLoginAnswer, onLoginAnswer } from './pu.capabilities.ts';

/**
 * Failed logins in a row (no success between them, from any address) after which a device is
 * locked (NIST SP 800-63B 5.2.2: "no more than 100 consecutive failed attempts"). Below that,
 * failures only slow down the address that fails (services/devices/throttle.ts): they never keep the
 * device itself out. User sign-ins follow the same rule (services/users/sessions.ts).
 */
export const LOGIN_FAILURES_TO_LOCK = 100;
/** How long such a lock lasts unless an admin lifts it earlier (platform's choice: bounded, never for ever). */
export const LOGIN_LOCK_MS = 60 * 60_000;

type Args = { context: PuContext; event: PuEvent };
/** When an event happened (every event carries its time: the host stamps it). */
export const at = (e: PuEvent) => e.at ?? 0;

/** Why an offline device is online again when a keepalive arrives on its open connection. */
export const KEEPALIVE_BACK_REASON = 'a keepalive arrived on its open connection';
/** Channel states by channel number: the order the context keeps them in. */
const compareChannels = (x: PuChannelState, y: PuChannelState) => x.channel - y.channel;

/** The `upgrade_status` a QueryUpgrade answer reports (I.2.8), if the event is one. */
export function upgradeStatus(event: PuEvent): string | undefined {
  if (event.type !== 'cmd.result' || event.name !== 'QueryUpgrade' || !event.ok) return undefined;
  return (event.resp as { upgrade_status?: string } | undefined)?.upgrade_status;
}

/** The context of a newly provisioned device. */
export function initialContext(input: PuInput): PuContext {
  return {
    deviceId: input.deviceId,
    macId: input.macId,
    channels: input.channels,
    since: 0,
    reason: 'provisioned',
    connected: false,
    hbIntervalS: HB_INTERVAL_DEFAULT_S,
    channelStates: [],
    activeAlarms: [],
    login: { locks: 0 },
    failedLogins: 0,
  };
}

/**
 * A successful Vd login: the connection, the models, and no failures in a row any more (a lock
 * that has run out is dropped: a login can only succeed outside one).
 */
export function onConnected({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'vd.connected') return {};
  return {
    connected: true,
    connId: event.connId,
    ip: event.ip,
    reconnect: event.reconnect,
    hardwareModel: event.hardwareModel,
    firmwareModel: event.firmwareModel,
    sdk: event.sdk,
    connectedAt: at(event),
    lastSeenAt: at(event),
    login: { locks: context.login?.locks ?? 0 },
    failedLogins: 0,
  };
}

/** The Vd socket closed (not yet offline: NOTES 3). */
export function onDisconnected({ event }: Args): Partial<PuContext> {
  if (event.type !== 'vd.disconnected') return {};
  return { connected: false, lastDisconnect: { at: at(event), code: event.code, reason: event.reason } };
}

/**
 * A Keepalive: device and channel states (I.2.1). What did not change keeps its object: a
 * keepalive mostly repeats the last one, and an unchanged context part kept by reference costs
 * no comparison later and no garbage that outlives the next keepalive (18,000 devices' worth of
 * it is what makes the garbage collector stop the event loop).
 */
export function onKeepalive({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'vd.keepalive') return {};
  const update: Partial<PuContext> = { lastSeenAt: at(event) };
  if (event.state !== context.deviceState) update.deviceState = event.state;
  let channels = event.channels.map((c) => ({ ...c })).sort(compareChannels);
  if (jsonEqual(channels, context.channelStates)) channels = context.channelStates;
  else update.channelStates = channels;
  const active = context.activeAlarms.filter((al) => channels.some((c) => c.channel === al.channel && (c.alarm & (1 << al.type)) !== 0));
  if (active.length !== context.activeAlarms.length) update.activeAlarms = active;
  return update;
}

/**
 * The pu machine's `quiet` shortcut (MachineDef.quiet): a Keepalive while online that reports the
 * device state and channel states the context holds, with no alarm active, only moves `lastSeenAt`
 * (in every online state the machine's answer to it is the `keepalive` action alone, and
 * {@link onKeepalive} then changes nothing else). Anything else runs the machine. Channels come in
 * the device's order (services/vd/vd-inbound.ts passes them as received); the context keeps them
 * sorted by channel number, so they are compared in that order, sorted the way onKeepalive sorts them.
 */
export function quietKeepalive(
  snapshot: { status: string; value: unknown; context: unknown },
  event: { type: string; at?: number },
): Record<string, unknown> | null {
  if (event.type !== 'vd.keepalive' || snapshot.status !== 'active') return null;
  const value = snapshot.value;
  if (typeof value !== 'object' || value === null || !('online' in value)) return null;
  const context = snapshot.context as PuContext;
  const e = event as Extract<PuEvent, { type: 'vd.keepalive' }>;
  if (e.state !== context.deviceState || context.activeAlarms.length > 0) return null;
  const known = context.channelStates;
  if (e.channels.length !== known.length) return null;
  const channels = byChannel(e.channels);
  for (let i = 0; i < known.length; i++) if (!sameChannelState(channels[i]!, known[i]!)) return null;
  return { lastSeenAt: at(e) };
}

/** Channel states in the order the context keeps them (onKeepalive's stable sort); already sorted ones, the usual case, as they are. */
function byChannel(channels: PuChannelState[]): PuChannelState[] {
  for (let i = 1; i < channels.length; i++) if (channels[i - 1]!.channel > channels[i]!.channel) return [...channels].sort(compareChannels);
  return channels;
}

/** The fields of a channel state. */
const CHANNEL_STATE_KEYS = new Set(['channel', 'state', 'stream_id', 'record_session', 'alarm']);

/**
 * `jsonEqual` for two channel states of JSON-born data, without its key arrays (it runs 18,000
 * times a second): both only PuChannelState's fields, as many of them, with the same values.
 */
function sameChannelState(a: PuChannelState, b: PuChannelState): boolean {
  if (a.channel !== b.channel || a.state !== b.state || a.alarm !== b.alarm || a.stream_id !== b.stream_id || a.record_session !== b.record_session)
    return false;
  let keys = 0;
  for (const k in a) {
    if (!CHANNEL_STATE_KEYS.has(k)) return false;
    keys++;
  }
  for (const k in b) {
    if (!CHANNEL_STATE_KEYS.has(k)) return false;
    keys--;
  }
  return keys === 0;
}

/** GetServerInfo from the device: the heartbeat interval it was given (I.2.2) sets the offline timeout. */
export function onServerInfo({ event }: Args): Partial<PuContext> {
  if (event.type !== 'vd.serverInfo') return {};
  return { lastSeenAt: at(event), hbIntervalS: event.hbIntervalS, ...(event.state !== undefined ? { deviceState: event.state } : {}) };
}

/** The device asked Vs for its server. */
export function onScheduled({ event }: Args): Partial<PuContext> {
  if (event.type !== 'vs.scheduled') return {};
  return { scheduledAt: at(event), scheduledFrom: event.ip };
}

/**
 * A failed login of the device (wrong password or signature, from any address): one more in a
 * row. Both keys are volatile (puV1): a failure costs no history row, however many an attacker
 * sends; only the lock it may lead to is logged.
 */
export function onLoginFailed({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'login.failed') return {};
  return { failedLogins: (context.failedLogins ?? 0) + 1, lastLoginFailure: { at: at(event), reason: event.reason, ...(event.ip ? { ip: event.ip } : {}) } };
}

/** The hard lock: LOGIN_LOCK_MS from now, and the count of failures in a row starts again. */
export function onLoginLocked({ context, event }: Args): Partial<PuContext> {
  return { login: { locks: (context.login?.locks ?? 0) + 1, lockedUntil: at(event) + LOGIN_LOCK_MS }, failedLogins: 0 };
}

/** An admin lifted the lock (or cleared the failures of a device that was not locked). */
export function onLoginUnlocked({ context }: Args): Partial<PuContext> {
  return { login: { locks: context.login?.locks ?? 0 }, failedLogins: 0 };
}

/** An AlarmNotify (I.2.16): state alarms open and close, single ones are remembered as the last. */
export function onAlarm({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'vd.alarm') return {};
  const kind = ALARM_TYPES[event.alarmType as keyof typeof ALARM_TYPES]?.kind;
  let active = context.activeAlarms.filter((al) => !(al.channel === event.channel && al.type === event.alarmType));
  if (kind === 'state' && event.state === 'start') active = [...active, { channel: event.channel, type: event.alarmType, since: at(event) }];
  return {
    lastSeenAt: at(event),
    activeAlarms: active,
    lastAlarm: { channel: event.channel, type: event.alarmType, state: event.state, at: at(event), alarmId: event.alarmId },
  };
}

/** BatteryChange (I.2.27, NOTES 5). */
export function onBattery({ event }: Args): Partial<PuContext> {
  return event.type === 'vd.battery' ? { battery: event.battery, lastSeenAt: at(event) } : {};
}

/** The device was bound to a user (Bind with a valid code, NOTES 13), or unbound (null). */
export function onBound({ event }: Args): Partial<PuContext> {
  if (event.type !== 'device.bound') return {};
  return { ownerId: event.userId ?? undefined };
}

/** The device's shares changed (docs/console.md, "Sharing"): who, which role (null: no longer), by whom. */
export function onShared({ event }: Args): Partial<PuContext> {
  if (event.type !== 'device.shared') return {};
  return { lastShare: { username: event.username, role: event.role, by: event.by, at: at(event) } };
}

/** A Bind whose code was unknown, expired or used. */
export function onBindRejected({ event }: Args): Partial<PuContext> {
  return event.type === 'bind.rejected' ? { lastBindRejected: { at: at(event), reason: event.reason } } : {};
}

/** LogDone (I.2.30). */
export function onLogDone({ event }: Args): Partial<PuContext> {
  if (event.type !== 'vd.logDone') return {};
  return { lastLog: { transId: event.transId, status: event.status, size: event.size, at: at(event) } };
}

/** A platform → PU command accepted for sending. */
export function onCommandSent({ event }: Args): Partial<PuContext> {
  if (event.type !== 'cmd.request') return {};
  return { lastCommand: { reqId: event.reqId, name: event.name, at: at(event), ...(event.by ? { by: event.by } : {}) } };
}

/** The device's answer to a command (or its absence): kept where the lifecycle needs it. */
export function onCommandResult({ context, event }: Args): Partial<PuContext> {
  if (event.type !== 'cmd.result') return {};
  if (isLoginAnswer(context, event)) return onLoginAnswer({ context, event });
  const out: Partial<PuContext> = {
    lastCommand: {
      reqId: event.reqId,
      name: event.name,
      at: at(event),
      ok: event.ok,
      ...(event.code !== undefined ? { code: event.code, msg: event.msg } : {}),
    },
  };
  const r = event.resp;
  if (event.ok && r) {
    if (event.name === 'GetCap' || event.name === 'GetDiskInfo') Object.assign(out, onLoginAnswer({ context, event }));
    if (event.name === 'DevStatus' && typeof r.battery === 'number') out.battery = r.battery;
    if (event.name === 'DevStatus' && typeof r.firmware_model === 'string') out.firmwareModel = r.firmware_model;
    if (event.name === 'QueryUpgrade' && context.upgrade) {
      out.upgrade = { ...context.upgrade, status: String(r.upgrade_status), progress: Number(r.progress) };
    }
  }
  return out;
}

/** UpgradeFirmware sent: track the upgrade. */
export function onStartUpgrade({ event }: Args): Partial<PuContext> {
  const target = event.type === 'cmd.request' ? event.firmwareModel : undefined;
  return { upgrade: { firmwareModel: target ?? '', status: 'notstart', progress: 0, polls: 0, startedAt: at(event) } };
}

/** How an upgrade ended. */
export function onUpgradeOutcome({ context, event }: Args, p: { status: 'done' | 'error'; error?: string }): Partial<PuContext> {
  if (!context.upgrade) return {};
  return {
    upgrade: {
      ...context.upgrade,
      status: p.status,
      finishedAt: at(event),
      progress: p.status === 'done' ? 100 : context.upgrade.progress,
      ...(p.error ? { error: p.error } : {}),
    },
  };
}

/** Count a QueryUpgrade poll (its request id derives from the count, so replay is exact). */
export function onUpgradePoll({ context }: Args): Partial<PuContext> {
  return context.upgrade ? { upgrade: { ...context.upgrade, polls: context.upgrade.polls + 1 } } : {};
}

/** Deprovisioned: forget the connection and the owner. */
export function onDeprovisioned(): Partial<PuContext> {
  return { connected: false, connId: undefined, ownerId: undefined };
}

/** Provisioned again under the same id. */
export function onReprovisioned({ event }: Args): Partial<PuContext> {
  if (event.type !== 'device.provisioned') return {};
  return { macId: event.macId, channels: event.channels, login: { locks: 0 }, failedLogins: 0 };
}

/** The `vd.send` effect of an accepted command: the RPC service holds its params (never logged). */
export const SEND_COMMAND = {
  type: 'vd.send',
  params: ({ event }: { event: PuEvent }) => (event.type === 'cmd.request' ? { reqId: event.reqId, name: event.name } : { reqId: '', name: '' }),
} as const;
