/**
 * The SD card (GetDiskInfo, FormatDisk; H.627.2 I.2.31, I.2.32, NOTES 12): FormatDisk answers at
 * once, then the card reports state 3 "formatting" for a while and comes back empty.
 * @module
 */
import { DISK_STATE, VD_ERR, type GetDiskInfoResp } from '../protocol/index.ts';
import type { DeviceClock } from './clock.ts';
import { VdFault } from './vd-fault.ts';

/** What card the camera has. */
export interface DiskOptions {
  /** normal, no_card or exception (a card the camera cannot read). */
  state: 'normal' | 'no_card' | 'exception';
  /** Capacity, MB. */
  totalMb: number;
  /** Free space, MB. */
  freeMb: number;
  /** How long a format takes, ms. */
  formatMs: number;
}

/** A 32 GB card, partly used. Simulator's choice. */
export const DISK_DEFAULTS: DiskOptions = { state: 'normal', totalMb: 29_819, freeMb: 18_432, formatMs: 5_000 };

/** The camera's SD card. */
export class Disk {
  private state: GetDiskInfoResp['state'];
  private freeMb: number;
  private readonly totalMb: number;
  private formatting: unknown;

  constructor(
    private readonly clock: DeviceClock,
    private readonly options: DiskOptions = DISK_DEFAULTS,
  ) {
    this.state = DISK_STATE[options.state];
    this.totalMb = options.totalMb;
    this.freeMb = Math.min(options.freeMb, options.totalMb);
  }

  /** GetDiskInfo answer: the state, and sizes when a card is readable (OVC sends only `state`). */
  info(): GetDiskInfoResp {
    if (this.state === DISK_STATE.no_card || this.state === DISK_STATE.exception) return { state: this.state };
    return { state: this.state, total: this.totalMb, free: this.freeMb };
  }

  /** FormatDisk: start formatting and return at once; without a card it fails (err 500). */
  format(): void {
    if (this.state === DISK_STATE.no_card) throw new VdFault(VD_ERR.SERVER_ERROR, 'no SD card inserted');
    if (this.state === DISK_STATE.formatting) return;
    this.state = DISK_STATE.formatting;
    this.formatting = this.clock.setTimeout(() => {
      this.formatting = undefined;
      this.state = DISK_STATE.normal;
      this.freeMb = this.totalMb;
    }, this.options.formatMs);
  }

  /** Stop the format timer (the simulator is shutting down); a format in progress completes. */
  dispose(): void {
    if (this.formatting === undefined) return;
    this.clock.clearTimeout(this.formatting);
    this.formatting = undefined;
    this.state = DISK_STATE.normal;
    this.freeMb = this.totalMb;
  }
}
