/**
 * What the PU does with each platform → PU message of H.627.2 Table 9-4: two tables keyed by
 * message name (RPCs answer, events act), checked complete by the compiler, and the dispatch that
 * validates params with the catalog first (bad params: err 400 naming the field; a name the PU
 * does not serve: err 101).
 * @module
 */
import { acceptsVd, validateVdParams, VD_ERR, type VdParams, type VdRespInput } from '../protocol/index.ts';
import type { SimulatedCamera } from './camera.ts';
import { errorText } from './http.ts';
import { VdFault } from './vd-fault.ts';
import type { PlatformEventName, PlatformRpcName, VdAnswer } from './vd-session.ts';

/** Events a handler may hand to the client machine. */
export type MachineSignal = { type: 'device.reboot'; reason: string } | { type: 'vd.reschedule' };

/** What a handler works with. */
export interface HandlerContext {
  camera: SimulatedCamera;
  /** Tell the client machine (reboot, reschedule). */
  signal(event: MachineSignal): void;
}

/** Answers one platform RPC; throws VdFault for an `err` answer. */
type RpcHandler<N extends PlatformRpcName> = (params: VdParams<N>, ctx: HandlerContext) => VdRespInput<N> | Promise<VdRespInput<N>>;
/** Acts on one platform event. */
type EventHandler<N extends PlatformEventName> = (params: VdParams<N>, ctx: HandlerContext) => void;

/** Every platform RPC of Table 9-4 and how the camera answers it. */
export const rpcHandlers = {
  QueryUpgrade: (_, { camera }) => camera.upgrade.query(),
  Settime: (params, { camera }) => {
    camera.time.set(params);
    return {};
  },
  QueryTime: (_, { camera }) => camera.time.query(),
  DevStatus: (_, { camera }) => camera.devStatus(),
  PushLive: (params, { camera }) => camera.media.pushLive(params),
  StopLive: (params, { camera }) => camera.media.stopLive(params),
  StartRecord: (params, { camera }) => camera.media.startRecord(params),
  StopRecord: (params, { camera }) => camera.media.stopRecord(params),
  GetPTZPresetList: (params, { camera }) => camera.ptz(params.channel).presetList(),
  GetConfig: (_, { camera }) => camera.config.get(),
  SetConfig: (params, { camera }) => camera.config.set(params),
  ResetConfig: (_, { camera }) => {
    camera.config.reset();
    return {};
  },
  Snapshot: (params, { camera }) => camera.snapshot(params),
  QueryVideoStatus: (params, { camera }) => camera.media.status(params.channel),
  KeepAwaken: (params, { camera }) => {
    camera.keepAwake(params);
    return {};
  },
  GetCap: (_, { camera }) => camera.capabilities(),
  LogUploadAsync: (params, { camera }) => {
    camera.uploadLog(params);
    return {};
  }, // NOTES 11: answer at once
  GetDiskInfo: (_, { camera }) => camera.disk.info(),
  FormatDisk: (_, { camera }) => {
    camera.disk.format();
    return {};
  }, // NOTES 12: answer at once
} satisfies { [N in PlatformRpcName]: RpcHandler<N> };

/** Every platform event of Table 9-4 and what the camera does. */
export const eventHandlers = {
  RebootChannel: (params, { camera }) => camera.rebootChannel(params.channel),
  RebootDevice: (_, { signal }) => signal({ type: 'device.reboot', reason: 'RebootDevice from the platform' }),
  Reschedule: (_, { signal }) => signal({ type: 'vd.reschedule' }),
  UpgradeFirmware: (params, { camera }) => camera.upgrade.start(params),
  CtrlPTZ: (params, { camera }) => camera.ptz(params.channel).control(params),
  PlayVideo: (params, { camera }) => camera.media.play(params),
  CtrlVideo: (params, { camera }) => camera.media.control(params),
} satisfies { [N in PlatformEventName]: EventHandler<N> };

/**
 * Answer one platform request: err 101 for a name the PU does not serve, err 400 naming the field
 * for bad params, the handler's answer, its VdFault as `err`, or err 500 for anything else.
 * @example await answerRequest('QueryTime', undefined, { camera, signal })
 */
export async function answerRequest(name: string, params: unknown, ctx: HandlerContext): Promise<VdAnswer> {
  if (!acceptsVd(name, 'platform', 'rpc')) return { err: { code: VD_ERR.UNSUPPORTED_METHOD, msg: `unsupported RPC method ${JSON.stringify(name)}` } };
  const checked = validateVdParams(name, params);
  if (!checked.ok) return { err: { code: VD_ERR.BAD_INPUT, msg: checked.error } };
  try {
    const handler = rpcHandlers[name as PlatformRpcName] as RpcHandler<PlatformRpcName>;
    return { resp: (await handler(checked.value as VdParams<PlatformRpcName>, ctx)) as object };
  } catch (err) {
    if (err instanceof VdFault) return { err: { code: err.code, msg: err.message } };
    return { err: { code: VD_ERR.SERVER_ERROR, msg: errorText(err) } };
  }
}

/** Act on one platform event; returns what went wrong (an unknown name, bad params, a handler error), if anything. */
export function handleEvent(name: string, params: unknown, ctx: HandlerContext): string | undefined {
  if (!acceptsVd(name, 'platform', 'event')) return `unsupported event ${JSON.stringify(name)}`;
  const checked = validateVdParams(name, params);
  if (!checked.ok) return checked.error;
  try {
    const handler = eventHandlers[name as PlatformEventName] as EventHandler<PlatformEventName>;
    handler(checked.value as VdParams<PlatformEventName>, ctx);
    return undefined;
  } catch (err) {
    return errorText(err);
  }
}
