/**
 * What the fuzz saw: inputs tried and answers by class, per target; and its findings (an HTTP 5xx,
 * a Vd `err` 5xx, an error in the platform's log, a leak of internals in an answer, a file written
 * outside DATA_DIR, a request that hung). Occurrences are grouped by kind, place and status, then
 * split by their cause in the platform's log, so each distinct cause is one finding, with its
 * smallest input and its log line.
 */
import type { TestPlatform } from '../../helpers/platform.ts';

/** Kinds of finding. */
export type FindingKind = 'http-5xx' | 'vd-err-5xx' | 'log-error' | 'leak' | 'file-outside' | 'hang' | 'crash';

/** Where and what: the same for every occurrence of a finding. */
export interface FindingKey {
  kind: FindingKind;
  target: string;
  /** Route template or message name. */
  where: string;
  /** HTTP status, Vd err code, or what went wrong. */
  status: string;
  /** What in the input probably set it off (NUL, a lone surrogate, a huge number), when one shows. */
  trigger?: string;
}

/** One input that showed it. */
export interface Occurrence {
  /** The input in full (and what came back), and its size (the smallest is kept). */
  repro: string;
  size: number;
  /** Index in the platform's stdout when the input was sent, and what its log line must match. */
  logFrom: number;
  logMatch?: (line: LogLine) => boolean;
  /** Index in the platform's stdout when the answer came: an error line without a path up to here may be this input's. */
  logTo?: number;
  /** What the minimizer re-sends (set by the target). */
  replay?: unknown;
}

/** One distinct finding: its smallest input, how often, its cause and log line. */
export interface Finding extends FindingKey, Occurrence {
  cause: string;
  count: number;
  log: string[];
}

/** A parsed line of the platform's JSON log. */
export type LogLine = Record<string, unknown> & { level?: string; msg?: string; err?: string; path?: string };

/** Log levels that mean something failed unexpectedly (the platform's 500s and crashed handlers). */
export const FAILURE_LOG_LEVELS = new Set(['error', 'fatal']);
/** Occurrences kept per place and status (enough to tell causes apart; the rest only counted). */
const OCCURRENCES_KEPT = 300;
/** The largest 32-bit signed integer: a number past it overflows an `integer` column. */
const INT32_MAX = 2 ** 31 - 1;
/** Lines the platform's log may lag behind an answer (read from its pipe a little later). */
const LOG_LAG_LINES = 50;
/** Most of an input kept per traversal marker. */
const MARKER_TEXT_MAX_CHARS = 4096;
/** Examples kept of each kind of missing answer. */
const TRANSPORT_EXAMPLES = 3;
/** Characters of an error's text that name its cause. */
const CAUSE_MAX_CHARS = 240;

/** Patterns of internals that must never reach a client (SQL, stack frames, file paths). */
const LEAK_PATTERNS: { name: string; re: RegExp }[] = [
  {
    name: 'SQL',
    re: /\b(failed query|insert into|select\s[^"]{0,200}\sfrom\s"|update\s+"\w+"\s+set|delete from\s"|violates (not-null|unique|foreign key|check) constraint|syntax error at or near|invalid byte sequence for encoding)/i,
  },
  { name: 'stack trace', re: /\n\s+at\s|\bat\s+\S+\s+\(\S+:\d+:\d+\)/ },
  { name: 'file path', re: /\/(work|root|home|usr)\/\S+\.(ts|js)\b|node_modules\// },
];

/** The cause of an error line: its message and the error's text up to its parameters or stack, numbers and ids blanked. */
export function causeOf(l: LogLine): string {
  const err = String(l.err ?? '')
    .split(/\nparams:|\n\s+at\s/)[0]!
    .replace(/\s+/g, ' ')
    .trim();
  // Ids, numbers and actor names vary between occurrences of one cause.
  return `${l.msg}: ${err}`
    .replace(/\b(pu|stream|recording|rec|segment|seg):[^\s:]+/g, '$1:…')
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+/gi, '#')
    .slice(0, CAUSE_MAX_CHARS);
}

/**
 * What in an input probably set a failure off, as a label: a NUL, a lone surrogate (either as
 * JSON escapes or percent-encoded bytes), or a number past 32 bits; '' when none shows.
 */
export function triggerOf(input: string): string {
  const text = input.split('\n→')[0]!;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for a NUL is the point
  if (/\\u0000|%00|\u0000/.test(text)) return 'NUL';
  if (/\\u[dD][89abAB][0-9a-fA-F]{2}|\\u[dD][c-fC-F][0-9a-fA-F]{2}|%ED%[A-B]/i.test(text) || !text.isWellFormed()) return 'a lone surrogate';
  const past32Bits = [...text.matchAll(/(?<![\w.%-])-?\d{10,}(?![\w.-])/g)].some((m) => Math.abs(Number(m[0])) > INT32_MAX);
  if (past32Bits || /(?<![\w%])\d(\.\d+)?e\+?\d{2,}(?!\w)/i.test(text)) return 'a huge number';
  return '';
}

/** The tally of one run. */
export class Tally {
  readonly inputs = new Map<string, number>();
  readonly classes = new Map<string, Map<string, number>>();
  readonly closes = new Map<string, number>();
  /** A few examples of answers that never came (network errors, unsendable requests), per target and class. */
  readonly transport = new Map<string, string[]>();
  /** Seconds from the start of the run to the last answer of each target. */
  readonly seconds = new Map<string, number>();
  /** The first input that named each traversal marker number (to trace a file back to its input). */
  readonly markers = new Map<string, string>();
  /** When the run (not the set-up) began. */
  started = performance.now();
  /** Distinct findings, once {@link resolve} has run. */
  findings: Finding[] = [];
  private groups = new Map<string, { key: FindingKey; list: Occurrence[]; count: number }>();

  constructor(
    readonly p: TestPlatform,
    readonly dataDir: string,
  ) {}

  /** `n` inputs tried by `target`. */
  tried(target: string, n = 1): void {
    this.inputs.set(target, (this.inputs.get(target) ?? 0) + n);
  }

  /** One answer of class `cls` to an input of `target`. */
  answered(target: string, cls: string): void {
    let c = this.classes.get(target);
    if (!c) this.classes.set(target, (c = new Map()));
    c.set(cls, (c.get(cls) ?? 0) + 1);
  }

  /** The run begins now (the set-up is not counted in its duration). */
  restart(): void {
    this.started = performance.now();
  }

  /** Keep an example of a request that got no HTTP answer at all. */
  noAnswer(target: string, cls: string, example: string): void {
    const key = `${target} ${cls}`;
    const list = this.transport.get(key) ?? [];
    if (list.length < TRANSPORT_EXAMPLES) list.push(example);
    this.transport.set(key, list);
  }

  /** `target` has sent its last input and had its answers. */
  finished(target: string): void {
    this.seconds.set(target, Math.round((performance.now() - this.started) / 100) / 10);
  }

  /** A socket the platform closed, by code. */
  closed(code: number): void {
    this.closes.set(String(code), (this.closes.get(String(code)) ?? 0) + 1);
  }

  /** Record an occurrence of a finding (occurrences of one place and status are told apart by what in the input set them off). */
  found(f: FindingKey & Occurrence): void {
    const trigger = f.kind === 'http-5xx' || f.kind === 'vd-err-5xx' ? triggerOf(f.repro) : '';
    const id = `${f.kind}|${f.target}|${f.where}|${f.status}|${trigger}`;
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { key: { kind: f.kind, target: f.target, where: f.where, status: f.status, trigger }, list: [], count: 0 }));
    g.count++;
    if (g.list.length < OCCURRENCES_KEPT)
      g.list.push({ repro: f.repro, size: f.size, logFrom: f.logFrom, logMatch: f.logMatch, logTo: f.logTo, replay: f.replay });
  }

  /** Whether any occurrence was recorded (before {@link resolve}). */
  get anyFound(): boolean {
    return this.groups.size > 0;
  }

  /** Remember which input first named each marker file of the run. */
  noteMarkers(text: string, marker: string): void {
    if (!text.includes(marker)) return;
    for (const m of text.matchAll(new RegExp(`${marker}-(\\d+)`, 'g')))
      if (!this.markers.has(m[1]!)) this.markers.set(m[1]!, text.slice(0, MARKER_TEXT_MAX_CHARS));
  }

  /** Check an answer for leaked internals that the input itself did not contain. */
  checkLeak(target: string, where: string, answer: string, input: string | (() => string), logFrom: number): void {
    const text = () => (typeof input === 'string' ? input : (input = input()));
    for (const { name, re } of LEAK_PATTERNS) {
      const m = answer.match(re);
      if (m && !text().toLowerCase().includes(m[0].toLowerCase())) {
        this.found({ kind: 'leak', target, where, status: name, repro: `${text()}\n→ answer: ${answer.slice(0, 2000)}`, size: text().length, logFrom });
      }
    }
    if (answer.includes(this.dataDir) && !text().includes(this.dataDir)) {
      this.found({
        kind: 'leak',
        target,
        where,
        status: 'DATA_DIR path',
        repro: `${text()}\n→ answer: ${answer.slice(0, 2000)}`,
        size: text().length,
        logFrom,
      });
    }
  }

  /** The platform's log lines at and after `from`, parsed (non-JSON lines skipped). */
  logLines(from = 0): { i: number; line: LogLine; text: string }[] {
    const out: { i: number; line: LogLine; text: string }[] = [];
    const lines = this.p.lines;
    for (let i = from; i < lines.length; i++) {
      const text = lines[i]!;
      if (!text.startsWith('{')) continue;
      try {
        out.push({ i, line: JSON.parse(text) as LogLine, text });
      } catch {
        // a line cut by a crash
      }
    }
    return out;
  }

  /**
   * Turn occurrences into findings: each occurrence takes the first error line after it that
   * matches it, occurrences of one place and status are split by that line's cause, and each cause
   * keeps its smallest input. Error lines no occurrence explains become findings of their own,
   * attributed by `attribute` where it can.
   */
  resolve(attribute: (line: LogLine, index: number) => { target: string; where: string; repro: string } | undefined): void {
    const errors = this.logLines().filter((l) => FAILURE_LOG_LEVELS.has(String(l.line.level)));
    const used = new Set<number>();
    const out = new Map<string, Finding>();
    for (const g of this.groups.values()) {
      for (const o of [...g.list].sort((a, b) => a.logFrom - b.logFrom)) {
        // The line that names this input; else, for an answer that came with no such line, an
        // error line naming no request that was written while it was handled (a service's own).
        const hit =
          (o.logMatch ? errors.find((l) => l.i >= o.logFrom && !used.has(l.i) && o.logMatch!(l.line)) : undefined) ??
          (o.logTo !== undefined
            ? errors.find(
                (l) => l.i >= o.logFrom && l.i <= o.logTo! + LOG_LAG_LINES && !used.has(l.i) && l.line.path === undefined && l.line.device === undefined,
              )
            : undefined);
        if (hit) used.add(hit.i);
        const cause = hit ? causeOf(hit.line) : o.logMatch ? '(no error logged)' : '';
        const id = `${g.key.kind}|${g.key.target}|${g.key.where}|${g.key.status}|${g.key.trigger}|${cause}`;
        const had = out.get(id);
        if (!had) out.set(id, { ...g.key, ...o, cause, count: 1, log: hit ? [hit.text] : [] });
        else {
          had.count++;
          if (o.size < had.size) Object.assign(had, o, { log: hit ? [hit.text] : had.log });
        }
      }
      // Occurrences past the kept ones are counted with the group's first cause.
      const first = [...out.values()].find(
        (f) => f.kind === g.key.kind && f.target === g.key.target && f.where === g.key.where && f.status === g.key.status && f.trigger === g.key.trigger,
      );
      if (first) first.count += g.count - g.list.length;
    }
    const explained = new Set([...out.values()].map((f) => f.cause));
    for (const l of errors) {
      if (used.has(l.i)) continue;
      const cause = causeOf(l.line);
      if (explained.has(cause)) continue;
      const id = `log-error|${cause}`;
      const had = out.get(id);
      if (had) {
        had.count++;
        continue;
      }
      const who = attribute(l.line, l.i);
      out.set(id, {
        kind: 'log-error',
        target: who?.target ?? 'platform',
        where: who?.where ?? String(l.line.msg),
        status: String(l.line.level),
        cause,
        repro: who?.repro ?? '(no input attributed)',
        size: 0,
        count: 1,
        log: [l.text],
        logFrom: l.i,
      });
    }
    this.findings = [...out.values()];
  }

  /** Merge findings that are one (same place, status, trigger and cause), keeping the smallest input. */
  merge(): void {
    const out = new Map<string, Finding>();
    for (const f of this.findings) {
      const id = `${f.kind}|${f.target}|${f.where}|${f.status}|${f.trigger}|${f.cause}`;
      const had = out.get(id);
      if (!had) out.set(id, f);
      else {
        const count = had.count + f.count;
        if (f.size < had.size) Object.assign(had, f);
        had.count = count;
      }
    }
    this.findings = [...out.values()];
  }

  /** The one summary line: inputs per target, answers by class, closes, findings, seed, duration. */
  summary(seed: number, extra = ''): string {
    const total = [...this.inputs.values()].reduce((a, b) => a + b, 0);
    const per = [...this.inputs.entries()].map(([t, n]) => {
      const cls = [...(this.classes.get(t) ?? new Map<string, number>()).entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([c, k]) => `${c}=${k}`)
        .join(' ');
      return `${t}[n=${n} ${cls} t=${this.seconds.get(t) ?? '?'}s]`;
    });
    const closes = [...this.closes.entries()].map(([c, n]) => `${c}:${n}`).join(',');
    const s = ((performance.now() - this.started) / 1000).toFixed(1);
    const found = [...this.groups.values()].reduce((a, g) => a + g.count, 0);
    return `fuzz: seed=${seed} inputs=${total} ${per.join(' ')} vd-closes={${closes}} findings=${this.findings.length} (from ${found} inputs) duration=${s}s${extra}`;
  }

  /** Examples of requests that got no answer at all (not findings: a socket reset by load, a request fetch refused to send). */
  transportReport(): string {
    return [...this.transport.entries()].map(([k, list]) => `${k}:\n${list.map((e) => indent(e)).join('\n')}`).join('\n');
  }

  /** Every finding written out in full, for the report. */
  report(): string {
    return this.findings
      .map((f, n) =>
        [
          `#${n + 1} ${f.kind} ${f.target} ${f.where}${f.trigger ? ` with ${f.trigger}` : ''} → ${f.status} (×${f.count})${f.cause ? ` — ${f.cause}` : ''}`,
          indent(f.repro),
          ...(f.log.length ? ['  platform log:', ...f.log.map((l) => indent(l.length > 3000 ? `${l.slice(0, 3000)}…` : l, 4))] : []),
        ].join('\n'),
      )
      .join('\n\n');
  }
}

function indent(s: string, n = 2): string {
  return s
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
