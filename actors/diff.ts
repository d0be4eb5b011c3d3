/**
 * Shallow context diffs: what an event changed, stored beside each history row so that the
 * log stays small while any row's full context can be rebuilt from the last checkpoint.
 */

/** Top-level keys that changed (`set`, with their new values) or disappeared (`unset`). */
export interface ContextChanges {
  set: Record<string, unknown>;
  unset: string[];
}

/** JSON-shaped plain data. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Structural equality of two JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** The shallow diff turning `before` into `after`. */
export function diffContext(before: Record<string, unknown>, after: Record<string, unknown>): ContextChanges {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const k of Object.keys(after)) {
    const v = after[k];
    if (v === undefined) continue;
    if (!(k in before) || before[k] === undefined || !jsonEqual(before[k], v)) set[k] = v;
  }
  for (const k of Object.keys(before)) {
    if (before[k] !== undefined && (!(k in after) || after[k] === undefined)) unset.push(k);
  }
  return { set, unset };
}

/**
 * True when the diff turning `before` into `after` would touch no key outside `keys`: the same
 * answer as `onlyTouches(diffContext(before, after), keys)` without building the diff (the host
 * asks it for every event that keeps the state, and most such events change a logged key).
 */
export function changesOnly(before: Record<string, unknown>, after: Record<string, unknown>, keys: readonly string[]): boolean {
  if (before === after) return true;
  for (const k of Object.keys(after)) {
    const v = after[k];
    const b = before[k];
    if (v === b || keys.includes(k)) continue;
    if (v === undefined || b === undefined || !jsonEqual(b, v)) return false;
  }
  for (const k of Object.keys(before)) {
    if (before[k] !== undefined && !(k in after) && !keys.includes(k)) return false;
  }
  return true;
}

/** True when a diff changes nothing. */
export function isEmptyChange(c: ContextChanges): boolean {
  return c.unset.length === 0 && Object.keys(c.set).length === 0;
}

/** True when a diff touches no key outside `keys` (the host asks {@link changesOnly}, which answers the same without a diff). */
export function onlyTouches(c: ContextChanges, keys: readonly string[]): boolean {
  for (const k in c.set) if (!keys.includes(k)) return false;
  for (const k of c.unset) if (!keys.includes(k)) return false;
  return true;
}

/** Apply a diff to a context, returning a new object. */
export function applyChanges(ctx: Record<string, unknown>, c: ContextChanges): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ctx };
  for (const [k, v] of Object.entries(c.set)) out[k] = v;
  for (const k of c.unset) delete out[k];
  return out;
}

/** A copy of `ctx` without the given keys (used to compare contexts ignoring volatile fields). */
export function omitKeys(ctx: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  if (keys.length === 0) return ctx;
  const out = { ...ctx };
  for (const k of keys) delete out[k];
  return out;
}

/** A JSON round trip: what the database will give back for a value. */
export function toJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
