/**
 * H.627.2 9.3.2.1.1: each side answers requests in the order they arrived. A handler may answer at once (Keepalive)
 * or after a write (AlarmNotify stores a row), so answers are queued per connection: an answer waits only while an
 * earlier answer of the same connection is still pending. Nothing waits across connections, and the common case
 * (nothing pending) sends at once without touching the queue: the keepalive fast path is unchanged.
 *
 * Bounded: at most VD_REPLIES_PENDING_MAX answers may wait on one connection. A device past it is not answering
 * the platform's pace (each of those requests holds a handler in flight); its next request is not served and the
 * connection is closed with a policy code, as OVC tells either end to drop a peer that misbehaves (NOTES "Message
 * framing"). The device reconnects and its budgets still hold (services/vd/vd-budget.ts).
 */
import type { VdSocket } from './vd-connections.ts';

/**
 * Answers that may wait on one connection (platform's choice). Above the message budget's burst (100,
 * VD_MESSAGE_BUDGET_DEFAULT), so a device within its budget meets it only if the platform stalls for a while;
 * each waiting answer is a short JSON text (an `err` message is at most a few hundred bytes).
 */
export const VD_REPLIES_PENDING_MAX = 256;

/** A place in the order, taken when a request arrives and filled when its answer is ready. */
export interface ReplySlot {
  text: string | undefined;
}

/** One connection's answers, sent in request order. */
export class VdReplyOrder {
  /** Slots from the oldest unsent answer on; `head` skips the sent ones without shifting the array each time. */
  private slots: ReplySlot[] = [];
  private head = 0;
  private closed = false;

  constructor(private socket: VdSocket) {}

  /** Answers waiting (their own or behind an earlier one). */
  get waiting(): number {
    return this.slots.length - this.head;
  }

  /** Room for one more answer (false at VD_REPLIES_PENDING_MAX: the caller closes the connection). */
  get hasRoom(): boolean {
    return this.waiting < VD_REPLIES_PENDING_MAX;
  }

  /** An answer ready now: sent at once unless an earlier one is pending, then queued behind it. */
  send(text: string): void {
    if (this.waiting === 0) {
      if (!this.closed) this.socket.send(text);
      return;
    }
    this.slots.push({ text });
  }

  /** Take the next place for an answer that will come later (fill it with `fill`). */
  reserve(): ReplySlot {
    const slot: ReplySlot = { text: undefined };
    this.slots.push(slot);
    return slot;
  }

  /** The answer of a reserved place: it and every ready answer behind it leave in order. */
  fill(slot: ReplySlot, text: string): void {
    slot.text = text;
    this.flush();
  }

  /** The connection is gone: drop what waits, send nothing more. */
  close(): void {
    this.closed = true;
    this.slots = [];
    this.head = 0;
  }

  private flush(): void {
    while (this.head < this.slots.length) {
      const text = this.slots[this.head]!.text;
      if (text === undefined) break;
      this.head++;
      if (!this.closed) this.socket.send(text);
    }
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > VD_REPLIES_PENDING_MAX) {
      // Always one pending (alarms in a row): drop the sent prefix so the array stays within twice the bound.
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}
