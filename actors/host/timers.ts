/**
 * Timers: the host owns time (XState neither persists nor re-arms delayed events, xstate #5331,
 * #4860). A delayed `raise` becomes a persisted timer with a generation, a `cancel` deletes it, and
 * a due timer is delivered only while its generation still matches; the timer queue holds every
 * resident actor's timers and, after a start, one entry per stored actor that has any.
 */
import { isDatabaseUnavailable } from '../../db/errors.ts';
import { ActorElsewhereError } from './errors.ts';
import type { HostCore } from './core.ts';
import { touch } from './resident.ts';
import type { PersistedTimer } from './store.ts';
import type { QueueEntry } from './timer-queue.ts';
import type { ActorEvent, DispatchResult, Resident } from './types.ts';

/** When a due timer's actor cannot be loaded because the database is unavailable, it is tried again after this (platform's choice). */
export const TIMER_LOAD_RETRY_MS = 1000;

/** Every event carries when it happened: `at`, unless it already says. */
export function stamped(event: ActorEvent, at: number): ActorEvent {
  return event.at === undefined ? { ...event, at } : event;
}

/** Arm a delayed event the machine raised: it replaces a timer of the same id. */
export function armTimer(core: HostCore, r: Resident, id: string, event: ActorEvent, due: number): void {
  const t: PersistedTimer = { id, due, gen: ++r.gen, event };
  r.timers.set(id, t);
  r.timersGen++;
  core.queue.push({ due: t.due, actorId: r.id, timerId: id, gen: t.gen });
}

/** Cancel a pending timer (a stale queue entry is skipped when it falls due). */
export function cancelTimer(r: Resident, id: string): void {
  if (r.timers.delete(id)) r.timersGen++;
}

/** Queue the timers of an actor just rehydrated. */
export function armLoadedTimers(core: HostCore, r: Resident): void {
  for (const t of r.timers.values()) core.queue.push({ due: t.due, actorId: r.id, timerId: t.id, gen: t.gen });
}

/** Advances an actor by a timer's event (the dispatcher's `apply`, given the fired timer's id). */
export type ApplyTimerEvent = (r: Resident, event: ActorEvent, firedTimer: string) => { result: DispatchResult };

/**
 * A queue entry fell due: load its actor (an entry without a timer id only does that: loading arms
 * the actor's own timers) and deliver the timer's event if it is still the armed generation.
 */
export function onTimerDue(core: HostCore, e: QueueEntry, apply: ApplyTimerEvent): void {
  core.withResident(e.actorId, (r) => {
    if (r instanceof Error) {
      // The actor could not be loaded because the database is away: try again, not never.
      if (isDatabaseUnavailable(r)) return core.queue.push({ ...e, due: core.clock.now() + TIMER_LOAD_RETRY_MS });
      // Another live node owns it now (the device moved): its timers fire there.
      if (r instanceof ActorElsewhereError) return;
      core.log.error({ actor: e.actorId, err: r.message }, 'timer could not be delivered');
      return;
    }
    if (e.timerId === null) return; // arming on load already scheduled the actor's own timers
    const t = r.timers.get(e.timerId);
    if (!t || t.gen !== e.gen) return; // cancelled or re-armed since
    r.timers.delete(e.timerId);
    r.timersGen++;
    try {
      // A timer's event happens at its due time, whenever the process gets to it.
      const res = apply(r, stamped(t.event, t.due), e.timerId);
      if (!res.result.accepted) touch(core, r); // persist the timer's removal
    } catch {
      touch(core, r);
    }
  });
}
