/**
 * Hostile values (NUL, lone surrogates, huge and negative numbers, 10 KB strings, path traversal
 * with a per-run marker, wrong types, deep nesting, duplicate keys, raw number tokens such as
 * `1e999`) and a mutation engine that edits any JSON value field by field to plant them.
 */
import fc from 'fast-check';
import { DupKeys, defineKey, Raw, Ref } from './values.ts';

// ── Hostile values ─────────────────────────────────────────────────────────────────────────────

/** Places a path-traversal payload tries to write to; `@` is replaced by a unique marker name. */
const TRAVERSAL_TEMPLATES = [
  '../../../../../../../../../../tmp/@',
  '../@',
  '../../@',
  '../../../@',
  '../../../../../../../../../../tmp/@/x',
  '..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2ftmp%2f@',
  '%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2ftmp%2f@',
  '%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252ftmp%252f@',
  '/tmp/@',
  '..\\..\\..\\..\\..\\..\\..\\..\\..\\..\\tmp\\@',
  '....//....//....//....//....//....//....//....//tmp/@',
  '..%c0%af..%c0%af..%c0%af..%c0%af..%c0%af..%c0%af..%c0%af..%c0%aftmp%c0%af@',
  '..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5ctmp%5c@',
  './@',
  '~/@',
  'file:///tmp/@',
  '@\u0000.jpg',
  '/tmp/@\u0000',
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F',
  '...',
] as const;

/** Traversal payloads naming files `<marker>-<n>`, so that anything they create can be found and traced. */
export function traversal(marker: string): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...TRAVERSAL_TEMPLATES), fc.nat(999_999)).map(([t, n]) => t.replaceAll('@', `${marker}-${n}`));
}

/** A string of this many bytes of one letter (oversized fields). */
const big = (n: number) => 'x'.repeat(n);
/** 10 KB, the size the issue asks every text field to be tried with. */
export const TEN_KB = 10 * 1024;

/** Strings that broke or could break something: NUL, surrogates, numbers as text, injections, sizes. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%00',
  '\ud800',
  '\udfff',
  'x\ud800y',
  '\udc00\ud800',
  '\ufeff',
  '\u202e',
  '\r\n',
  '\n',
  '\t',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e300',
  '-1e300',
  '1e999',
  '9007199254740993',
  '-9007199254740993',
  '0x1f',
  '0b11',
  '1_000',
  ' 1',
  '1 ',
  '+1',
  '-1',
  '-0',
  '0.0000001',
  '1.',
  '.5',
  '00012',
  '１２',
  '٣',
  "' OR '1'='1",
  '"; DROP TABLE devices; --',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection payload, meant literally
  '${7*7}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '%',
  '%zz',
  '%ff',
  '%c0%af',
  '%e2%82',
  '+',
  '&',
  '=',
  '&op=save',
  '#',
  '?',
  '%0d%0aX-Injected:%201',
  '😀',
  'é',
  'e\u0301',
  '\u0085',
  '\u2028',
  big(16),
  big(17),
  big(64),
  big(65),
  big(256),
  big(257),
  big(4097),
  big(TEN_KB),
  'a0:b1:c2:d3:e4:f5',
  'A0B1C2D3E4F5',
  'a0-b1-c2-d3-e4-f5',
  '2022-02-30T08:30:00',
  '9999-12-31T23:59:59',
  '0000-00-00T00:00:00',
  '1970-01-01T00:00:00Z',
  'http://127.0.0.1:1/',
  'https://169.254.169.254/latest/meta-data',
  'srt://x?streamid=#!::r=a',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'video/mp2t',
  'VIDEO/MP2T ',
  'create',
  'save',
  'fail',
  'stat',
  'getcurrenttime',
  'Keepalive',
  'admin',
];

/** Numbers at and past every bound a field may have. */
export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  2,
  3,
  12,
  13,
  100,
  101,
  255,
  256,
  65_535,
  65_536,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e15,
  1e16,
  1e21,
  1e300,
  -1e300,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  0.5,
  1.5,
  -0.5,
  0.1,
  1e-7,
];

/** Number tokens JSON.parse reads as Infinity, -0, or losing precision; and prototype pollution. */
export const RAW_JSON_TOKENS: readonly string[] = [
  '1e999',
  '-1e999',
  '1E400',
  '-0.0',
  '1.0',
  '1e-400',
  '123456789012345678901234567890',
  '1e+300',
  '0e0',
  '{"__proto__":{"role":"admin","admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '"\\ud800"',
  '"\\u0000"',
];

/** A nest of arrays or objects `depth` deep, as JSON text. */
export function deepNest(depth: number, kind: 'array' | 'object'): Raw {
  return kind === 'array' ? new Raw('['.repeat(depth) + ']'.repeat(depth)) : new Raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
}

/** Wrong types for any field. */
const WRONG_TYPES: readonly unknown[] = [null, true, false, [], {}, [null], [1, 'a'], { a: {} }, [[[]]], { length: 1e300 }];

/** Text units including lone surrogates, which fast-check's `binary` unit never yields. */
const anyUnit = fc.oneof(
  { weight: 20, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\u0000') },
);

/** Random text of any code points, surrogates and NUL included. */
export const anyString = (maxLength = 40) => fc.string({ unit: anyUnit, maxLength });

/** One hostile value for a field (strings, numbers, raw tokens, wrong types, nests, random JSON). */
export function hostileValue(marker: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 3, arbitrary: traversal(marker) },
    { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
    { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.maxSafeInteger()) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_JSON_TOKENS).map((t) => new Raw(t)) },
    { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES) },
    // Nests stay under the 64 KB frame and body limits (an oversized input is its own, rarer, case).
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(16, 256, 3000, 20_000), fc.constantFrom('array' as const, 'object' as const))
        .map(([d, k]) => deepNest(k === 'object' ? Math.min(d, 3000) : d, k)),
    },
    { weight: 3, arbitrary: anyString() },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

/** Keys a mutation may add: unknown, reserved, prototype names, empty, NUL, long. */
export const HOSTILE_KEYS: readonly string[] = [
  'extra',
  'unknown_field',
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' ',
  '\u0000',
  'seq',
  'req',
  'event',
  'params',
  'resp',
  'err',
  'channel',
  'mac_id',
  'state',
  'op',
  'name',
  'role',
  'owner_id',
  'id',
  'user_id',
  big(300),
];

// ── Mutations ──────────────────────────────────────────────────────────────────────────────────

/**
 * One edit of a JSON value: `set` a field (or the whole value) to a hostile value, `drop` it,
 * `add` an unknown key or array item, `dup`licate a key with another value. `pick` chooses the
 * field among the value's paths (modulo their number), so one edit fits any value.
 */
export type Mutation = { op: 'set' | 'drop' | 'add' | 'dup'; pick: number; key: string; value: unknown };

/** A list of edits: none (a valid message) a quarter of the time, else one to three. */
export function mutations(marker: string): fc.Arbitrary<Mutation[]> {
  const one = fc.record({
    op: fc.constantFrom('set', 'set', 'set', 'drop', 'add', 'dup') as fc.Arbitrary<Mutation['op']>,
    pick: fc.nat(),
    key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), anyString(12)),
    value: hostileValue(marker),
  });
  return fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 3, arbitrary: fc.array(one, { minLength: 1, maxLength: 3 }) });
}

type Path = (string | number)[];

/** Every path into a value (the root first), at most `depth` deep. */
function pathsOf(v: unknown, depth = 6, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (depth === 0 || v instanceof Raw || v instanceof Ref || v instanceof DupKeys) return out;
  if (Array.isArray(v)) for (const [i, x] of v.entries()) pathsOf(x, depth - 1, [...prefix, i], out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, depth - 1, [...prefix, k], out);
  return out;
}

/** A deep copy of plain JSON structure (Raw, Ref and DupKeys are immutable and shared). */
function copy(v: unknown): unknown {
  if (v instanceof Raw || v instanceof Ref || v instanceof DupKeys) return v;
  if (Array.isArray(v)) return v.map(copy);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) defineKey(out, k, copy(x));
    return out;
  }
  return v;
}

/** Apply edits to a value; returns the edited copy (undefined when the root itself was dropped). */
export function mutate(value: unknown, edits: Mutation[]): unknown {
  let root = copy(value);
  for (const edit of edits) {
    // Generated values can be shared constants: insert copies, never the constant itself.
    const m = { ...edit, value: copy(edit.value) };
    const paths = pathsOf(root);
    const path = paths[m.pick % paths.length]!;
    if (path.length === 0) {
      if (m.op === 'drop') root = undefined;
      else if (m.op === 'add' && root && typeof root === 'object' && !Array.isArray(root) && !(root instanceof DupKeys))
        defineKey(root as Record<string, unknown>, m.key, m.value);
      else if (m.op === 'add' && Array.isArray(root)) root.push(m.value);
      else root = m.value;
      continue;
    }
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1]!;
    const parent = parentPath.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown> | unknown[];
    const target = (parent as Record<string | number, unknown>)[last];
    if (m.op === 'drop') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last as string];
    } else if (
      m.op === 'add' &&
      target &&
      typeof target === 'object' &&
      !Array.isArray(target) &&
      !(target instanceof Raw || target instanceof Ref || target instanceof DupKeys)
    ) {
      defineKey(target as Record<string, unknown>, m.key, m.value);
    } else if (m.op === 'add' && Array.isArray(target)) {
      target.push(m.value);
    } else if (m.op === 'dup' && !Array.isArray(parent)) {
      // The parent object becomes one with `last` twice: the hostile value first, the real one last, or the reverse.
      const entries = Object.entries(parent);
      const twice: [string, unknown][] = m.pick % 2 === 0 ? [[String(last), m.value], ...entries] : [...entries, [String(last), m.value]];
      setAt(root, parentPath, new DupKeys(twice), (r) => (root = r));
    } else {
      (parent as Record<string | number, unknown>)[last] = m.value;
    }
  }
  return root;
}

function setAt(root: unknown, path: Path, value: unknown, setRoot: (v: unknown) => void): void {
  if (path.length === 0) return setRoot(value);
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
}
