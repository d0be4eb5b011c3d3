/**
 * A battery that drains (BatteryChange, DevStatus `battery`; H.627.2 I.2.27, I.2.11, NOTES 5): the
 * level falls on the clock, and the PU reports it when it moved by a step since the last report
 * (OVC dap.md 5.12: "一般电量百分比变化时可以发送该通知事件"); crossing the low mark raises the
 * low-power alarm (type 8, I.2.16).
 * @module
 */
import { BATTERY_MAX_PCT, BATTERY_MIN_PCT } from '../protocol/index.ts';
import { every, type DeviceClock } from './clock.ts';

/** How the simulated battery behaves. */
export interface BatteryOptions {
  /** Level at start-up, percent. */
  level: number;
  /** Drain, percent per minute (0: the level only changes through `set`). */
  drainPctPerMin: number;
  /** Report when the level moved by at least this much since the last report, percent. */
  reportStepPct: number;
  /** Raise the low-power alarm when the level falls to this, percent. */
  lowPct: number;
}

/** Full, draining 1 % a minute, reported every 5 %, low at 20 %. Simulator's choice. */
export const BATTERY_DEFAULTS: BatteryOptions = { level: BATTERY_MAX_PCT, drainPctPerMin: 1, reportStepPct: 5, lowPct: 20 };

const MS_PER_MIN = 60_000;
/** Percent drained per tick. */
const DRAIN_TICK_PCT = 1;

/** The camera's battery. */
export class Battery {
  private current: number;
  private reported: number | undefined;
  private stopDrain: (() => void) | undefined;

  constructor(
    private readonly clock: DeviceClock,
    private readonly options: BatteryOptions,
    /** Send BatteryChange; returns false when the device is offline (reported again on the next check). */
    private readonly report: (level: number) => boolean,
    private readonly low: (level: number) => void,
  ) {
    this.current = clampLevel(options.level);
  }

  /** Battery level, percent. */
  get level(): number {
    return this.current;
  }

  /** Start draining on the clock. */
  start(): void {
    if (this.options.drainPctPerMin <= 0 || this.stopDrain !== undefined) return;
    this.stopDrain = every(this.clock, MS_PER_MIN / (this.options.drainPctPerMin / DRAIN_TICK_PCT), () => this.set(this.current - DRAIN_TICK_PCT));
  }

  /** Set the level (a charger, a test); reports and alarms as a drain would. */
  set(level: number): void {
    const before = this.current;
    this.current = clampLevel(level);
    if (before > this.options.lowPct && this.current <= this.options.lowPct) this.low(this.current);
    this.check();
  }

  /** Report the level when it moved by a step since the last report, or was never reported. */
  check(): void {
    const moved = this.reported === undefined || Math.abs(this.current - this.reported) >= this.options.reportStepPct;
    if (moved && this.report(this.current)) this.reported = this.current;
  }

  /** Stop draining. */
  dispose(): void {
    this.stopDrain?.();
    this.stopDrain = undefined;
  }
}

function clampLevel(level: number): number {
  return Math.round(Math.min(BATTERY_MAX_PCT, Math.max(BATTERY_MIN_PCT, level)));
}
