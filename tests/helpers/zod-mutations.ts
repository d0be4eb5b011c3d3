/**
 * Invalid variants of a valid input, read off its zod 4 schema: a wrong type, a number out of
 * range, a string or array too long, a value outside an enum, a NUL or an unpaired surrogate in a
 * string or a key, a key too long, nesting too deep, a missing required field. Each comes with the
 * path the error must name. Together with zod-arbitrary.ts, this lets a property test say "every
 * invalid input is refused with an error naming the field" for any schema of the catalog.
 */
import type { z } from 'zod';
import { JSON_DEPTH_MAX, KEY_MAX_CHARS } from '../../protocol/constants.ts';
import type { Wire } from './zod-arbitrary.ts';
import { coreOf, defOf, isOptionalField, membersOf, numberBounds, numericOutputOf, optionsOf, shapeOf, stringBounds } from './zod-schema.ts';

/** Why a variant must be refused. */
export type Why =
  | 'wrong type'
  | 'out of range'
  | 'not an integer'
  | 'too long'
  | 'too short'
  | 'not a member'
  | 'NUL'
  | 'unpaired surrogate'
  | 'missing'
  | 'NUL in a key'
  | 'key too long'
  | 'too deep'
  | 'bad key';

/** One invalid variant: how to make it from the valid input, and the path the error must name. */
export type Mutation = { why: Why; path: PropertyKey[]; apply: (root: unknown) => unknown };

/** What a wire can carry, and whether unknown keys reach the schema. */
export type MutationOptions = { wire: Wire; keys: boolean };

/** A value no catalog schema takes where it expects text, a number, an object or an array. */
const NOT_TEXT_OR_NUMBER = true;
/** A text no enum of the catalog holds. */
const NOT_A_MEMBER = 'zz-not-a-member';
/** Arrays longer than this are not grown past their maximum (the copy would only cost time). */
const GROWABLE_ARRAY_MAX = 1000;
/** Elements of an array whose variants are listed (the rest are alike). */
const ELEMENTS_VISITED = 2;
/** A string key holding a NUL; a key over KEY_MAX_CHARS. */
const NUL_KEY = 'k\u0000';
const LONG_KEY = 'k'.repeat(KEY_MAX_CHARS + 1);
/** The key under which a too deeply nested value is put. */
export const DEEP_KEY = 'deep';

/** Every invalid variant of `value` (valid for `schema`). */
export function mutationsOf(schema: z.ZodType, value: unknown, options: MutationOptions): Mutation[] {
  const out: Mutation[] = [];
  visit(schema, value, [], options, out);
  return out;
}

/** A copy of `root` with the value at `path` replaced (or removed when `replacement` is `REMOVE`). */
export function setAt(root: unknown, path: readonly PropertyKey[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: unknown = structuredClone(root);
  let node = copy as Record<PropertyKey, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<PropertyKey, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === REMOVE) delete node[last];
  else Object.defineProperty(node, last, { value: replacement, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Marks a removal for {@link setAt}. */
export const REMOVE = Symbol('remove');

function replace(out: Mutation[], why: Why, path: PropertyKey[], replacement: unknown): void {
  out.push({ why, path, apply: (root) => setAt(root, path, replacement) });
}

/** A value nested `levels` deep: `{d: {d: … 1}}`. */
function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { d: v };
  return v;
}

function visit(schema: z.ZodType, value: unknown, path: PropertyKey[], o: MutationOptions, out: Mutation[], typeTried = false): void {
  const { core, preprocessed } = coreOf(schema);
  const type = defOf(core).type;
  if (o.wire === 'json' && !typeTried && type !== 'unknown') replace(out, 'wrong type', path, type === 'boolean' ? 'yes' : NOT_TEXT_OR_NUMBER);
  if (value === undefined || value === null) return;
  const numeric = numericOutputOf(schema);
  if (numeric && typeof value === 'string') return numberAsText(numeric, path, out);
  switch (type) {
    case 'string':
      return text(core, value, path, o, preprocessed, out);
    case 'number':
      return number(core, path, o, out);
    case 'literal':
    case 'enum':
      return member(core, path, o, out);
    case 'object':
      return object(core, value, path, o, out);
    case 'array':
      return array(core, value, path, o, out);
    case 'record':
      return record(core, value, path, o, out);
    case 'union': {
      // The option the value is written for (a discriminated union's branch, an int or a text id).
      const option = optionsOf(core).find((opt) => opt.safeParse(value).success);
      if (option) visit(option, value, path, o, out, true);
      return;
    }
    default:
  }
}

function text(schema: z.ZodType, value: unknown, path: PropertyKey[], o: MutationOptions, preprocessed: boolean, out: Mutation[]): void {
  const { min, max } = stringBounds(schema);
  const given = typeof value === 'string' ? value : '';
  if (Number.isFinite(max)) replace(out, 'too long', path, 'a'.repeat(max + 1));
  // Behind a preprocess `''` may mean "absent"; on a text wire it does everywhere (a form, a query),
  // or matches no route (a path): there, "missing" says it.
  if (min > 0 && !preprocessed && o.wire === 'json') replace(out, 'too short', path, '');
  replace(out, 'NUL', path, `${given}\u0000`);
  if (o.wire === 'json') replace(out, 'unpaired surrogate', path, `${given}\uD800`);
}

function number(schema: z.ZodType, path: PropertyKey[], o: MutationOptions, out: Mutation[]): void {
  const b = numberBounds(schema);
  const write = (n: number) => (o.wire === 'json' ? n : String(n));
  if (b.explicitMax) replace(out, 'out of range', path, write(b.max + 1));
  if (b.explicitMin) replace(out, 'out of range', path, write(b.min - 1));
  if (b.max < 1e300) replace(out, 'out of range', path, write(1e300));
  if (b.int) replace(out, 'not an integer', path, write(Math.min(Math.max(b.min, 0), b.max - 1) + 0.5));
}

/** A number written as text (a Vr form field, a query or path number): out of its range, still text. */
function numberAsText(schema: z.ZodType, path: PropertyKey[], out: Mutation[]): void {
  const b = numberBounds(schema);
  // Past 1e21 String() writes an exponent, which the text's own pattern refuses anyway.
  if (b.explicitMax) replace(out, 'out of range', path, String(b.max + 1));
  if (b.explicitMin && b.min > 0) replace(out, 'out of range', path, String(b.min - 1));
  replace(out, 'NUL', path, '1\u0000');
}

function member(schema: z.ZodType, path: PropertyKey[], o: MutationOptions, out: Mutation[]): void {
  const members = membersOf(schema);
  if (members.every((m) => typeof m === 'number')) {
    replace(out, 'not a member', path, o.wire === 'json' ? Math.max(...(members as number[])) + 1 : NOT_A_MEMBER);
    return;
  }
  replace(out, 'not a member', path, NOT_A_MEMBER);
  replace(out, 'NUL', path, `${String(members[0])}\u0000`);
}

function object(schema: z.ZodType, value: unknown, path: PropertyKey[], o: MutationOptions, out: Mutation[]): void {
  if (typeof value !== 'object' || value === null) return;
  const given = value as Record<string, unknown>;
  for (const [key, field] of Object.entries(shapeOf(schema))) {
    if (!Object.hasOwn(given, key) || given[key] === undefined) continue;
    if (!isOptionalField(field) && o.wire !== 'path') replace(out, 'missing', [...path, key], REMOVE);
    visit(field, given[key], [...path, key], o, out);
  }
  if (!o.keys) return;
  const filler = o.wire === 'json' ? 1 : 'v';
  replace(out, 'NUL in a key', [...path, NUL_KEY], filler);
  replace(out, 'key too long', [...path, LONG_KEY], filler);
  // A NUL inside a field no schema looks at (stripped or kept open): refused all the same.
  replace(out, 'NUL', [...path, 'x_unknown'], 'a\u0000');
  if (o.wire === 'json') replace(out, 'too deep', [...path, DEEP_KEY], nested(JSON_DEPTH_MAX));
}

function array(schema: z.ZodType, value: unknown, path: PropertyKey[], o: MutationOptions, out: Mutation[]): void {
  if (!Array.isArray(value)) return;
  const { max } = stringBounds(schema);
  if (Number.isFinite(max) && max <= GROWABLE_ARRAY_MAX && value.length > 0)
    replace(
      out,
      'too long',
      path,
      Array.from({ length: max + 1 }, () => value[0]),
    );
  const element = defOf(schema).element as z.ZodType;
  for (const [i, item] of value.slice(0, ELEMENTS_VISITED).entries()) visit(element, item, [...path, i], o, out);
}

function record(schema: z.ZodType, value: unknown, path: PropertyKey[], o: MutationOptions, out: Mutation[]): void {
  if (typeof value !== 'object' || value === null) return;
  const def = defOf(schema);
  const { patterns } = stringBounds(def.keyType as z.ZodType);
  // A key its pattern refuses (a channel number that is a word).
  if (patterns.length > 0) replace(out, 'bad key', [...path, 'zz'], (Object.values(value)[0] ?? {}) as unknown);
  for (const [key, item] of Object.entries(value).slice(0, ELEMENTS_VISITED)) visit(def.valueType as z.ZodType, item, [...path, key], o, out);
  if (o.keys) replace(out, 'NUL in a key', [...path, NUL_KEY], o.wire === 'json' ? 1 : 'v');
}
