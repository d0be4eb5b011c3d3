/**
 * Live Vd connections, one per logged-in device, and the platform → PU request layer over them:
 * each request gets the connection's next `seq` (9.3.2.1: each direction counts its own), answers
 * are matched by seq, and a request unanswered for RPC_TIMEOUT_S fails (NOTES "Message framing").
 * Late, unknown and duplicate answers are logged and dropped.
 */
import type { Logger } from '../../lib/log.ts';
import type { TokenBucket } from '../../lib/token-bucket.ts';
import { VdBudgets } from './vd-budget.ts';
import { RPC_TIMEOUT_S } from '../../protocol/constants.ts';
import { vdEvent, vdRequest } from '../../protocol/vd-frame.ts';
import { VdReplyOrder } from './vd-reply-order.ts';

// The builders are typed per message; here the name is only known at run time (validated upstream).
const sendRequest = vdRequest as unknown as (name: string, seq: number, params?: unknown) => string;
const sendEvent = vdEvent as unknown as (name: string, params?: unknown) => string;

/** The socket operations the registry needs (a Bun ServerWebSocket fits). */
export interface VdSocket {
  send(data: string): number | undefined;
  close(code?: number, reason?: string): void;
}

/** Close code when a second login of the same device replaces this connection (private range, RFC 6455 7.4.2). */
export const CLOSE_REPLACED = 4000;
/** Close code when the platform drops a device (deprovisioned, told to reconnect). */
export const CLOSE_DROPPED = 4001;
/** Close code for a connection that keeps sending malformed frames (RFC 6455: policy violation). */
export const CLOSE_POLICY = 1008;
/** Close code when the platform shuts down (RFC 6455: going away). */
export const CLOSE_GOING_AWAY = 1001;
/** Milliseconds a platform → PU request waits for its answer. */
export const RPC_TIMEOUT_MS = RPC_TIMEOUT_S * 1000;

/** The outcome of a request to a device. */
export type VdAnswer =
  | { ok: true; resp: unknown }
  | { ok: false; kind: 'err'; code: number; msg: string }
  | { ok: false; kind: 'timeout' | 'disconnected' | 'offline'; msg: string };

interface Pending {
  name: string;
  resolve: (a: VdAnswer) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One device's live connection. */
export class VdConnection {
  /** Seq of the next platform → PU request. */
  private nextSeq = 1;
  private pending = new Map<number, Pending>();
  /** Malformed frames in a row (a well-formed one resets it). */
  garbage = 0;
  /** Frames refused in a row for being over the device's message budget. */
  overruns = 0;
  /** The device's message budget (shared by its connections: a reconnect does not refill it). */
  budget!: TokenBucket;
  closed = false;
  /** The platform closed it (a policy close): frames still in flight are ignored. */
  closing = false;
  /** Answers to the device's requests, sent in the order the requests arrived (9.3.2.1.1). */
  readonly replies: VdReplyOrder;

  constructor(
    readonly connId: string,
    readonly deviceId: string,
    readonly macId: string,
    readonly socket: VdSocket,
    readonly ip: string | undefined,
  ) {
    this.replies = new VdReplyOrder(socket);
  }

  /** Send a request; resolves with the device's answer, an error, or a timeout. */
  request(name: string, params: unknown, timeoutMs: number): Promise<VdAnswer> {
    if (this.closed) return Promise.resolve({ ok: false, kind: 'disconnected', msg: 'the device is not connected' });
    const seq = this.nextSeq++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        resolve({ ok: false, kind: 'timeout', msg: `no answer to ${name} within ${timeoutMs / 1000} s` });
      }, timeoutMs);
      this.pending.set(seq, { name, resolve, timer });
      this.socket.send(sendRequest(name, seq, params));
    });
  }

  /** Send an event (never answered, 9.3.2.1.2). */
  event(name: string, params: unknown): void {
    this.socket.send(sendEvent(name, params));
  }

  /** Take the request an answer belongs to; undefined for a late, unknown or duplicate answer. */
  settle(seq: number, answer: VdAnswer): string | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    p.resolve(answer);
    return p.name;
  }

  /** The socket is gone: fail whatever still waits. */
  fail(msg: string): void {
    this.closed = true;
    this.replies.close();
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, kind: 'disconnected', msg });
      this.pending.delete(seq);
    }
  }
}

/** Every live Vd connection, by device. */
export class VdConnections {
  private byDevice = new Map<string, VdConnection>();
  /** Each device's message, alarm and Bind budgets (services/vd/vd-budget.ts). */
  readonly budgets: VdBudgets;

  constructor(
    private log: Logger,
    budgets: VdBudgets = new VdBudgets(),
  ) {
    this.budgets = budgets;
  }

  /** Number of connected devices. */
  get size(): number {
    return this.byDevice.size;
  }

  /** The live connection of a device. */
  get(deviceId: string): VdConnection | undefined {
    return this.byDevice.get(deviceId);
  }

  /** Every live connection (a drain tells them to Reschedule, services/cluster/drain.ts). */
  connections(): IterableIterator<VdConnection> {
    return this.byDevice.values();
  }

  /** Register a new login; a previous connection of the same device is closed (replaced). */
  attach(conn: VdConnection): void {
    conn.budget = this.budgets.messages.of(conn.deviceId);
    const old = this.byDevice.get(conn.deviceId);
    this.byDevice.set(conn.deviceId, conn);
    if (old && old !== conn) {
      old.fail('replaced by a new login');
      this.log.info({ device: conn.deviceId, old: old.connId, new: conn.connId }, 'vd connection replaced by a new login');
      try {
        old.socket.close(CLOSE_REPLACED, 'replaced by a new login');
      } catch {
        // already closing
      }
    }
  }

  /** Forget a closed connection (only if it is still the device's current one). */
  detach(conn: VdConnection, reason: string): boolean {
    conn.fail(reason);
    if (this.byDevice.get(conn.deviceId) !== conn) return false;
    this.byDevice.delete(conn.deviceId);
    return true;
  }

  /** Send a request to a device and wait for its answer. */
  request(deviceId: string, name: string, params: unknown, timeoutMs = RPC_TIMEOUT_MS): Promise<VdAnswer> {
    const conn = this.byDevice.get(deviceId);
    if (!conn) return Promise.resolve({ ok: false, kind: 'offline', msg: 'the device is not connected' });
    return conn.request(name, params, timeoutMs);
  }

  /** Send an event to a device; false when it is not connected. */
  event(deviceId: string, name: string, params: unknown): boolean {
    const conn = this.byDevice.get(deviceId);
    if (!conn) return false;
    conn.event(name, params);
    return true;
  }

  /** Close a device's connection. */
  close(deviceId: string, code: number, reason: string): void {
    const conn = this.byDevice.get(deviceId);
    if (!conn) return;
    try {
      conn.socket.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** Close every connection (shutdown). */
  closeAll(code: number, reason: string): void {
    for (const conn of this.byDevice.values()) {
      try {
        conn.socket.close(code, reason);
      } catch {
        // already closing
      }
    }
  }
}
