/**
 * The simulator's log: one JSON object per line on stdout, `{time, device, state, reason, …}`,
 * for each state change of each device. Never carries a password or a login URL.
 * @module
 */

/** One log line. */
export interface DeviceLogLine {
  /** ISO 8601 time of the device's clock. */
  time: string;
  /** Device id. */
  device: string;
  /** The device's state after the change (or at the time of a note). */
  state: string;
  reason?: string;
  [field: string]: unknown;
}

/** Where log lines go. */
export type DeviceLogger = (line: DeviceLogLine) => void;

/**
 * A logger writing JSON lines (stdout by default).
 * @example const log = jsonLineLogger(); log({ time, device: 'cam-1', state: 'online' })
 */
export function jsonLineLogger(write: (text: string) => void = (text) => void process.stdout.write(text)): DeviceLogger {
  return (line) => write(`${JSON.stringify(line)}\n`);
}

/** A logger that writes nothing. */
export const silentLogger: DeviceLogger = () => {};
