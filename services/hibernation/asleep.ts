/**
 * The hibernation server's compact state of sleeping cameras (issue #22's benchmark: 10,000 of them on a node at
 * 2 KiB and 1 µs of CPU a second each). A sleeping camera's pu actor is dormant (not in memory: pu.machine.ts), and
 * its heartbeats, one a minute, do not reach it while nothing about it changes:
 * - `asleep`: the pu actors this node's host holds `hibernating` or `waking` with a link open, and that link's id,
 *   learnt from their logged transitions. A heartbeat on that link is the machine's `quiet` case (it would move only
 *   `hbSeenAt`): it is kept here, not sent. Any other heartbeat (a new link, a pu awake or offline) goes to the pu.
 * - each such device's last heartbeat: its link's, when this node holds the link (asked of the server: not kept twice),
 *   else in `heard` (relayed by the node holding the link, or the last of a link that closed). The host folds it into
 *   the pu's `hbSeenAt` (a VolatileSource: before its transitions, in its views), and the pu's offline timer, when it
 *   falls due, is looked at again at the last heartbeat plus the offline time instead of loading the pu. The timer in
 *   the pu's row keeps its time: after a restart it is the backstop.
 */
import type { Transition, VolatileSource } from '../../actors/host/host.ts';
import { HIBERNATION_TIMER } from '../../actors/machines/pu.hibernation.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { linkKey } from './link-id.ts';

/** Devices whose last heartbeat is kept at most (platform's choice: every link the server may hold, twice: a link that closed is remembered until its device is silent). */
export const HIBERNATION_HEARD_MAX = 32_000;
/** The pu states in which a heartbeat on the link the pu holds only moves `hbSeenAt` (pu.hibernation.ts quietHeartbeat). */
const QUIET_STATES = new Set(['hibernating', 'waking']);

/** Sleeping devices' pu actors, by actor id: the link each sleeps on, and its last heartbeat. */
export class AsleepMap implements VolatileSource {
  /** pu actor id → the hibernation link id its logged context holds (hibernating or waking, linked), as `linkKey` makes it. */
  private readonly asleep = new Map<string, number | string>();
  /** pu actor id → its device's last heartbeat, ms, when no link of this node has it. */
  private readonly heard = new Map<string, number>();
  private readonly startedAt: number;

  /** `onLink`: the last heartbeat on the link this node holds for a pu actor, if it holds one. */
  constructor(
    private readonly offlineAfterMs: number,
    now: number,
    private readonly onLink: (actorId: string) => number | undefined = () => undefined,
  ) {
    this.startedAt = now;
  }

  /** Devices asleep here, and devices heard. */
  get size(): { asleep: number; heard: number } {
    return { asleep: this.asleep.size, heard: this.heard.size };
  }

  /**
   * A valid heartbeat of the pu `actorId` on link `link` (its `linkKey`) at `at`, on a link of this node (`local`: the
   * link keeps its time) or relayed: whether it is quiet (the pu sleeps on that link: kept), or must go to the pu.
   */
  heartbeat(actorId: string, link: number | string, at: number, local = false): boolean {
    if (local)
      this.heard.delete(actorId); // the link's time is newer
    else if (!this.remember(actorId, at)) return false; // full: the pu is told, as before this map
    return this.asleep.get(actorId) === link;
  }

  /** Keep `at` as the last heartbeat of the pu `actorId` (a relayed one, or the last of a link that closed): whether there was room. */
  remember(actorId: string, at: number): boolean {
    if (!this.heard.has(actorId) && this.heard.size >= HIBERNATION_HEARD_MAX) return false;
    this.heard.set(actorId, at);
    return true;
  }

  /** The last heartbeat of the pu `actorId` heard here: its link's, or kept. */
  private lastHeard(actorId: string): number | undefined {
    return this.onLink(actorId) ?? this.heard.get(actorId);
  }

  /** A logged transition of this node's host: a pu that sleeps on a link, or no longer. */
  observe(t: Transition): void {
    if (t.type !== 'pu') return;
    const link = (t.context as Partial<PuContext>).hibernation;
    if (QUIET_STATES.has(t.stateKey) && link?.linked) this.asleep.set(t.actorId, linkKey(link.linkId));
    else this.asleep.delete(t.actorId);
  }

  /** Another node took these actors over: what this node knew of them is stale. */
  forget(actorIds: readonly string[]): void {
    for (const id of actorIds) {
      this.asleep.delete(id);
      this.heard.delete(id);
    }
  }

  /** Forget the heartbeats of devices silent for the offline time (their pu's own `hbSeenAt` says as much). */
  sweep(now: number): void {
    for (const [id, at] of this.heard) if (now - at > this.offlineAfterMs) this.heard.delete(id);
  }

  /** VolatileSource: the pu's `hbSeenAt`, when a heartbeat was heard here. */
  values(actorId: string): Record<string, unknown> | null {
    const at = this.lastHeard(actorId);
    return at === undefined ? null : { hbSeenAt: at };
  }

  /**
   * VolatileSource: the pu's offline timer is not due before its last heartbeat plus the offline time. Silence is
   * counted from this server's start at the earliest: heartbeats sent while the node was down were not heard (after a
   * restart, every sleeping camera's timer is past due, and its camera reconnects after a random delay).
   */
  postpone(actorId: string, timerId: string, due: number): number | null {
    if (timerId !== HIBERNATION_TIMER) return null;
    const at = this.lastHeard(actorId) ?? this.startedAt;
    const next = at + this.offlineAfterMs;
    return next > due ? next : null;
  }
}
