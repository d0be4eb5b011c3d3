/** Structured logging: one JSON object per line (pino), with a child logger per module. */
import pino from 'pino';

/** A structured logger. */
export type Logger = pino.Logger;

/** The process-wide root logger; level from LOG_LEVEL (default info). */
export const rootLog: Logger = pino({
  level: process.env.LOG_LEVEL || 'info',
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

/** A logger for one module (`{"mod": name}` on every line). */
export function moduleLog(name: string, parent: Logger = rootLog): Logger {
  return parent.child({ mod: name });
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLog: Logger = pino({ level: 'silent' });
