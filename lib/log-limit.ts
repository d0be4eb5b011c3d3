/**
 * Log lines that outsiders can cause (a camera's malformed frames, refused logins, floods) are rate-limited per key:
 * the first few of a kind in a window are written, the rest counted, and one summary line per key closes the window.
 * One device once made 375,000 log lines (50 MB) in 5 s (issue #19).
 */
import type { Logger } from './log.ts';

/** Options of a {@link LogLimiter}. */
export interface LogLimitOptions {
  /** Lines written per key and window; more are counted. */
  perWindow?: number;
  windowMs?: number;
  /** Keys tracked per window; lines of further keys share one overflow key. */
  maxKeys?: number;
}

/** Lines of one kind written per window before the rest are only counted (platform's choice). */
export const LOG_LINES_PER_WINDOW = 5;
/** The window after which suppressed lines are summed up in one line. */
export const LOG_WINDOW_MS = 10_000;
/** Keys (device and message) tracked per window. */
export const LOG_KEYS_MAX = 10_000;
/** The key shared by lines of keys past LOG_KEYS_MAX in a window. */
const OVERFLOW_KEY = '(more keys)';

type Level = 'debug' | 'info' | 'warn' | 'error';

interface Entry {
  written: number;
  suppressed: number;
  level: Level;
  msg: string;
  last: Record<string, unknown>;
}

/** Writes at most a few lines per key and window, then one summary of what it held back. */
export class LogLimiter {
  private entries = new Map<string, Entry>();
  private timer: ReturnType<typeof setInterval>;
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(
    private log: Logger,
    o: LogLimitOptions = {},
  ) {
    this.perWindow = o.perWindow ?? LOG_LINES_PER_WINDOW;
    this.windowMs = o.windowMs ?? LOG_WINDOW_MS;
    this.maxKeys = o.maxKeys ?? LOG_KEYS_MAX;
    this.timer = setInterval(() => this.flush(), this.windowMs);
    this.timer.unref?.();
  }

  /** A warning, limited per `key` (e.g. the device id) and message. */
  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    this.write('warn', key, obj, msg);
  }

  /** An error, limited likewise. */
  error(key: string, obj: Record<string, unknown>, msg: string): void {
    this.write('error', key, obj, msg);
  }

  /** An info line, limited likewise. */
  info(key: string, obj: Record<string, unknown>, msg: string): void {
    this.write('info', key, obj, msg);
  }

  /** Write what is held back as summaries, and start a new window. */
  flush(): void {
    for (const e of this.entries.values()) {
      if (e.suppressed > 0) this.log[e.level]({ ...e.last, suppressed: e.suppressed, windowS: this.windowMs / 1000 }, `${e.msg} (similar lines suppressed)`);
    }
    this.entries.clear();
  }

  /** Stop the window timer, writing what is held back. */
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private write(level: Level, key: string, obj: Record<string, unknown>, msg: string): void {
    if (!this.log.isLevelEnabled(level)) return;
    let k = `${key}\0${msg}`;
    let e = this.entries.get(k);
    if (!e) {
      if (this.entries.size >= this.maxKeys) {
        k = `${OVERFLOW_KEY}\0${msg}`;
        e = this.entries.get(k);
      }
      if (!e) {
        e = { written: 0, suppressed: 0, level, msg, last: obj };
        this.entries.set(k, e);
      }
    }
    if (e.written < this.perWindow) {
      e.written++;
      this.log[level](obj, msg);
    } else {
      e.suppressed++;
      e.last = obj;
    }
  }
}
