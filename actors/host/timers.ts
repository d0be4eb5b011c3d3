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
import { postponedBy } from './volatile.ts';

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
  // A source of newer volatile values may know the event would only re-arm the timer (a sleeping camera's heartbeat
  // came since): looked at again later, in memory, without loading the actor (volatile.ts).
  const later = e.timerId !== null && core.sources.length > 0 ? postponedBy(core.sources, e.actorId, e.timerId, e.due) : null;
  if (later !== null) {
    const r = core.residents.get(e.actorId);
    const t = r?.timers.get(e.timerId!);
    if (!r || (t && t.gen === e.gen)) core.queue.push({ ...e, due: later });
    return;
  }
  const loaded = !core.residents.has(e.actorId);
  core.withResident(e.actorId, (r) => {
    if (r instanceof Error) {
      // The actor could not be loaded because the database is away: try again, not never.
      if (isDatabaseUnavailable(r)) return core.queue.push({ ...e, due: core.clock.now() + TIMER_LOAD_RETRY_MS });
      // Another live node owns it now (the device moved): its timers fire there.
      if (r instanceof ActorElsewhereError) return;
      core.log.error({ actor: e.actorId, err: r.message }, 'timer could not be delivered');
      return;
    }
    // Arming on load already scheduled the actor's own timers; a dormant actor loaded for nothing leaves again.
    if (e.timerId === null) return leaveIfDormant(core, r, loaded);
    const t = r.timers.get(e.timerId);
    if (!t || t.gen !== e.gen) return leaveIfDormant(core, r, loaded); // cancelled or re-armed since
    r.timers.delete(e.timerId);
    r.timersGen++;
    try {
      // A timer's event happens at its due time, whenever the process gets to it; a postponed one, at the time it
      // was postponed to.
      const res = apply(r, e.due > t.due ? { ...t.event, at: e.due } : stamped(t.event, t.due), e.timerId);
      if (!res.result.accepted) touch(core, r); // persist the timer's removal
    } catch {
      touch(core, r);
    }
  });
}

/**
 * An actor loaded only to find its queue entry stale (a timer cancelled before it went dormant: a sleeping camera's
 * heartbeat check from when it was awake) leaves memory again when it is dormant and has nothing to write.
 */
function leaveIfDormant(core: HostCore, r: Resident, loaded: boolean): void {
  if (!loaded || r.volatileDirty || !r.def.dormant?.includes(r.stateKey) || core.committer.isPending(r)) return;
  if (core.residents.get(r.id) === r) core.residents.delete(r.id);
}
