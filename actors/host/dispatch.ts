/**
 * Dispatch: advance a resident actor by one event with XState's pure `transition`. A logged change
 * appends an event row (group-committed) and queues its effects behind it; a change of volatile
 * values alone (a last-seen time) stays beside the snapshot and is written later, unlogged.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { HostCore } from './core.ts';
import { changesOnly, diffContext } from './diff.ts';
import { queueEffects, safeCall, takeActions } from './effects.ts';
import { ActorEventError } from './errors.ts';
import type { PendingWrite } from './pending-write.ts';
import { touch } from './resident.ts';
import { stateKeyOf } from './state-key.ts';
import type { EventRowWrite } from './store.ts';
import { stamped } from './timers.ts';
import { pureTransition, type ReturnedAction } from './transition.ts';
import type { ActorEvent, DispatchResult, Resident } from './types.ts';
import { resultOf, transitionOf } from './views.ts';
import { sameButContext, sourcedValues, withVolatile } from './volatile.ts';

/** A full context is stored on every N-th history row, so reading history never folds far. */
export const CHECKPOINT_EVERY = 32;

/** The volatile keys of a machine that declares none. */
const NO_KEYS: readonly string[] = [];
/** What a fire-and-forget send gets back from a quiet event (it reads nothing of it). */
const QUIET_RESULT = Object.freeze({
  accepted: true,
  logged: false,
  seq: 0,
  value: null,
  stateKey: '',
  status: 'active',
  context: {},
}) as unknown as DispatchResult;

/** What {@link apply} returns: the caller's result, and the write to wait for when the event was logged. */
export interface Applied {
  result: DispatchResult;
  wait?: PendingWrite;
}

/**
 * Advance an actor by one event. `firedTimer`: the id of the timer whose event this is (already
 * removed from the actor's timers); a transition that only re-arms it is still volatile.
 * `wantResult` false (fire-and-forget sends) skips building the caller's view of an unlogged change.
 * `deliveryKey`: the event is a message from another actor (outbox.ts); an accepted one is always
 * logged, its row carrying the key, so that the commit deletes the message and a redelivery is a duplicate.
 */
export function apply(core: HostCore, r: Resident, input: ActorEvent, firedTimer?: string, wantResult = true, deliveryKey?: string): Applied {
  // Every event carries its time; machines read `event.at`, never a clock.
  const event = stamped(input, core.clock.now());
  const base = r.snapshot;
  const quiet = firedTimer === undefined && deliveryKey === undefined ? r.def.quiet?.(base, event) : null;
  if (quiet) return applyQuiet(core, r, event, quiet, wantResult);
  // Newer values a service holds (volatile.ts: a sleeping camera's last heartbeat) join the resident's own.
  const sourced = core.sources.length > 0 ? sourcedValues(core.sources, r.id) : null;
  const overlay = sourced ? { ...r.volatile, ...sourced } : r.volatile;
  // The machine sees the volatile values too (the heartbeat check reads the last-seen time).
  const prev = overlay ? withVolatile(base, overlay) : base;
  let next: AnyMachineSnapshot;
  let actions: ReturnedAction[];
  try {
    [next, actions] = pureTransition(r.def.machine, prev, event);
  } catch (err) {
    core.log.error({ actor: r.id, event: event.type, err: String(err) }, 'machine failed on event');
    throw new ActorEventError(r.id, event.type, err);
  }
  // XState hands back the same snapshot both for an event no transition takes and for a
  // transition that only has actions (a timer re-armed, an effect): only the first is ignored.
  if (next === prev && actions.length === 0) return { result: resultOf(r, false, false, prev) };
  if (next.status === 'error') {
    core.log.error({ actor: r.id, event: event.type, err: String(next.error) }, 'machine failed on event');
    throw new ActorEventError(r.id, event.type, next.error);
  }
  const now = core.clock.now();
  const timersTouched = actions.some((a) => a.type === 'xstate.raise' || a.type === 'xstate.cancel');
  const idsBefore = timersTouched ? [...r.timers.keys()] : [];
  if (timersTouched && firedTimer !== undefined) idsBefore.push(firedTimer);
  const timerIdsBefore = idsBefore.sort().join('\n');
  const prevKey = r.stateKey;
  r.snapshot = next;
  r.volatile = null;
  r.stateKey = stateKeyOf(next.value);
  r.updatedAt = now;
  const effects = takeActions(core, r, actions, now);
  // Volatile: same state, no effect, the same timers (re-armed at most), only volatile keys changed.
  let isVolatile =
    deliveryKey === undefined &&
    effects.length === 0 &&
    next.status === prev.status &&
    r.stateKey === prevKey &&
    (!timersTouched || timerIdsBefore === [...r.timers.keys()].sort().join('\n'));
  if (isVolatile) isVolatile = changesOnly(prev.context, next.context, r.def.volatile ?? NO_KEYS);
  if (isVolatile) {
    if (sameButContext(base, next)) {
      // Keep the old snapshot; the new volatile values go beside it (see Resident.volatile).
      const vol = overlay ?? {};
      for (const k of r.def.volatile ?? NO_KEYS) vol[k] = next.context[k];
      r.snapshot = base;
      r.volatile = vol;
    }
    touch(core, r);
    if (core.unloggedListeners.size > 0) {
      const t = transitionOf(r, event, false, now, diffContext(prev.context, next.context), next);
      for (const l of core.unloggedListeners) safeCall(l, t, core.log);
    }
    return { result: resultOf(r, true, false, next) };
  }
  r.seq += 1;
  const checkpoint = r.seq % CHECKPOINT_EVERY === 0;
  // The diff from the last logged context (volatile values changed since then included).
  const changes = diffContext(r.loggedContext, next.context);
  r.loggedContext = next.context;
  const row: EventRowWrite = {
    actor_id: r.id,
    seq: r.seq,
    at: now,
    machine_version: r.def.version,
    event,
    value: next.value,
    changes,
    context: checkpoint ? next.context : null,
  };
  if (deliveryKey !== undefined) row.delivery_key = deliveryKey;
  const w = core.committer.append(r, row);
  if (deliveryKey !== undefined) w.deliveryKey = deliveryKey;
  queueEffects(core, w, r, effects, r.seq);
  if (core.listeners.size > 0) w.transitions.push(transitionOf(r, event, true, now, changes));
  return { result: resultOf(r, true, true), wait: w };
}

/**
 * An event the machine's `quiet` shortcut answered: only volatile values change, as the volatile
 * branch of {@link apply} would have recorded them, without running XState.
 */
function applyQuiet(core: HostCore, r: Resident, event: ActorEvent, values: Record<string, unknown>, wantResult: boolean): Applied {
  const now = core.clock.now();
  const vol = r.volatile ?? {};
  const set: Record<string, unknown> = {};
  for (const k of r.def.volatile ?? NO_KEYS) {
    if (!(k in values)) continue;
    vol[k] = values[k];
    set[k] = values[k];
  }
  r.volatile = vol;
  r.updatedAt = now;
  touch(core, r);
  if (!wantResult && core.unloggedListeners.size === 0) return { result: QUIET_RESULT };
  const s = withVolatile(r.snapshot, vol);
  if (core.unloggedListeners.size > 0) {
    const t = transitionOf(r, event, false, now, { set, unset: [] }, s);
    for (const l of core.unloggedListeners) safeCall(l, t, core.log);
  }
  return { result: resultOf(r, true, false, s) };
}
