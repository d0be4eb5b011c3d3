/**
 * The one place that turns a zod failure into a one-line message naming the field path and what
 * was expected, e.g. `params.channels[0].state: expected one of 0|1|3|4, got 2`.
 * @module
 */
import type { z } from 'zod';
import { findUnstorable } from './text.ts';

/** Outcome of parsing untrusted input: the normalised value, or a one-line error. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** One zod issue, as zod 4 reports it. */
type Issue = z.core.$ZodIssue;

/** Longest rendering of an offending value inside a message. */
const PREVIEW_MAX_CHARS = 40;
/** Issues rendered before the rest are summarised as "(+N more)". */
const ISSUES_SHOWN = 3;
/** Path segments written as `.name`; anything else is written as `["…"]`. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Parse `input` with `schema`; on failure name the field under `root` (e.g. `params`). Any string
 * or key PostgreSQL cannot store, anywhere in `input`, is refused first (protocol/text.ts).
 * @example parseWith(KeepaliveParams, raw, 'params') // { ok: false, error: 'params.state: required (expected number)' }
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root = ''): Result<z.output<S>> {
  const unstorable = findUnstorable(input);
  if (unstorable) return { ok: false, error: formatIssues([unstorable], root) };
  const parsed = schema.safeParse(input, { reportInput: true });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: formatZodError(parsed.error, root) };
}

/** One line describing every issue of a zod error (the first few, then a count), paths under `root`. */
export function formatZodError(error: z.ZodError, root = ''): string {
  return formatIssues(error.issues, root);
}

/** One line describing zod-style issues (the first few, then a count), paths under `root`. */
export function formatIssues(issues: readonly Issue[], root = ''): string {
  const shown = onePerField(issues);
  const lines = shown.slice(0, ISSUES_SHOWN).map((issue) => formatIssue(issue, root));
  const rest = shown.length - ISSUES_SHOWN;
  return rest > 0 ? `${lines.join('; ')} (+${rest} more)` : lines.join('; ');
}

/**
 * One issue per field: a field that broke several checks is named once, by the first, except that
 * of two bounds the tighter wins (`z.int()`'s own safe-integer bound says less than `.max(65535)`).
 */
function onePerField(issues: readonly Issue[]): Issue[] {
  const byPath = new Map<string, Issue>();
  for (const issue of issues) {
    const key = JSON.stringify(issue.path.map(String));
    const kept = byPath.get(key);
    if (kept === undefined || tighter(issue, kept)) byPath.set(key, issue);
  }
  return [...byPath.values()];
}

/** True when `issue` and `kept` bound the same side and `issue`'s bound is tighter. */
function tighter(issue: Issue, kept: Issue): boolean {
  if (issue.code === 'too_big' && kept.code === 'too_big') return Number(issue.maximum) < Number(kept.maximum);
  if (issue.code === 'too_small' && kept.code === 'too_small') return Number(issue.minimum) > Number(kept.minimum);
  return false;
}

/** A field path in JavaScript notation: `params.channels[0].state`. */
export function formatPath(path: readonly PropertyKey[], root = ''): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(shorten(String(key)))}]`;
  }
  return out === '' ? '(message)' : out;
}

/** `text` cut to PREVIEW_MAX_CHARS, an ellipsis marking the cut. */
function shorten(text: string): string {
  return text.length > PREVIEW_MAX_CHARS ? `${text.slice(0, PREVIEW_MAX_CHARS - 1)}…` : text;
}

/** A short rendering of an offending value. */
export function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length > PREVIEW_MAX_CHARS ? `${text.slice(0, PREVIEW_MAX_CHARS - 1)}…` : text;
}

function formatIssue(issue: Issue, root: string): string {
  return `${formatPath(issue.path, root)}: ${describe(issue)}`;
}

/** A custom issue whose `params[VERBATIM]` is true is rendered as its message alone (no "got", no "required"). */
export const VERBATIM = 'verbatim';

/** Messages zod writes itself; any other message was set on the schema and is used as written. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized)/;

/** What was expected, and what came, for one issue: `expected …, got …` or `required (expected …)`. */
function describe(issue: Issue): string {
  if (issue.code === 'custom' && issue.params?.[VERBATIM] === true) return issue.message;
  const missing = !('input' in issue) || issue.input === undefined;
  const expected = ZOD_DEFAULT_MESSAGE.test(issue.message) ? expectation(issue) : issue.message;
  if (issue.code === 'invalid_union' && 'discriminator' in issue) return describeDiscriminator(issue, expected);
  if (missing) return `required (${expected})`;
  return `${expected}, got ${preview(issue.input)}`;
}

/** What an issue expected, in words. */
function expectation(issue: Issue): string {
  if (issue.code === 'invalid_type') return `expected ${typeName(issue.expected)}`;
  if (issue.code === 'too_big') return `must be ${bound(issue.origin, issue.inclusive ? '<=' : '<', issue.maximum)}`;
  if (issue.code === 'too_small') return `must be ${bound(issue.origin, issue.inclusive ? '>=' : '>', issue.minimum)}`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => preview(v)).join('|')}`;
  if (issue.code === 'invalid_format') return issue.format === 'regex' ? `expected to match ${issue.pattern ?? 'a pattern'}` : `expected ${issue.format}`;
  if (issue.code === 'invalid_union') {
    const branches = issue.errors.map((branch) => (branch[0] ? expectation(branch[0]).replace(/^expected /, '') : 'something else'));
    return `expected ${branches.join(' or ')}`;
  }
  if (issue.code === 'invalid_key') return `invalid key: ${issue.issues.map((inner) => expectation(inner)).join('; ')}`;
  if (issue.code === 'invalid_element') return `invalid entry: ${issue.issues.map((inner) => expectation(inner)).join('; ')}`;
  return issue.message;
}

/** A discriminated union whose discriminator (e.g. `op`) matched no branch: name its value. */
function describeDiscriminator(issue: Extract<Issue, { code: 'invalid_union' }>, fallback: string): string {
  const key = (issue as { discriminator?: unknown }).discriminator;
  const listed = (issue as { options?: unknown }).options;
  const options: unknown[] = Array.isArray(listed) ? listed : [];
  const input = issue.input;
  const value = typeof key === 'string' && typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key] : undefined;
  const expected = options.length > 0 ? `expected one of ${options.map((o) => preview(o)).join('|')}` : fallback;
  return value === undefined ? `required (${expected})` : `${expected}, got ${preview(value)}`;
}

function typeName(expected: string): string {
  return expected === 'int' ? 'integer' : expected;
}

function bound(origin: string, op: string, limit: number | bigint): string {
  if (origin === 'string') return `${op} ${limit} characters long`;
  if (origin === 'array' || origin === 'set') return `${op} ${limit} items long`;
  return `${op} ${limit}`;
}
