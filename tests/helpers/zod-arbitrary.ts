/**
 * fast-check arbitraries of the inputs a zod 4 schema accepts, for the subset of zod the catalog
 * uses: object (strip, loose, strict), string with min/max/regex, int/number with bounds, enum,
 * literal, optional, nullable, default, array, union, discriminated union, record, pipe,
 * transform, preprocess, unknown. Values come out as they would be written on the wire (before
 * the schema's transforms). Refinements the structure cannot express are met by filtering with
 * the schema itself; formats a filter would rarely hit (a calendar date, a URL) are given as
 * `overrides`, keyed by the very schema object.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { checksOf, defOf, isOptionalField, membersOf, numberBounds, numericOutputOf, optionsOf, shapeOf, stringBounds } from './zod-schema.ts';

/** Arbitraries to use instead of the structural one, for particular schema objects. */
export type Overrides = ReadonlyMap<z.ZodType, fc.Arbitrary<unknown>>;

/** How values travel: JSON keeps types; text (forms, queries) and paths carry only strings (a path: every part present). */
export type Wire = 'json' | 'text' | 'path';

/** Options of a generation. */
export type ArbitraryOptions = { overrides?: Overrides; wire?: Wire };

/** Longest string or array generated in the common case (boundary cases reach the maximum). */
const TYPICAL_MAX_LENGTH = 12;
/** Longest array generated at its maximum length (longer maxima are only generated typically). */
const BOUNDARY_ARRAY_MAX = 300;
/** Unknown fields added to an object, at most. */
const EXTRA_KEYS_MAX = 2;
/** Depth of generated free JSON (open documents). */
const FREE_JSON_DEPTH = 2;
/** Weights of the typical case and of the boundary case. */
const TYPICAL_WEIGHT = 5;
const BOUNDARY_WEIGHT = 1;
/** Integers divided by this give decimals with a short, exact text form. */
const DECIMAL_SCALE = 1000;

/** Keys of unknown fields: never one of the catalog's own, never `__proto__`. */
const extraKey = fc.stringMatching(/^x_[a-z0-9]{1,8}$/);

/** Free JSON for open documents: keys that are plain names, strings of any well-formed Unicode. */
export const freeJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: FREE_JSON_DEPTH },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ unit: 'grapheme', maxLength: TYPICAL_MAX_LENGTH }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).value;

/** Valid inputs of `schema`. */
export function arbitraryOf(schema: z.ZodType, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  return new Generator(options.overrides ?? new Map(), options.wire ?? 'json').of(schema);
}

class Generator {
  constructor(
    private overrides: Overrides,
    private wire: Wire,
  ) {}

  of(schema: z.ZodType): fc.Arbitrary<unknown> {
    const given = this.overrides.get(schema);
    if (given) return given;
    const arb = this.structural(schema);
    // A check the structure cannot express (a refinement, a transform that may refuse): the schema decides.
    const judged = checksOf(schema).some((c) => c.check === 'custom') || ['pipe', 'union', 'transform'].includes(defOf(schema).type);
    return judged ? arb.filter((v) => schema.safeParse(v).success) : arb;
  }

  private structural(schema: z.ZodType): fc.Arbitrary<unknown> {
    const def = defOf(schema);
    switch (def.type) {
      case 'string':
        return this.string(schema);
      case 'number':
        return this.number(schema);
      case 'boolean':
        return fc.boolean();
      case 'literal':
      case 'enum':
        return fc.constantFrom(...membersOf(schema));
      case 'null':
        return fc.constant(null);
      case 'unknown':
      case 'any':
        return freeJson;
      case 'optional':
      case 'default':
        return fc.option(this.of(def.innerType as z.ZodType), { nil: undefined, freq: 4 });
      case 'nullable':
        return fc.option(this.of(def.innerType as z.ZodType), { nil: null, freq: 4 });
      case 'pipe':
        return this.pipe(schema);
      case 'object':
        return this.object(schema);
      case 'array':
        return this.array(schema);
      case 'tuple':
        return fc.tuple(...(def.items as z.ZodType[]).map((item) => this.of(item)));
      case 'union':
        return fc.oneof(...optionsOf(schema).map((o) => this.of(o)));
      case 'record':
        return fc.dictionary(this.of(def.keyType as z.ZodType) as fc.Arbitrary<string>, this.of(def.valueType as z.ZodType), {
          maxKeys: 3,
          noNullPrototype: true,
        });
      default:
        throw new Error(`zod-arbitrary: unsupported schema type ${def.type}`);
    }
  }

  private string(schema: z.ZodType): fc.Arbitrary<string> {
    const { min, max, patterns } = stringBounds(schema);
    const fits = (s: string) => s.length >= min && s.length <= max && patterns.every((p) => p.test(s));
    if (patterns.length > 0) {
      // fast-check cannot read the `i` flag; a string matching the case-sensitive pattern matches it too.
      const first = patterns[0]!;
      return fc.stringMatching(new RegExp(first.source, first.flags.replace('i', ''))).filter(fits);
    }
    const typical = fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, Math.min(max, TYPICAL_MAX_LENGTH)) }).filter(fits);
    if (!Number.isFinite(max)) return typical;
    // Right at the limit, in ASCII so that the length in code units is exact.
    const boundary = fc.string({ unit: 'grapheme-ascii', minLength: max, maxLength: max });
    return fc.oneof({ weight: TYPICAL_WEIGHT, arbitrary: typical }, { weight: BOUNDARY_WEIGHT, arbitrary: boundary });
  }

  private number(schema: z.ZodType): fc.Arbitrary<number> {
    const b = numberBounds(schema);
    const minInt = Math.ceil(b.minExcluded ? b.min + 1 : b.min);
    const maxInt = Math.floor(b.maxExcluded ? b.max - 1 : b.max);
    const clamp = (n: number) => Math.min(Math.max(n, -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    // No whole number within some ranges (0.2 to 0.95): then only decimals and doubles.
    const ints = minInt <= maxInt ? fc.integer({ min: clamp(minInt), max: clamp(maxInt) }) : undefined;
    if (b.int) {
      if (!ints) throw new Error('zod-arbitrary: an integer schema with no integer in its range');
      return ints;
    }
    const decimals = fc.integer({ min: clamp(Math.ceil(b.min * DECIMAL_SCALE)), max: clamp(Math.floor(b.max * DECIMAL_SCALE)) }).map((n) => n / DECIMAL_SCALE);
    const doubles = fc.double({ min: b.min, max: b.max, minExcluded: b.minExcluded, maxExcluded: b.maxExcluded, noNaN: true, noDefaultInfinity: true });
    // -0 is written "0" on every wire: generate the value that survives it.
    return fc
      .oneof(...(ints ? [ints] : []), decimals, doubles)
      .map((n) => (Object.is(n, -0) ? 0 : n))
      .filter((n) => n >= b.min && n <= b.max && !(b.minExcluded && n === b.min) && !(b.maxExcluded && n === b.max));
  }

  private pipe(schema: z.ZodType): fc.Arbitrary<unknown> {
    const def = defOf(schema);
    const input = def.in as z.ZodType;
    // A preprocess: its function is not invertible, so generate what the schema after it takes.
    if (defOf(input).type === 'transform') return this.of(def.out as z.ZodType);
    const numeric = numericOutputOf(schema);
    if (numeric) {
      // A number written as text (a form field, a query, a path): mostly numbers in range, as text.
      const asText = this.number(numeric).map((n) => String(n));
      return fc.oneof({ weight: TYPICAL_WEIGHT, arbitrary: asText }, { weight: BOUNDARY_WEIGHT, arbitrary: this.of(input) });
    }
    return this.of(input);
  }

  private object(schema: z.ZodType): fc.Arbitrary<unknown> {
    const shape = shapeOf(schema);
    const keys = Object.keys(shape);
    const model = Object.fromEntries(keys.map((k) => [k, this.field(shape[k]!)]));
    const requiredKeys = keys.filter((k) => !isOptionalField(shape[k]!));
    const known = fc.record(model, { requiredKeys, noNullPrototype: true });
    const catchall = defOf(schema).catchall as z.ZodType | undefined;
    // A strict object takes no unknown field; any other object tolerates (strips or keeps) them.
    if (catchall && defOf(catchall).type === 'never') return known;
    const value = this.wire === 'json' ? freeJson : fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: TYPICAL_MAX_LENGTH });
    const extra = fc.dictionary(extraKey, value, { maxKeys: EXTRA_KEYS_MAX, noNullPrototype: true });
    return fc.tuple(known, extra).map(([k, e]) => ({ ...e, ...k }));
  }

  /** A field's value when present: an optional field's inner schema (absence is the record's business). */
  private field(schema: z.ZodType): fc.Arbitrary<unknown> {
    const def = defOf(schema);
    return def.type === 'optional' ? this.of(def.innerType as z.ZodType) : this.of(schema);
  }

  private array(schema: z.ZodType): fc.Arbitrary<unknown[]> {
    const { min, max } = stringBounds(schema); // arrays carry min_length / max_length checks too
    const element = this.of(defOf(schema).element as z.ZodType);
    const typical = fc.array(element, { minLength: min, maxLength: Math.max(min, Math.min(max, TYPICAL_MAX_LENGTH)) });
    if (!Number.isFinite(max) || max > BOUNDARY_ARRAY_MAX) return typical;
    return fc.oneof(
      { weight: TYPICAL_WEIGHT, arbitrary: typical },
      { weight: BOUNDARY_WEIGHT, arbitrary: fc.array(element, { minLength: max, maxLength: max }) },
    );
  }
}
