/**
 * The Vd message catalog: every message of H.627.2 Table 9-4 as data, with its kind, sender,
 * schemas and clause, and validation of params and answers by message name.
 * @module
 */
import type { z } from 'zod';
import { parseWith } from './errors.ts';
import { GetCapParams, GetCapResp, GetConfigParams, GetConfigResp, ResetConfigParams, ResetConfigResp, SetConfigParams, SetConfigResp } from './vd-config.ts';
import {
  BatteryChangeParams,
  BindParams,
  DevStatusParams,
  DevStatusResp,
  GetServerInfoParams,
  GetServerInfoResp,
  KeepAwakenParams,
  KeepAwakenResp,
  KeepaliveParams,
  KeepaliveResp,
  QueryTimeParams,
  QueryTimeResp,
  QueryUpgradeParams,
  QueryUpgradeResp,
  RebootChannelParams,
  RebootDeviceParams,
  RescheduleParams,
  SettimeParams,
  SettimeResp,
  UpgradeFirmwareParams,
} from './vd-device.ts';
import { FormatDiskParams, FormatDiskResp, GetDiskInfoParams, GetDiskInfoResp, LogDoneParams, LogUploadAsyncParams, LogUploadAsyncResp } from './vd-maint.ts';
import {
  AlarmNotifyParams,
  AlarmNotifyResp,
  CtrlVideoParams,
  PlayVideoParams,
  PushLiveParams,
  PushLiveResp,
  QueryVideoStatusParams,
  QueryVideoStatusResp,
  SnapshotParams,
  SnapshotResp,
  StartRecordParams,
  StartRecordResp,
  StopLiveParams,
  StopLiveResp,
  StopRecordParams,
  StopRecordResp,
} from './vd-media.ts';
import { CtrlPTZParams, GetPTZPresetListParams, GetPTZPresetListResp } from './vd-ptz.ts';

/** The 32 Vd message names, in the order of Table 9-4. */
export const VD_NAMES = [
  'Keepalive',
  'GetServerInfo',
  'Bind',
  'RebootChannel',
  'RebootDevice',
  'Reschedule',
  'UpgradeFirmware',
  'QueryUpgrade',
  'Settime',
  'QueryTime',
  'DevStatus',
  'PushLive',
  'StopLive',
  'StartRecord',
  'StopRecord',
  'AlarmNotify',
  'CtrlPTZ',
  'GetPTZPresetList',
  'GetConfig',
  'SetConfig',
  'ResetConfig',
  'Snapshot',
  'PlayVideo',
  'CtrlVideo',
  'QueryVideoStatus',
  'KeepAwaken',
  'BatteryChange',
  'GetCap',
  'LogUploadAsync',
  'LogDone',
  'GetDiskInfo',
  'FormatDisk',
] as const;

/** A Vd message name, exactly as on the wire. */
export type VdName = (typeof VD_NAMES)[number];
/** Who sends a message: the premises unit or the service platform. */
export type VdSide = 'pu' | 'platform';
/** A request-response message (9.3.2.1.1). */
export type VdRpcEntry = { readonly kind: 'rpc'; readonly from: VdSide; readonly params: z.ZodType; readonly resp: z.ZodType; readonly clause: string };
/** A notification without answer (9.3.2.1.2). */
export type VdEventEntry = { readonly kind: 'event'; readonly from: VdSide; readonly params: z.ZodType; readonly clause: string };
/** One catalog entry. */
export type VdEntry = VdRpcEntry | VdEventEntry;

/** The Vd catalog: kind and sender from Table 9-4 (with NOTES errata), schemas, Appendix I clause. */
export const vd = {
  Keepalive: { kind: 'rpc', from: 'pu', params: KeepaliveParams, resp: KeepaliveResp, clause: 'I.2.1' },
  GetServerInfo: { kind: 'rpc', from: 'pu', params: GetServerInfoParams, resp: GetServerInfoResp, clause: 'I.2.2' },
  Bind: { kind: 'event', from: 'pu', params: BindParams, clause: 'I.2.3' },
  RebootChannel: { kind: 'event', from: 'platform', params: RebootChannelParams, clause: 'I.2.4' },
  RebootDevice: { kind: 'event', from: 'platform', params: RebootDeviceParams, clause: 'I.2.5' },
  Reschedule: { kind: 'event', from: 'platform', params: RescheduleParams, clause: 'I.2.6' },
  UpgradeFirmware: { kind: 'event', from: 'platform', params: UpgradeFirmwareParams, clause: 'I.2.7' },
  QueryUpgrade: { kind: 'rpc', from: 'platform', params: QueryUpgradeParams, resp: QueryUpgradeResp, clause: 'I.2.8' },
  Settime: { kind: 'rpc', from: 'platform', params: SettimeParams, resp: SettimeResp, clause: 'I.2.9' },
  QueryTime: { kind: 'rpc', from: 'platform', params: QueryTimeParams, resp: QueryTimeResp, clause: 'I.2.10' },
  DevStatus: { kind: 'rpc', from: 'platform', params: DevStatusParams, resp: DevStatusResp, clause: 'I.2.11' },
  PushLive: { kind: 'rpc', from: 'platform', params: PushLiveParams, resp: PushLiveResp, clause: 'I.2.12' },
  StopLive: { kind: 'rpc', from: 'platform', params: StopLiveParams, resp: StopLiveResp, clause: 'I.2.13' },
  StartRecord: { kind: 'rpc', from: 'platform', params: StartRecordParams, resp: StartRecordResp, clause: 'I.2.14' },
  StopRecord: { kind: 'rpc', from: 'platform', params: StopRecordParams, resp: StopRecordResp, clause: 'I.2.15' },
  AlarmNotify: { kind: 'rpc', from: 'pu', params: AlarmNotifyParams, resp: AlarmNotifyResp, clause: 'I.2.16' },
  CtrlPTZ: { kind: 'event', from: 'platform', params: CtrlPTZParams, clause: 'I.2.17' },
  GetPTZPresetList: { kind: 'rpc', from: 'platform', params: GetPTZPresetListParams, resp: GetPTZPresetListResp, clause: 'I.2.18' },
  GetConfig: { kind: 'rpc', from: 'platform', params: GetConfigParams, resp: GetConfigResp, clause: 'I.2.19' },
  SetConfig: { kind: 'rpc', from: 'platform', params: SetConfigParams, resp: SetConfigResp, clause: 'I.2.20' },
  ResetConfig: { kind: 'rpc', from: 'platform', params: ResetConfigParams, resp: ResetConfigResp, clause: 'I.2.21' },
  Snapshot: { kind: 'rpc', from: 'platform', params: SnapshotParams, resp: SnapshotResp, clause: 'I.2.22' },
  PlayVideo: { kind: 'event', from: 'platform', params: PlayVideoParams, clause: 'I.2.23' },
  CtrlVideo: { kind: 'event', from: 'platform', params: CtrlVideoParams, clause: 'I.2.24' },
  QueryVideoStatus: { kind: 'rpc', from: 'platform', params: QueryVideoStatusParams, resp: QueryVideoStatusResp, clause: 'I.2.25' },
  KeepAwaken: { kind: 'rpc', from: 'platform', params: KeepAwakenParams, resp: KeepAwakenResp, clause: 'I.2.26' },
  BatteryChange: { kind: 'event', from: 'pu', params: BatteryChangeParams, clause: 'I.2.27' },
  GetCap: { kind: 'rpc', from: 'platform', params: GetCapParams, resp: GetCapResp, clause: 'I.2.28' },
  LogUploadAsync: { kind: 'rpc', from: 'platform', params: LogUploadAsyncParams, resp: LogUploadAsyncResp, clause: 'I.2.29' },
  LogDone: { kind: 'event', from: 'pu', params: LogDoneParams, clause: 'I.2.30' },
  GetDiskInfo: { kind: 'rpc', from: 'platform', params: GetDiskInfoParams, resp: GetDiskInfoResp, clause: 'I.2.31' },
  FormatDisk: { kind: 'rpc', from: 'platform', params: FormatDiskParams, resp: FormatDiskResp, clause: 'I.2.32' },
} as const satisfies Record<VdName, VdEntry>;

/** The catalog's type. */
type Catalog = typeof vd;
/** Names of the RPC messages. */
export type VdRpcName = { [N in VdName]: Catalog[N] extends { kind: 'rpc' } ? N : never }[VdName];
/** Names of the event messages. */
export type VdEventName = Exclude<VdName, VdRpcName>;
/** Validated (normalised) params of message `N`. */
export type VdParams<N extends VdName> = z.output<Catalog[N]['params']>;
/** Params of message `N` as they may be written (before normalisation). */
export type VdParamsInput<N extends VdName> = z.input<Catalog[N]['params']>;
/** Validated (normalised) answer of RPC `N`. */
export type VdResp<N extends VdRpcName> = z.output<Catalog[N]['resp']>;
/** Answer of RPC `N` as it may be written. */
export type VdRespInput<N extends VdRpcName> = z.input<Catalog[N]['resp']>;

/** Result of validating a Vd payload: the normalised value, an unknown name (answer err 101), or invalid. */
export type VdValidation<T> = { ok: true; value: T } | { ok: false; kind: 'unknown-name' | 'invalid'; error: string };

/** True when `name` is one of the 32 Vd message names. */
export function isVdName(name: string): name is VdName {
  return Object.hasOwn(vd, name);
}

/**
 * True when `name` is a message of `kind` that `from` sends; anything else received as that kind
 * deserves err 101 (unsupported RPC method).
 * @example acceptsVd(frame.req, 'pu', 'rpc') // true for 'Keepalive', false for 'PushLive'
 */
export function acceptsVd(name: string, from: VdSide, kind: VdEntry['kind']): name is VdName {
  return isVdName(name) && vd[name].from === from && vd[name].kind === kind;
}

/**
 * Validate the params of message `name`; the error names the field (`params.channels[0].state: …`).
 * @example validateVdParams('Keepalive', frame.params)
 */
export function validateVdParams<N extends VdName>(name: N, params: unknown): VdValidation<VdParams<N>>;
/** Validate the params of a message named on the wire; an unknown name is its own result. */
export function validateVdParams(name: string, params: unknown): VdValidation<unknown>;
export function validateVdParams(name: string, params: unknown): VdValidation<unknown> {
  if (!isVdName(name)) return unknownName(name);
  return validate(vd[name].params, params, 'params');
}

/**
 * Validate the answer to RPC `name` (the caller knows the name from the request's `seq`).
 * @example validateVdResp('GetPTZPresetList', frame.resp)
 */
export function validateVdResp<N extends VdRpcName>(name: N, resp: unknown): VdValidation<VdResp<N>>;
/** Validate the answer to an RPC named on the wire; an unknown name is its own result. */
export function validateVdResp(name: string, resp: unknown): VdValidation<unknown>;
export function validateVdResp(name: string, resp: unknown): VdValidation<unknown> {
  if (!isVdName(name)) return unknownName(name);
  const entry: VdEntry = vd[name];
  if (entry.kind === 'event') return { ok: false, kind: 'invalid', error: `${name} is an event: it has no response` };
  return validate(entry.resp, resp, 'resp');
}

function validate(schema: z.ZodType, input: unknown, root: string): VdValidation<unknown> {
  const parsed = parseWith(schema, input, root);
  return parsed.ok ? parsed : { ok: false, kind: 'invalid', error: parsed.error };
}

function unknownName(name: string): VdValidation<never> {
  return { ok: false, kind: 'unknown-name', error: `unknown message ${JSON.stringify(name)}` };
}
