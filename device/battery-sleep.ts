/**
 * A battery camera that sleeps (issue #22 point 7; OVC hibernation.md 2.1): after `idleMs` with nothing to do (no
 * platform message, no live push or recording, no KeepAwaken in force) it closes its Vd connection and its network
 * chip keeps one TCP link to the hibernation server GetServerInfo named, with a heartbeat every interval; on
 * `TOWAKEUP` it powers up and logs in as usual (Vs, then Vd with reconnect=1).
 */
import { HIBERNATION_HB_INTERVAL_S } from '../protocol/hibernation.ts';
import { HibernationLink } from './hibernation-link.ts';

/** How a battery camera sleeps. */
export interface SleepOptions {
  /** Idle time after which it sleeps, ms. */
  idleMs: number;
  /** Heartbeat interval while asleep, ms (OVC: 60 s). */
  hbIntervalMs?: number;
}

/** How often the idle rule is checked, ms (simulator's choice). */
const IDLE_CHECK_MS = 1_000;

/** What the sleeper needs of the device. */
export interface SleeperHooks {
  /** The MAC the heartbeats carry. */
  mac: string;
  /** The hibernation server and token from the last GetServerInfo (undefined: none offered). */
  hibernation(): { address: string; token: string } | undefined;
  /** Whether the device is online over Vd now. */
  online(): boolean;
  /** Whether something keeps it awake: a push, a recording, a KeepAwaken in force. */
  busy(): boolean;
  /** Close Vd and stop its timers (the main chip powers down). */
  powerDown(): void;
  /** Power up and log in again. */
  powerUp(): void;
  log(line: string): void;
}

/** Puts the device to sleep when idle and wakes it on TOWAKEUP. */
export class Sleeper {
  /** Device time of the last thing that kept it awake. */
  private activeAt = Date.now();
  private link?: HibernationLink;
  private beat?: ReturnType<typeof setInterval>;
  private readonly check: ReturnType<typeof setInterval>;
  /** Asleep now. */
  asleep = false;
  /** Times it fell asleep and woke. */
  sleeps = 0;
  wakes = 0;
  /** When the last TOWAKEUP came (ms since the epoch): the camera's boot, to its Vd login, starts there. */
  wokeAt?: number;

  constructor(
    private readonly hooks: SleeperHooks,
    private readonly opts: SleepOptions,
  ) {
    this.check = setInterval(() => void this.tick(), IDLE_CHECK_MS);
  }

  /** Something happened that keeps it awake (a platform message). */
  touch(): void {
    this.activeAt = Date.now();
  }

  /** Stop sleeping and waking (the device is disposed). */
  dispose(): void {
    clearInterval(this.check);
    this.dropLink();
  }

  private async tick(): Promise<void> {
    if (this.asleep || !this.hooks.online()) return;
    if (this.hooks.busy()) return this.touch();
    if (Date.now() - this.activeAt < this.opts.idleMs) return;
    const hib = this.hooks.hibernation();
    if (!hib) return; // no hibernation server: it stays awake
    this.asleep = true;
    this.sleeps++;
    this.hooks.log(`idle for ${this.opts.idleMs / 1000} s: going to sleep (hibernation server ${hib.address})`);
    this.hooks.powerDown();
    try {
      const at = HibernationLink.parseAddress(hib.address);
      const link = await HibernationLink.connect(at.host, at.port, () => this.wake());
      this.link = link;
      const beat = () => link.heartbeat(this.hooks.mac, hib.token);
      beat();
      this.beat = setInterval(beat, this.opts.hbIntervalMs ?? HIBERNATION_HB_INTERVAL_S * 1000);
    } catch (err) {
      this.hooks.log(`hibernation link failed (${String(err)}): waking up`);
      this.wake();
    }
  }

  private wake(): void {
    if (!this.asleep) return;
    this.asleep = false;
    this.wakes++;
    this.wokeAt = Date.now();
    this.hooks.log('TOWAKEUP: powering up');
    this.dropLink();
    this.touch();
    this.hooks.powerUp();
  }

  private dropLink(): void {
    clearInterval(this.beat);
    this.link?.close();
    this.link = undefined;
  }
}
