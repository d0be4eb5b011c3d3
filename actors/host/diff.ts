/**
 * Context diffs: what an event changed, stored beside each history row so that the log stays small while any row's
 * full context can be rebuilt from the last checkpoint. Top-level keys are set or unset whole, except a key holding
 * an object (a record such as a stream's viewers) of which only some entries changed: those entries go in `patch`,
 * so a row's size follows what the event changed, not how large the record has grown (issue #19: a join once
 * re-stored every viewer).
 */

/** The entries of one object-valued key that changed (`set`) or disappeared (`unset`). */
export interface EntryChanges {
  set: Record<string, unknown>;
  unset: string[];
}

/** Top-level keys that changed (`set`, with their new values) or disappeared (`unset`), and entries of records (`patch`). */
export interface ContextChanges {
  set: Record<string, unknown>;
  unset: string[];
  /** Keys whose object value kept some entries: only the entries that changed or went. Absent when none. */
  patch?: Record<string, EntryChanges>;
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
    if (!Object.hasOwn(b, k)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** The diff turning `before` into `after`. */
export function diffContext(before: Record<string, unknown>, after: Record<string, unknown>): ContextChanges {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  let patch: Record<string, EntryChanges> | undefined;
  for (const k of Object.keys(after)) {
    const v = after[k];
    if (v === undefined) continue;
    const b = before[k];
    if (!(k in before) || b === undefined || jsonEqual(b, v)) {
      if (!(k in before) || b === undefined) set[k] = v;
      continue;
    }
    const entries = isRecord(b) && isRecord(v) ? entryChanges(b, v) : undefined;
    if (entries) (patch ??= {})[k] = entries;
    else set[k] = v;
  }
  for (const k of Object.keys(before)) {
    if (before[k] !== undefined && (!(k in after) || after[k] === undefined)) unset.push(k);
  }
  return patch ? { set, unset, patch } : { set, unset };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entries of `before` → `after` that changed, when some entries stayed as they were (else undefined: set it whole). */
function entryChanges(before: Record<string, unknown>, after: Record<string, unknown>): EntryChanges | undefined {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  let kept = 0;
  for (const e of Object.keys(after)) {
    const v = after[e];
    if (v === undefined) continue;
    if (e in before && before[e] !== undefined && jsonEqual(before[e], v)) kept++;
    else set[e] = v;
  }
  for (const e of Object.keys(before)) if (before[e] !== undefined && (!(e in after) || after[e] === undefined)) unset.push(e);
  return kept > 0 ? { set, unset } : undefined;
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
  return c.unset.length === 0 && Object.keys(c.set).length === 0 && Object.keys(c.patch ?? {}).length === 0;
}

/** The top-level keys a diff touches (set, unset or patched). */
export function touchedKeys(c: ContextChanges): string[] {
  return [...Object.keys(c.set), ...c.unset, ...Object.keys(c.patch ?? {})];
}

/** True when a diff touches no key outside `keys` (the host asks {@link changesOnly}, which answers the same without a diff). */
export function onlyTouches(c: ContextChanges, keys: readonly string[]): boolean {
  return touchedKeys(c).every((k) => keys.includes(k));
}

/** Apply a diff to a context, returning a new object. */
export function applyChanges(ctx: Record<string, unknown>, c: ContextChanges): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ctx };
  for (const [k, v] of Object.entries(c.set)) out[k] = v;
  for (const k of c.unset) delete out[k];
  for (const [k, p] of Object.entries(c.patch ?? {})) {
    const entries: Record<string, unknown> = { ...(out[k] as Record<string, unknown> | undefined) };
    for (const [e, v] of Object.entries(p.set)) entries[e] = v;
    for (const e of p.unset) delete entries[e];
    out[k] = entries;
  }
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
