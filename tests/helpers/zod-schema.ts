/**
 * Reading zod 4 schemas through their public introspection (`schema._zod.def`, its checks, `optin`):
 * the subset of zod the catalog uses. Shared by the generator of valid inputs (zod-arbitrary.ts),
 * the generator of invalid ones (zod-mutations.ts) and the bounds test. No library maps zod 4 to
 * fast-check (zod-fast-check is zod 3 only), hence these few helpers.
 */
import type { z } from 'zod';

/** A schema's definition, loosely typed: the fields differ per type. */
export type Def = { type: string; checks?: Array<{ _zod: { def: CheckDef } }> } & Record<string, unknown>;
/** One check's definition (`min_length`, `less_than`, `string_format`, `custom`…). */
export type CheckDef = { check: string } & Record<string, unknown>;

/** The definition of `schema`. */
export function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The check definitions of `schema`, in order. */
export function checksOf(schema: z.ZodType): CheckDef[] {
  return (defOf(schema).checks ?? []).map((c) => c._zod.def);
}

/** Whether an object field holding `schema` may be left out (optional or defaulted). */
export function isOptionalField(schema: z.ZodType): boolean {
  const optin = (schema as unknown as { _zod: { optin?: string } })._zod.optin;
  return optin === 'optional' || optin === 'defaulted';
}

/** Length bounds and patterns of a string schema. */
export type StringBounds = { min: number; max: number; patterns: RegExp[]; custom: boolean };

/** The length bounds, regex patterns and whether custom refinements exist, of a string schema. */
export function stringBounds(schema: z.ZodType): StringBounds {
  const out: StringBounds = { min: 0, max: Number.POSITIVE_INFINITY, patterns: [], custom: false };
  for (const c of checksOf(schema)) {
    if (c.check === 'min_length') out.min = Math.max(out.min, c.minimum as number);
    else if (c.check === 'max_length') out.max = Math.min(out.max, c.maximum as number);
    else if (c.check === 'string_format' && c.format === 'regex') out.patterns.push(c.pattern as RegExp);
    else if (c.check === 'custom') out.custom = true;
  }
  return out;
}

/** Bounds of a number schema: inclusive or not, and whether it must be an integer. */
export type NumberBounds = { min: number; max: number; minExcluded: boolean; maxExcluded: boolean; int: boolean; explicitMin: boolean; explicitMax: boolean };

/** The bounds of a number schema (z.int() without bounds: the safe integers). */
export function numberBounds(schema: z.ZodType): NumberBounds {
  const def = defOf(schema);
  const int = typeof def.format === 'string' && /int/.test(def.format);
  const limit = int ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE;
  const out: NumberBounds = { min: -limit, max: limit, minExcluded: false, maxExcluded: false, int, explicitMin: false, explicitMax: false };
  for (const c of checksOf(schema)) {
    if (c.check === 'greater_than') Object.assign(out, { min: c.value as number, minExcluded: !c.inclusive, explicitMin: true });
    else if (c.check === 'less_than') Object.assign(out, { max: c.value as number, maxExcluded: !c.inclusive, explicitMax: true });
    else if (c.check === 'number_format' && /int/.test(String(c.format))) out.int = true;
  }
  return out;
}

/** Wrappers that change only whether `undefined` or `null` is accepted. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);

/** The inner schema of a wrapper (optional, nullable, default…), or undefined. */
export function innerOf(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(schema);
  return WRAPPERS.has(def.type) ? (def.innerType as z.ZodType) : undefined;
}

/** True for a `z.preprocess` (a pipe whose input side is a transform). */
export function isPreprocess(schema: z.ZodType): boolean {
  const def = defOf(schema);
  return def.type === 'pipe' && defOf(def.in as z.ZodType).type === 'transform';
}

/**
 * The schema that judges an input's shape: wrappers peeled, a preprocess read through to the
 * schema it feeds, a pipe read through to its input side. `preprocessed` tells whether a
 * preprocess was crossed (its input may differ from what its schema sees, e.g. `''` for absent).
 */
export function coreOf(schema: z.ZodType): { core: z.ZodType; preprocessed: boolean } {
  let core = schema;
  let preprocessed = false;
  for (;;) {
    const inner = innerOf(core);
    if (inner) core = inner;
    else if (isPreprocess(core)) {
      core = defOf(core).out as z.ZodType;
      preprocessed = true;
    } else if (defOf(core).type === 'pipe') core = defOf(core).in as z.ZodType;
    else return { core, preprocessed };
  }
}

/** The output side of a pipe chain that ends in a number schema (a form field read as a number), or undefined. */
export function numericOutputOf(schema: z.ZodType): z.ZodType | undefined {
  let s = schema;
  while (innerOf(s)) s = innerOf(s)!;
  if (defOf(s).type !== 'pipe') return undefined;
  let out = defOf(s).out as z.ZodType;
  while (innerOf(out)) out = innerOf(out)!;
  return defOf(out).type === 'number' ? out : undefined;
}

/** Every value a literal or enum schema accepts. */
export function membersOf(schema: z.ZodType): unknown[] {
  const def = defOf(schema);
  if (def.type === 'literal') return def.values as unknown[];
  if (def.type === 'enum') return Object.values(def.entries as Record<string, unknown>);
  return [];
}

/** The shape of an object schema. */
export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return defOf(schema).shape as Record<string, z.ZodType>;
}

/** The options of a union (discriminated or not). */
export function optionsOf(schema: z.ZodType): z.ZodType[] {
  return defOf(schema).options as z.ZodType[];
}
