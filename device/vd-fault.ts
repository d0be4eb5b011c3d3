/**
 * The one Vd error shape on the device side: a handler throws `VdFault(code, msg)` and the
 * dispatcher answers `{"seq", "err": {code, msg}}` (H.627.2 Table 9-1, 9.3.2.1).
 * @module
 */
import { VD_ERR } from '../protocol/index.ts';

/** A Vd RPC failure the device answers with `err`. */
export class VdFault extends Error {
  constructor(
    readonly code: number,
    msg: string,
  ) {
    super(msg);
    this.name = 'VdFault';
  }
}

/** err 102: the channel does not exist (I.2.20). */
export function channelNotFound(channel: number): VdFault {
  return new VdFault(VD_ERR.CHANNEL_NOT_FOUND, `channel ${channel} does not exist`);
}

/** err 103: the channel exists but is offline or disabled (OVC dap.md 4.3). */
export function channelOffline(channel: number, why: string): VdFault {
  return new VdFault(VD_ERR.CHANNEL_OFFLINE, `channel ${channel} is ${why}`);
}

/** err 101: this device does not support the method (I.2.12). */
export function unsupported(what: string): VdFault {
  return new VdFault(VD_ERR.UNSUPPORTED_METHOD, `unsupported: ${what}`);
}
