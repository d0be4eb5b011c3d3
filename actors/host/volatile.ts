/**
 * Volatile context values (a last-seen time) kept beside an actor's snapshot instead of in a new
 * one: see `Resident.volatile` in host.ts.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { jsonEqual } from './diff.ts';
import { withContext } from './transition.ts';
import type { ActorView, Resident } from './types.ts';

/**
 * Newer volatile values of some actors kept outside the host, in a service's compact state: a sleeping camera's last
 * hibernation heartbeat lives in the hibernation server's map, not in a resident pu actor (10,000 of them would cost
 * 20 KiB each). The host folds them in wherever it would fold the actor's own volatile values: before a transition
 * (so a guard sees them), and in the views it hands out. A source answers only for volatile keys
 * (MachineDef.volatile), with values at least as new as any the actor was told (MachineDef.volatile's rule for guards
 * holds for them as for the resident's own).
 */
export interface VolatileSource {
  /** The actor's newer volatile values, or null (the common case: a source knows a few actor types). */
  values(actorId: string): Record<string, unknown> | null;
  /**
   * A queued timer of the actor fell due: a later time to look again, when the source knows the timer's event would
   * only re-arm it (a heartbeat came since), or null to deliver it. The persisted timer keeps its due time: it is
   * the backstop when the source is gone (a restart).
   */
  postpone?(actorId: string, timerId: string, due: number): number | null;
}

/** The values the sources hold for an actor (null: none). */
export function sourcedValues(sources: readonly VolatileSource[], actorId: string): Record<string, unknown> | null {
  let out: Record<string, unknown> | null = null;
  for (const s of sources) {
    const v = s.values(actorId);
    if (v) out = out ? Object.assign({}, out, v) : v;
  }
  return out;
}

/** A view with the newer volatile values the sources hold. */
export function sourcedView(sources: readonly VolatileSource[], v: ActorView): ActorView {
  const values = sources.length > 0 ? sourcedValues(sources, v.id) : null;
  return values ? { ...v, context: { ...v.context, ...values } } : v;
}

/** A later due time for a timer from the sources, or null. */
export function postponedBy(sources: readonly VolatileSource[], actorId: string, timerId: string, due: number): number | null {
  for (const s of sources) {
    const later = s.postpone?.(actorId, timerId, due) ?? null;
    if (later !== null && later > due) return later;
  }
  return null;
}

/**
 * The actor's snapshot with its volatile values folded in (and kept so: folding is for readers
 * that are rare, an API view or a row write; the per-event path folds without keeping).
 */
export function settled(r: Resident): AnyMachineSnapshot {
  if (r.volatile) {
    r.snapshot = withVolatile(r.snapshot, r.volatile);
    r.volatile = null;
  }
  return r.snapshot;
}

/** A copy of a snapshot whose context has the given values (how, is XState's business: transition.ts). */
export function withVolatile(s: AnyMachineSnapshot, values: Record<string, unknown>): AnyMachineSnapshot {
  return withContext(s, values);
}

/** Whether two snapshots differ at most in their context (same state, status, history and children). */
export function sameButContext(a: AnyMachineSnapshot, b: AnyMachineSnapshot): boolean {
  return (
    a.status === b.status &&
    a.children === b.children &&
    (a.historyValue === b.historyValue || jsonEqual(a.historyValue, b.historyValue)) &&
    (a.value === b.value || jsonEqual(a.value, b.value))
  );
}
