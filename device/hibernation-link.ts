/**
 * The device side of the hibernation protocol (OVC hibernation.md): while the camera sleeps, its network chip holds
 * one TCP connection to the hibernation server GetServerInfo named (`hibernation`, I.2.2), sends a heartbeat with
 * its `hb_token` every 60 s, and wakes the camera when `TOWAKEUP` arrives.
 */
import type { Socket } from 'bun';
import { encodeHeartbeat, WakeScanner } from '../protocol/hibernation.ts';

/** One hibernation connection. */
export class HibernationLink {
  /** `TOWAKEUP`s received so far. */
  wakes = 0;
  /** Set once the connection is closed. */
  closed = false;
  private readonly scanner = new WakeScanner();
  private readonly wakeWaiters: Array<() => void> = [];
  private readonly closeWaiters: Array<() => void> = [];
  private socket?: Socket<undefined>;

  private constructor(private readonly onWake: () => void) {}

  /**
   * Connect to `host:port` (the GetServerInfo `hibernation` address).
   * @example const link = await HibernationLink.connect('127.0.0.1', 9711, () => wakeUp())
   */
  static async connect(host: string, port: number, onWake: () => void = () => {}): Promise<HibernationLink> {
    const link = new HibernationLink(onWake);
    link.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, chunk) => link.received(chunk),
        close: () => link.ended(),
        error: () => link.ended(),
      },
    });
    return link;
  }

  /** Split `host:port` (IPv6 in brackets) as GetServerInfo gives it. */
  static parseAddress(address: string): { host: string; port: number } {
    const i = address.lastIndexOf(':');
    return { host: address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(i + 1)) };
  }

  /** Send one heartbeat. */
  heartbeat(macid: string, token: string): void {
    this.raw(encodeHeartbeat({ macid, token }));
  }

  /** Send raw bytes (tests: partial, garbage). */
  raw(bytes: Uint8Array): void {
    this.socket?.write(bytes);
  }

  /** Resolves at the next `TOWAKEUP` (or at once if one came since `after`). */
  nextWake(after = this.wakes): Promise<void> {
    if (this.wakes > after) return Promise.resolve();
    return new Promise((resolve) => this.wakeWaiters.push(resolve));
  }

  /** Resolves when the connection is closed. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Close the connection. */
  close(): void {
    this.socket?.end();
  }

  private received(chunk: Uint8Array): void {
    const n = this.scanner.push(chunk);
    if (n === 0) return;
    this.wakes += n;
    this.onWake();
    for (const w of this.wakeWaiters.splice(0)) w();
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.closeWaiters.splice(0)) w();
  }
}
