/**
 * Property: every input a catalog schema accepts (generated from the schema itself) is accepted
 * after travelling as on the wire (a JSON frame, a form body, a URL query or path, an API request)
 * and parses to the same normalised value as the input given directly.
 */
import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { CATALOG_OVERRIDES } from '../helpers/catalog-overrides.ts';
import { catalogEntries } from '../helpers/catalog-entries.ts';
import { arbitraryOf } from '../helpers/zod-arbitrary.ts';

/** Time one schema's property may take (the configuration document is large). */
const PROPERTY_TIMEOUT_MS = 60_000;
/** Generated inputs per schema. */
const RUNS = 100;

describe('every schema of the catalog', () => {
  for (const entry of catalogEntries()) {
    it(
      `${entry.name}: accepts generated valid inputs, the same after the wire`,
      async () => {
        const inputs = arbitraryOf(entry.schema, { overrides: CATALOG_OVERRIDES, wire: entry.wire });
        await fc.assert(
          fc.asyncProperty(inputs, async (input) => {
            const direct = entry.direct(input);
            expect(direct.ok ? 'ok' : direct.error).toBe('ok');
            expect(await entry.viaWire(input)).toEqual(direct);
          }),
          { numRuns: RUNS },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );
  }
});
