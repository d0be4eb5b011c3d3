/**
 * Request validation: @hono/zod-validator with our problem JSON on failure (the message names
 * the field). Each validator carries its schema, so /api/openapi.json is generated from the
 * very schemas the routes validate with.
 */
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { formatZodError } from '../protocol/errors.ts';
import { problem } from './problem.ts';

/** Symbol under which a validator middleware keeps its target and schema (read by the OpenAPI builder). */
export const VALIDATION_META = Symbol.for('h627.validation');

/** What a validator middleware records about itself. */
export interface ValidationMeta {
  target: keyof ValidationTargets;
  schema: z.ZodType;
}

/** Validate one part of the request with `schema`; a failure is a 400 problem naming the field. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  const mw = zValidator(target, schema, (result, c) => {
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue ? issue.path.map(String).join('.') : undefined;
      return problem(c, 400, `${target}: ${formatZodError(result.error as unknown as z.ZodError)}`, field || undefined);
    }
  }, {
    // reportInput lets the message say what came ("got …") rather than only what was expected.
    validationFunction: (s, value) => (s as z.ZodType).safeParseAsync(value, { reportInput: true }) as never,
  });
  (mw as unknown as Record<symbol, ValidationMeta>)[VALIDATION_META] = { target, schema };
  return mw;
}
