/** A record session's last error in words, for the recordings panel (camera/recordings.ts). */
import type { SessionView } from '../../../services/recording/recording.ts';
import { ApiError, explain } from '../api.ts';
import { fmtTime } from '../dom.ts';

/** A recording error in words. */
export function errorText(e: NonNullable<SessionView['last_error']>): string {
  const what = e.op === 'start' ? 'StartRecord' : 'StopRecord';
  const why =
    e.kind === 'err'
      ? explain(new ApiError(502, e.msg, undefined, { code: e.code ?? 0, msg: e.msg }))
      : e.kind === 'timeout'
        ? 'The camera did not answer in time.'
        : e.kind === 'offline'
          ? `The camera is offline (${e.msg}).`
          : `The camera disconnected (${e.msg}).`;
  return `${what}, ${fmtTime(e.at)}: ${why}`;
}
