/**
 * Text the platform can store. PostgreSQL refuses U+0000 in `text` and `jsonb`, and a string with
 * an unpaired UTF-16 surrogate has no UTF-8 form at all: either one reaching the database fails
 * the write (a 500, or an actor that can no longer be persisted). So every string of the catalog
 * refuses them, twice over:
 *
 * - `findUnstorable` walks any untrusted input once, before its schema runs: every string value,
 *   every object key, at any depth, including the open parts of a message (`z.looseObject`,
 *   `z.record(…, z.unknown())`) that no schema looks inside. `parseWith` (protocol/errors.ts) and
 *   the API's `validate` (routes/validate.ts) call it, so a schema added later cannot forget it.
 * - `text(max)` is the one string schema of the catalog: bounded, and refusing the same
 *   characters itself, so a schema parsed directly (`Schema.safeParse`) is safe as well.
 *   tests/protocol/catalog-bounds.test.ts fails when a catalog string is built without it.
 * @module
 */
import { z } from 'zod';
import { JSON_DEPTH_MAX, KEY_MAX_CHARS } from './constants.ts';

/** What the error says about a string PostgreSQL cannot store. */
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL or unpaired UTF-16 surrogates';
/** What the error says about a key longer than KEY_MAX_CHARS. */
export const KEY_TOO_LONG_MESSAGE = `field names must be <= ${KEY_MAX_CHARS} characters long`;
/** What the error says about objects and arrays nested deeper than JSON_DEPTH_MAX. */
export const TOO_DEEP_MESSAGE = `must not nest objects or arrays deeper than ${JSON_DEPTH_MAX} levels`;

/** First UTF-16 surrogate code unit (a high half). */
const SURROGATE_MIN = 0xd800;
/** Last UTF-16 surrogate code unit (a low half). */
const SURROGATE_MAX = 0xdfff;

/**
 * True when PostgreSQL can store `text`: no U+0000 and no unpaired UTF-16 surrogate (a paired one,
 * e.g. an emoji, is fine).
 * @example isStorableText('caf\u00e9 \u{1F4F7}') // true
 */
export function isStorableText(text: string): boolean {
  // Most strings hold neither NUL nor a surrogate: one scan, no allocation (faster than a regex on
  // the short strings messages are made of); only a string with a surrogate needs a second look.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return false;
    if (unit >= SURROGATE_MIN && unit <= SURROGATE_MAX) return !text.includes('\0') && text.isWellFormed();
  }
  return true;
}

/**
 * Where an input is unstorable, and why: a zod-style issue, so errors render it like any other,
 * its message alone (`params` marks it verbatim: the offending text is never echoed).
 */
export type UnstorableIssue = { code: 'custom'; path: PropertyKey[]; message: string; params: { verbatim: true }; input?: undefined };

/**
 * The first string, key or nesting in `value` that the platform refuses, as an issue naming its
 * path; undefined when there is none. Walks plain JSON-like data (objects, arrays, primitives).
 * @example findUnstorable({ desc: '\u0000' }) // { code: 'custom', path: ['desc'], message: UNSTORABLE_TEXT_MESSAGE, … }
 */
export function findUnstorable(value: unknown): UnstorableIssue | undefined {
  // The common case, a clean input, costs one pass that allocates nothing; only a refused input
  // is walked again to name the path.
  if (isClean(value, 0)) return undefined;
  const path: PropertyKey[] = [];
  const message = locate(value, path, 0) ?? UNSTORABLE_TEXT_MESSAGE;
  return { code: 'custom', path, message, params: { verbatim: true } };
}

/** True when nothing in `value` is refused (see findUnstorable). */
function isClean(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= JSON_DEPTH_MAX) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isClean(value[i], depth + 1)) return false;
    return true;
  }
  // for…in: JSON objects have no inherited enumerable keys, and walking one more is harmless.
  for (const key in value) {
    if (key.length > KEY_MAX_CHARS || !isStorableText(key) || !isClean((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/** The reason `value` is refused, with `path` left pointing at it; undefined when all is well. */
function locate(value: unknown, path: PropertyKey[], depth: number): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : UNSTORABLE_TEXT_MESSAGE;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= JSON_DEPTH_MAX) return TOO_DEEP_MESSAGE;
  const keys: PropertyKey[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const key of keys) {
    path.push(key);
    if (typeof key === 'string' && key.length > KEY_MAX_CHARS) return KEY_TOO_LONG_MESSAGE;
    if (typeof key === 'string' && !isStorableText(key)) return UNSTORABLE_TEXT_MESSAGE;
    const why = locate((value as Record<PropertyKey, unknown>)[key], path, depth + 1);
    if (why !== undefined) return why;
    path.pop();
  }
  return undefined;
}

/**
 * The catalog's string: at most `max` characters (UTF-16 code units), at least `min`, and storable.
 * Add `.regex()` or `.refine()` for a format.
 * @example text(NAME_MAX_CHARS, 1) // a required, bounded name
 */
export function text(max: number, min = 0) {
  // Storability first, and fatal: a NUL byte is reported as such, not as a format mismatch.
  // `verbatim` (protocol/errors.ts VERBATIM): the message says it all, the text is not echoed.
  const storable = z
    .string()
    .refine(isStorableText, { message: UNSTORABLE_TEXT_MESSAGE, abort: true, params: { verbatim: true } })
    .max(max);
  return min > 0 ? storable.min(min) : storable;
}
