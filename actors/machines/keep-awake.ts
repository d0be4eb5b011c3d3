/**
 * KeepAwaken (Table 9-4, I.2.26) as the stream and recording machines send it for a camera that may sleep (issue #22
 * point 3): at once when the stream goes live or the recording starts, then every `expired / KEEP_AWAKE_AHEAD`, and no
 * more once it ends, so the camera sleeps within `expired` of the end.
 */

/** KeepAwaken goes out every this fraction of its `expired`, well ahead of the camera's deadline (platform's choice). */
export const KEEP_AWAKE_AHEAD = 2;
/** The KeepAwaken timer's id (in the stream and the recording machines). */
export const KEEP_AWAKE_TIMER = 'keepAwake';

/** Time from one KeepAwaken to the next, ms, for an `expired` of `keepAwakeS` seconds. */
export function keepAwakeEveryMs(keepAwakeS: number): number {
  return (keepAwakeS * 1000) / KEEP_AWAKE_AHEAD;
}
