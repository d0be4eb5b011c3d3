/**
 * Property: every invalid variant of a valid input (a wrong type, a number out of range, a string
 * or array too long, a value outside an enum, a NUL or an unpaired surrogate in a string or a key,
 * a key too long, nesting too deep, a missing required field) is refused after travelling as on
 * the wire, with a one-line error that names the offending field.
 */
import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { formatPath } from '../../protocol/errors.ts';
import { CATALOG_OVERRIDES } from '../helpers/catalog-overrides.ts';
import { catalogEntries } from '../helpers/catalog-entries.ts';
import { arbitraryOf } from '../helpers/zod-arbitrary.ts';
import { DEEP_KEY, mutationsOf } from '../helpers/zod-mutations.ts';

/** Time one schema's property may take (the configuration document's variants are many). */
const PROPERTY_TIMEOUT_MS = 60_000;
/** Generated valid inputs per schema, each giving every one of its invalid variants. */
const RUNS = 40;

describe('every schema of the catalog', () => {
  for (const entry of catalogEntries()) {
    it(
      `${entry.name}: refuses invalid variants, naming the field`,
      async () => {
        const inputs = arbitraryOf(entry.schema, { overrides: CATALOG_OVERRIDES, wire: entry.wire });
        await fc.assert(
          fc.asyncProperty(inputs, async (input) => {
            for (const m of mutationsOf(entry.schema, input, { wire: entry.wire, keys: entry.keys })) {
              const result = await entry.viaWire(m.apply(input));
              const deep = m.path.indexOf(DEEP_KEY);
              const field = formatPath(deep >= 0 ? m.path.slice(0, deep + 1) : m.path, entry.root);
              const error = result.ok ? `accepted: ${result.json}` : result.error;
              // The error names the field: the path followed by ': ' (the deep case: a path inside it).
              const named = deep >= 0 ? error.includes(`${field}.d`) || error.includes(`${field}: `) : error.includes(`${field}: `);
              expect({ why: m.why, field, named, oneLine: !error.includes('\n'), error }).toEqual({ why: m.why, field, named: true, oneLine: true, error });
            }
          }),
          { numRuns: RUNS },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );
  }
});
