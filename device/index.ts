/**
 * The PU (camera) SDK and simulator: the client machine (Vs, Vd, heartbeat, backoff, reschedule,
 * reboot), a simulated camera that answers every platform message of H.627.2 Table 9-4, and the
 * `SimulatedDevice` that ties them to real sockets. CLI: `bun run device --help`.
 * @module
 */
export * from './backoff.ts';
export * from './camera.ts';
export * from './camera-options.ts';
export type { AlarmOutcome, AlarmState } from './camera-alarms.ts';
export type { BatteryOptions } from './camera-battery.ts';
export type { DiskOptions } from './camera-disk.ts';
export type { MediaContext, MediaHooks, MediaResult } from './camera-media.ts';
export type { PtzPosition } from './camera-ptz.ts';
export { realClock, type DeviceClock } from './clock.ts';
export { answerRequest, eventHandlers, handleEvent, rpcHandlers, type HandlerContext } from './handlers.ts';
export type { DeviceTls, FetchLike } from './http.ts';
export { ffmpegJpeg, isJpeg, type JpegSource } from './jpeg.ts';
export { ffmpegLive, isSrtPushUrl, type LiveOptions } from './live.ts';
export { jsonLineLogger, type DeviceLogger, type DeviceLogLine } from './logger.ts';
export { loginSignature, vdLoginUrl } from './login-url.ts';
export * from './pu-client.machine.ts';
export * from './pu-client.rules.ts';
export * from './recorder.ts';
export * from './simulated-device.ts';
export { VdFault } from './vd-fault.ts';
export { VdInvalidAnswerError, VdRemoteError, VdSession, type Uplink, type VdAnswer, type VdTraffic } from './vd-session.ts';
export { getServerAddr, VsError } from './vs-client.ts';
