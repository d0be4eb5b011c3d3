/**
 * Volatile context values (a last-seen time) kept beside an actor's snapshot instead of in a new
 * one: see `Resident.volatile` in host.ts.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { jsonEqual } from './diff.ts';
import { withContext } from './transition.ts';
import type { Resident } from './types.ts';

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
