/**
 * Firmware upgrade (UpgradeFirmware, QueryUpgrade; H.627.2 I.2.7, I.2.8): download the image from
 * the given URL, then notstart → downloading → installing → done with progress 0–100 over a few
 * seconds, then reboot with the new firmware. A URL that cannot be fetched ends in `error`.
 * @module
 */
import { UPGRADE_PROGRESS_MAX_PCT, UPGRADE_PROGRESS_MIN_PCT, type QueryUpgradeResp, type UpgradeFirmwareParams } from '../protocol/index.ts';
import { every, type DeviceClock } from './clock.ts';
import { errorText, type DeviceHttp } from './http.ts';

/** Progress gained per tick, percent. Simulator's choice. */
export const UPGRADE_STEP_PCT = 10;
/** Progress at which downloading ends and installing starts, percent. Simulator's choice. */
export const UPGRADE_DOWNLOADED_PCT = 50;

/** Upgrade states of I.2.8. */
export type UpgradeStatus = QueryUpgradeResp['upgrade_status'];

/** What the upgrade needs from the camera. */
export interface UpgradeHost {
  clock: DeviceClock;
  http: DeviceHttp;
  /** Time of one progress tick, ms. */
  stepMs: number;
  /** Pause between `done` and the reboot, ms. */
  rebootDelayMs: number;
  /** Current firmware version. */
  firmware(): string;
  /** Install `firmware` (the version reported from now on). */
  install(firmware: string): void;
  /** Reboot into the new firmware. */
  reboot(reason: string): void;
  /** A line for the device log. */
  log(line: string): void;
}

/** The camera's firmware upgrade. */
export class Upgrade {
  private status: UpgradeStatus = 'notstart';
  private progress = UPGRADE_PROGRESS_MIN_PCT;
  private stopTicks: (() => void) | undefined;
  private rebootTimer: unknown;
  private generation = 0;

  constructor(private readonly host: UpgradeHost) {}

  /** QueryUpgrade answer: status, progress, and the firmware running now (OVC: "设备当前固件版本号"). */
  query(): QueryUpgradeResp {
    return { upgrade_status: this.status, progress: this.progress, firmware_model: this.host.firmware() };
  }

  /** True while downloading or installing (Keepalive device state 2). */
  get busy(): boolean {
    return this.status === 'downloading' || this.status === 'installing';
  }

  /** UpgradeFirmware: start, unless one is running; the same version again is done at once. */
  start(params: UpgradeFirmwareParams): void {
    if (this.busy) return this.host.log(`upgrade to ${params.firmware_model} ignored: an upgrade is running`);
    if (params.firmware_model === this.host.firmware()) {
      this.set('done', UPGRADE_PROGRESS_MAX_PCT);
      return this.host.log(`upgrade: already running ${params.firmware_model}`);
    }
    const generation = ++this.generation;
    this.set('downloading', UPGRADE_PROGRESS_MIN_PCT);
    this.host.log(`upgrade to ${params.firmware_model}: downloading ${params.url}`);
    this.host.http.get(params.url).then(
      (image) => generation === this.generation && this.install(params.firmware_model, image.byteLength),
      (err: unknown) => generation === this.generation && this.fail(`download failed: ${errorText(err)}`),
    );
  }

  /** Power loss: an upgrade in progress is lost (status error); a pending reboot is dropped. */
  powerOff(): void {
    this.generation++;
    this.stopTicks?.();
    this.stopTicks = undefined;
    if (this.rebootTimer !== undefined) this.host.clock.clearTimeout(this.rebootTimer);
    this.rebootTimer = undefined;
    if (this.busy) this.set('error', this.progress);
  }

  private install(firmware: string, bytes: number): void {
    this.host.log(`upgrade: ${bytes} bytes downloaded`);
    this.stopTicks = every(this.host.clock, this.host.stepMs, () => {
      const progress = Math.min(UPGRADE_PROGRESS_MAX_PCT, this.progress + UPGRADE_STEP_PCT);
      this.set(progress <= UPGRADE_DOWNLOADED_PCT ? 'downloading' : 'installing', progress);
      if (progress < UPGRADE_PROGRESS_MAX_PCT) return;
      this.stopTicks?.();
      this.stopTicks = undefined;
      this.host.install(firmware);
      this.set('done', UPGRADE_PROGRESS_MAX_PCT);
      this.host.log(`upgrade: ${firmware} installed, rebooting`);
      this.rebootTimer = this.host.clock.setTimeout(() => {
        this.rebootTimer = undefined;
        this.host.reboot(`firmware upgraded to ${firmware}`);
      }, this.host.rebootDelayMs);
    });
  }

  private fail(reason: string): void {
    this.set('error', this.progress);
    this.host.log(`upgrade: ${reason}`);
  }

  private set(status: UpgradeStatus, progress: number): void {
    this.status = status;
    this.progress = progress;
  }
}
