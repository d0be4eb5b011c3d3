/**
 * A battery that drains (BatteryChange, DevStatus `battery`; H.627.2 I.2.27, I.2.11, NOTES 5): the
 * level falls on the clock, faster awake than asleep, and the PU reports it when it moved by a step since the last report
 * (OVC dap.md 5.12: "一般电量百分比变化时可以发送该通知事件"); crossing the low mark raises the
 * low-power alarm (type 8, I.2.16).
 * @module
 */
import { BATTERY_MAX_PCT, BATTERY_MIN_PCT } from '../protocol/index.ts';
import type { DeviceClock } from './clock.ts';

/** How the simulated battery behaves. */
export interface BatteryOptions {
  /** Level at start-up, percent. */
  level: number;
  /** Drain while awake, percent per minute (0: the level only changes through `set`). */
  drainPctPerMin: number;
  /** Drain while asleep (only the network chip powered: issue #22 point 7), percent per minute. */
  drainAsleepPctPerMin: number;
  /** Report when the level moved by at least this much since the last report, percent. */
  reportStepPct: number;
  /** Raise the low-power alarm when the level falls to this, percent. */
  lowPct: number;
}

/**
 * Full, draining 1 % a minute awake and 0.05 % a minute asleep (twenty times less: the main chip and the sensor are
 * off), reported every 5 %, low at 20 %. Simulator's choice.
 */
export const BATTERY_DEFAULTS: BatteryOptions = { level: BATTERY_MAX_PCT, drainPctPerMin: 1, drainAsleepPctPerMin: 0.05, reportStepPct: 5, lowPct: 20 };

const MS_PER_MIN = 60_000;
/** Percent drained per step (the level is whole percents). */
const DRAIN_TICK_PCT = 1;

/** The camera's battery. */
export class Battery {
  private current: number;
  private reported: number | undefined;
  private running = false;
  private asleep = false;
  /** Part of the next percent drained so far (0 to 1), and the clock time it was counted at. */
  private drained = 0;
  private countedAt = 0;
  private next: unknown;

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

  /** Drain now, percent per minute: the awake or the asleep rate. */
  get drainPctPerMin(): number {
    return this.asleep ? this.options.drainAsleepPctPerMin : this.options.drainPctPerMin;
  }

  /** Start draining on the clock. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.countedAt = this.clock.now();
    this.schedule();
  }

  /** The device fell asleep or woke: what was drained at the old rate is kept, the next percent comes at the new one. */
  sleep(asleep: boolean): void {
    if (asleep === this.asleep) return;
    this.count();
    this.asleep = asleep;
    if (this.running) this.schedule();
  }

  private count(): void {
    const now = this.clock.now();
    if (this.running) this.drained = Math.min(1, this.drained + ((now - this.countedAt) * this.drainPctPerMin) / (MS_PER_MIN * DRAIN_TICK_PCT));
    this.countedAt = now;
  }

  /** Arm the timer of the next percent at the current rate. */
  private schedule(): void {
    this.clock.clearTimeout(this.next);
    this.next = undefined;
    const rate = this.drainPctPerMin;
    if (rate <= 0) return;
    this.next = this.clock.setTimeout(
      () => {
        this.drained = 0;
        this.countedAt = this.clock.now();
        this.set(this.current - DRAIN_TICK_PCT);
        this.schedule();
      },
      ((1 - this.drained) * MS_PER_MIN * DRAIN_TICK_PCT) / rate,
    );
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
    this.running = false;
    this.clock.clearTimeout(this.next);
    this.next = undefined;
  }
}

function clampLevel(level: number): number {
  return Math.round(Math.min(BATTERY_MAX_PCT, Math.max(BATTERY_MIN_PCT, level)));
}
