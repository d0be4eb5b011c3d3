/**
 * Reconnection backoff (H.627.2 9.3.1.3) and re-scheduling (9.3.1.2), as pure functions of the
 * failure count and a uniform draw, so the machine stays deterministic under an injected random.
 * @module
 */
import { BACKOFF_FLAT_S, BACKOFF_LINEAR_MAX_TRIES, BACKOFF_STEP_S, RESCHEDULE_AFTER_FAILED_TRIES } from '../protocol/index.ts';

const MS_PER_S = 1_000;

/** Longest sleep after the N-th failed try, ms: 5·N s for N ≤ 12, 60 s beyond (9.3.1.3). */
export function backoffCeilingMs(failures: number): number {
  if (failures <= 0) return 0;
  if (failures > BACKOFF_LINEAR_MAX_TRIES) return BACKOFF_FLAT_S * MS_PER_S; // 9.3.1.3 rule 2
  return BACKOFF_STEP_S * failures * MS_PER_S; // 9.3.1.3 rule 1
}

/**
 * Sleep after the N-th consecutive failed try, ms: uniform in [0, 5·N] s for N ≤ 12 (`draw` in
 * [0, 1) picks the point), exactly 60 s for N > 12 (9.3.1.3), and never less than a server's
 * `Retry-After`.
 * @example backoffDelayMs(3, 0.5) // 7500
 */
export function backoffDelayMs(failures: number, draw: number, retryAfterS = 0): number {
  const linear = failures <= BACKOFF_LINEAR_MAX_TRIES;
  const sleep = linear ? Math.floor(clamp01(draw) * backoffCeilingMs(failures)) : backoffCeilingMs(failures);
  return Math.max(sleep, Math.max(0, retryAfterS) * MS_PER_S);
}

/** True when consecutive failures since the last Vs answer call for a new schedule ("more than 15", 9.3.1.2). */
export function needsReschedule(failuresSinceSchedule: number): boolean {
  return failuresSinceSchedule > RESCHEDULE_AFTER_FAILED_TRIES;
}

/** A draw clamped into [0, 1): an injected random that returns 1 must not exceed the ceiling. */
function clamp01(draw: number): number {
  if (!(draw > 0)) return 0;
  return draw >= 1 ? 1 - Number.EPSILON : draw;
}
