/**
 * The fuzz's vocabulary: the tokens a value can hold beyond JSON (raw text, duplicate keys,
 * references to harvested ids), the writers that put such values on the wire (JSON text, form and
 * query encoding), and seeded, reproducible streams of generated inputs. The hostile values and
 * the mutation engine that plants them are in hostile.ts.
 */
import fc from 'fast-check';

/** A token written into JSON, form or query text exactly as is (`1e999`, `%zz`, a deep nest). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object whose keys repeat, written in this order (JSON.parse keeps the last). */
export class DupKeys {
  constructor(readonly entries: [string, unknown][]) {}
}

/** Something only known while the run goes (a real segment name, a bind code…): resolved when sent. */
export class Ref {
  constructor(
    readonly pool: string,
    readonly pick: number,
  ) {}
}

/** Where the real values of {@link Ref}s come from: named pools, filled as the run learns them. */
export type Pools = Map<string, string[]>;

/** The value a Ref stands for now (the pool's `pick`-th entry, cycling), or a placeholder when the pool is empty. */
export function deref(pools: Pools, r: Ref): string {
  const list = pools.get(r.pool);
  return list && list.length > 0 ? list[r.pick % list.length]! : `no-${r.pool}-yet`;
}

/** Replace every Ref inside a value by its current real value (a fresh copy; Raw and DupKeys kept). */
export function resolveRefs(v: unknown, pools: Pools): unknown {
  if (v instanceof Ref) return deref(pools, v);
  if (v instanceof Raw) return v;
  if (v instanceof DupKeys) return new DupKeys(v.entries.map(([k, x]) => [k, resolveRefs(x, pools)]));
  if (Array.isArray(v)) return v.map((x) => resolveRefs(x, pools));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) defineKey(out, k, resolveRefs(x, pools));
    return out;
  }
  return v;
}

/** Set an own key, even `__proto__` (a plain assignment would change the prototype instead). */
export function defineKey(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

// ── Writers ────────────────────────────────────────────────────────────────────────────────────

/** JSON text of a value with Raw tokens and repeated keys; undefined members are left out. */
export function jsonText(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Ref) return JSON.stringify(`ref:${v.pool}`);
  if (v instanceof DupKeys) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : jsonText(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`)
      .join(',')}}`;
  }
  return v === undefined ? 'null' : (JSON.stringify(v) ?? 'null');
}

/**
 * Percent-encoding that also writes what encodeURIComponent refuses: a lone surrogate becomes its
 * (invalid) three UTF-8 bytes, as a broken device would send them.
 */
export function pctEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff)
      out += `%${(0xe0 | (cp >> 12)).toString(16)}%${(0x80 | ((cp >> 6) & 0x3f)).toString(16)}%${(0x80 | (cp & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** A form or query value as text: Raw as is, strings percent-encoded, anything else as JSON. */
export function formValue(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (typeof v === 'string') return pctEncode(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return pctEncode(jsonText(v));
}

/**
 * `k=v&k=v` from pairs (repeats and Raw allowed): a pair without value is `k` alone, a pair of
 * more is `k=v=w`, and anything that is not a pair (a mutation put it there) is written alone.
 */
export function formText(pairs: unknown[]): string {
  return pairs
    .map((p) => {
      if (!Array.isArray(p) || p.length === 0) return formValue(p);
      return p.map((x) => (x === undefined ? '' : formValue(x))).join('=');
    })
    .join('&');
}

// ── Seeded streams ─────────────────────────────────────────────────────────────────────────────

/** Inputs generated per fast-check sample call (a chunk): bounded memory, any index reproducible. */
export const STREAM_CHUNK = 256;

/** A 31-bit seed for chunk `chunk` of stream `name` of run `seed`. */
export function chunkSeed(seed: number, name: string, chunk: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const c of `${name}#${chunk}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/**
 * An endless, reproducible stream of inputs: input `i` of stream `name` is element `i % 256` of a
 * fast-check sample seeded from (seed, name, i / 256), whatever order the run consumes them in.
 */
export class InputStream<T> {
  private chunk = -1;
  private values: T[] = [];
  next = 0;

  constructor(
    readonly name: string,
    private arb: fc.Arbitrary<T>,
    private seed: number,
  ) {}

  /** Input number `i`. */
  at(i: number): T {
    const c = Math.floor(i / STREAM_CHUNK);
    if (c !== this.chunk) {
      this.values = fc.sample(this.arb, { seed: chunkSeed(this.seed, this.name, c), numRuns: STREAM_CHUNK });
      this.chunk = c;
    }
    return this.values[i % STREAM_CHUNK]!;
  }

  /** The next input and its index. */
  take(): { i: number; value: T } {
    const i = this.next++;
    return { i, value: this.at(i) };
  }
}
