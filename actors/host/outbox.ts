/**
 * Messages between actors (`actor.send`, see tell.ts): durable, delivered after the sender's
 * commit, at least once, applied once.
 *
 * - The sender's commit stores each message in `actor_outbox` (effects.ts puts the row in the same
 *   statement as the sender's event), keyed by its effect key `<sender>:<seq>:<index>`.
 * - After that commit the message is delivered through the host's usual path (the receiver loaded
 *   if it is not resident) with its key. The receiver's event row records the key, and the commit
 *   that stores it deletes the outbox row in the same statement. An event the receiver ignores
 *   deletes the row directly; so does a receiver that does not exist (logged).
 * - So every row still in the outbox after a crash is undelivered: {@link Outbox.redeliver} (at
 *   start) sends them again. A receiver that already logged a key cannot log it twice (a unique
 *   index); the committer reports such a write as {@link AlreadyDeliveredError} and the receiver is
 *   reloaded from the store, the duplicate dropped.
 */
import { isDatabaseUnavailable } from '../../db/errors.ts';
import type { Delivery, HostCore } from './core.ts';
import { apply } from './dispatch.ts';
import { ActorElsewhereError, ActorExistsError, ActorNotFoundError, AlreadyDeliveredError } from './errors.ts';
import type { ActorSpawn } from './tell.ts';
import { deleteOutboxRow, loadOutbox } from './store.ts';
import { writerOf } from './ownership.ts';
import type { Resident } from './types.ts';

/** When a message's receiver cannot be loaded because the database is unavailable, it is tried again after this (platform's choice, as for timers). */
export const DELIVERY_RETRY_MS = 1000;

/** Called before each delivery (tests kill the process here, between the commit and the delivery). */
export type BeforeDeliver = (d: Delivery) => void;

/** Delivers committed messages and redelivers those a crash left undelivered. */
export class Outbox {
  /** Keys being delivered by this host (from delivery until the receiver's commit): a redelivery skips them. */
  private inFlight = new Set<string>();
  /** Keys this host cannot deliver (their receiver's machine version is gone): left for a start that can. */
  private parked = new Set<string>();

  constructor(
    private core: HostCore,
    private beforeDeliver?: BeforeDeliver,
  ) {}

  /** Deliver one message to its receiver (see the module comment for what happens to its outbox row). */
  deliver(d: Delivery): void {
    if (this.core.isStopping() || this.inFlight.has(d.key)) return; // a stopping host leaves it in the outbox for the next start
    this.inFlight.add(d.key);
    try {
      this.beforeDeliver?.(d);
    } catch (err) {
      this.inFlight.delete(d.key);
      this.core.log.error({ actor: d.to, message: d.key, err: String(err) }, 'message not delivered; it stays in the outbox');
      return;
    }
    this.core.withResident(d.to, (r) => (r instanceof Error ? this.unreachable(d, r) : this.applyTo(r, d)));
  }

  /** Redeliver every message still in the outbox (at start: what a crash left between a commit and its delivery). */
  async redeliver(olderThanMs = 0): Promise<number> {
    const rows = (await loadOutbox(this.core.db, this.core.owner && writerOf(this.core.owner), olderThanMs)).filter((m) => !this.parked.has(m.key));
    for (const m of rows) this.deliver({ key: m.key, from: m.sender_id, to: m.receiver_id, event: m.event, ...(m.spawn ? { create: m.spawn } : {}) });
    return rows.length;
  }

  private applyTo(r: Resident, d: Delivery): void {
    let wait: ReturnType<typeof apply>['wait'];
    try {
      wait = apply(this.core, r, d.event, undefined, false, d.key).wait;
    } catch (err) {
      // The receiver's machine fails on it: it would fail again on every redelivery.
      this.core.log.error({ actor: d.to, from: d.from, message: d.key, event: d.event.type, err: String(err) }, 'message failed on its receiver; dropped');
      return this.drop(d);
    }
    if (!wait) return this.drop(d); // ignored: no row will delete it
    wait.waiters.push({
      result: undefined as never,
      resolve: () => this.inFlight.delete(d.key),
      reject: (err) => {
        this.inFlight.delete(d.key);
        if (err instanceof AlreadyDeliveredError) this.core.log.info({ actor: d.to, message: d.key }, 'message delivered before; duplicate dropped');
        // Refused or not yet written: the row stays, and the next start delivers it again.
        else this.core.log.warn({ actor: d.to, message: d.key, err: err.message }, 'message not yet stored by its receiver; it stays in the outbox');
      },
    });
  }

  private unreachable(d: Delivery, err: Error): void {
    this.inFlight.delete(d.key);
    if (err instanceof ActorNotFoundError && d.create) return this.spawn(d, d.create);
    if (err instanceof ActorNotFoundError) {
      // Messages to an actor not made yet, loaded together, all find nothing; the one that makes it (its `create`)
      // spawns it in this same turn, maybe after this one: looked at again once the turn's deliveries are done. Dropped
      // at once, a viewer's join sent right behind the stream's creation was lost (tests/cluster/parity.test.ts: two of
      // three concurrent watches answered 503).
      queueMicrotask(() => {
        if (this.core.residents.has(d.to)) return this.deliver(d);
        this.core.log.warn({ actor: d.to, from: d.from, message: d.key, event: d.event.type }, 'message to an actor that does not exist; dropped');
        this.drop(d);
      });
      return;
    }
    // Another live node owns the receiver: the row stays, and that node delivers it (docs/cluster.md).
    if (err instanceof ActorElsewhereError) return;
    if (isDatabaseUnavailable(err)) {
      this.core.clock.setTimeout(() => this.deliver(d), DELIVERY_RETRY_MS);
      return;
    }
    // Its machine version is gone, say: the row stays for a start that has it (not for this host's orphan rounds).
    this.parked.add(d.key);
    this.core.log.error({ actor: d.to, message: d.key, err: err.message }, 'message not delivered; it stays in the outbox');
  }

  /**
   * Make a message's receiver, then deliver the message to it. The new actor is resident at once
   * (its first row commits before the message's row, in order), so the messages that follow it find
   * it; one that raced it here finds it made already and is simply delivered.
   */
  private spawn(d: Delivery, s: ActorSpawn): void {
    try {
      this.core
        .spawn(s.type, d.to, s.input, { deviceId: s.deviceId, parentId: s.parentId })
        .catch((err) =>
          this.core.log.error({ actor: d.to, from: d.from, message: d.key, err: String(err) }, 'receiver not created; the message stays in the outbox'),
        );
    } catch (err) {
      if (!(err instanceof ActorExistsError)) {
        this.core.log.error({ actor: d.to, from: d.from, message: d.key, err: String(err) }, 'receiver not created; the message stays in the outbox');
        return;
      }
    }
    this.deliver(d);
  }

  /** Delete a message that will never be applied. */
  private drop(d: Delivery): void {
    this.inFlight.delete(d.key);
    deleteOutboxRow(this.core.db, d.key).catch((err) =>
      this.core.log.warn({ message: d.key, err: String(err) }, 'outbox row not deleted; the message is delivered again at the next start'),
    );
  }
}
