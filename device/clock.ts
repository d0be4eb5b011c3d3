/**
 * Time on the device side: the injectable clock every timer goes through (XState's SimulatedClock
 * fits it), and the device's wall clock with its offset and time zone (H.627.2 9.3.1.1 step 3,
 * I.2.9, I.2.10; NOTES 6).
 * @module
 */
import { TZ_DEFAULT_H, type QueryTimeResp, type SettimeParams } from '../protocol/index.ts';

/** Milliseconds per second. */
const MS_PER_S = 1_000;
/** Milliseconds per hour (time zones are whole hours east of UTC, NOTES 6). */
const MS_PER_H = 3_600_000;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** A clock for timers and "now": `Date.now` and the global timers, or XState's SimulatedClock in tests. */
export interface DeviceClock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The real clock. */
export const realClock: DeviceClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Run `fn` every `ms` on `clock` until the returned function is called. */
export function every(clock: DeviceClock, ms: number, fn: () => void): () => void {
  let id: unknown;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    fn();
    if (!stopped) id = clock.setTimeout(tick, ms);
  };
  id = clock.setTimeout(tick, ms);
  return () => {
    stopped = true;
    clock.clearTimeout(id);
  };
}

/**
 * `yyyy-MM-ddTHH:mm:ss` of an instant as seen in time zone `tz` (hours east of UTC).
 * @example formatDateTime(Date.UTC(2026, 0, 1), 8) // '2026-01-01T08:00:00'
 */
export function formatDateTime(epochMs: number, tz: number): string {
  return new Date(epochMs + tz * MS_PER_H).toISOString().slice(0, 19);
}

/** The instant a `yyyy-MM-ddTHH:mm:ss` wall-clock time in zone `tz` names, or undefined if malformed. */
export function parseDateTime(text: string, tz: number): number | undefined {
  const parts = DATETIME.exec(text)?.slice(1).map(Number);
  if (parts === undefined) return undefined;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) - tz * MS_PER_H;
}

/**
 * The device's wall clock: the injected clock plus an offset the device corrects (Vs SyncTime,
 * Settime), and the device's time zone.
 */
export class DeviceTime {
  /** Hours east of UTC. */
  tz: number;
  private offsetMs: number;

  constructor(
    private readonly clock: DeviceClock,
    skewMs = 0,
    tz: number = TZ_DEFAULT_H,
  ) {
    this.offsetMs = skewMs;
    this.tz = tz;
  }

  /** Device time, milliseconds since the epoch. */
  now(): number {
    return this.clock.now() + this.offsetMs;
  }

  /** Device time, whole seconds since the epoch (AlarmNotify `timestamp`, signed login `login_ts`). */
  nowS(): number {
    return Math.floor(this.now() / MS_PER_S);
  }

  /** How far the device clock is from the injected clock (its skew), ms. */
  get skewMs(): number {
    return this.offsetMs;
  }

  /** Move the device clock by `deltaMs`. */
  adjust(deltaMs: number): void {
    this.offsetMs += deltaMs;
  }

  /** Set the device clock to `epochMs` now. */
  setTo(epochMs: number): void {
    this.offsetMs += epochMs - this.now();
  }

  /** `yyyy-MM-ddTHH:mm:ss` of `epochMs` (default now) in the device's zone. */
  format(epochMs: number = this.now()): string {
    return formatDateTime(epochMs, this.tz);
  }

  /** The instant a `yyyy-MM-ddTHH:mm:ss` in the device's zone names (NaN when malformed). */
  parse(text: string): number {
    return parseDateTime(text, this.tz) ?? Number.NaN;
  }

  /**
   * Settime (I.2.9, NOTES 6): `datetime` is wall-clock time in `tz` (TZ_DEFAULT_H when absent); the
   * clock changes only when it is more than `offset` seconds away. A given `tz` becomes the device's.
   * Returns true when the clock was changed.
   */
  set(params: SettimeParams): boolean {
    const tz = params.tz ?? TZ_DEFAULT_H;
    if (params.tz !== undefined) this.tz = params.tz;
    const target = parseDateTime(params.datetime, tz);
    if (target === undefined || Math.abs(target - this.now()) <= params.offset * MS_PER_S) return false;
    this.setTo(target);
    return true;
  }

  /** QueryTime answer (I.2.10): local time in the device's zone, and the zone. */
  query(): QueryTimeResp {
    return { datetime: this.format(), tz: this.tz };
  }
}
