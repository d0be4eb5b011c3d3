/**
 * Continuous mode's events (issue 25 point 3): per-frame detections merged into presences with a start and an end
 * ("a person present from … to …"), not one row per frame. A class starts a presence on the first frame it is seen
 * in and ends it when it has not been seen for `goneAfterMs`. Pure: frames and times in, starts and ends out.
 */

/** How long a class must be absent before its presence ends (a missed frame or two does not split it). */
export const PRESENCE_GONE_AFTER_MS = 5_000;

/** A presence that started or ended. */
export type PresenceChange =
  | { kind: 'start'; class: string; at: number; score: number }
  | { kind: 'end'; class: string; from: number; to: number; bestScore: number };

interface Open {
  from: number;
  lastSeen: number;
  bestScore: number;
}

/** Merges one channel's frames into presences. */
export class Presence {
  private open = new Map<string, Open>();

  constructor(private readonly goneAfterMs = PRESENCE_GONE_AFTER_MS) {}

  /** One frame's classes of interest (best score each) at `at` ms (in any order): what started and what ended. */
  frame(at: number, seen: ReadonlyMap<string, number>): PresenceChange[] {
    const out: PresenceChange[] = this.expire(at);
    for (const [cls, score] of seen) {
      const o = this.open.get(cls);
      if (o) {
        o.lastSeen = Math.max(o.lastSeen, at); // frames' results may come out of order
        o.bestScore = Math.max(o.bestScore, score);
      } else {
        this.open.set(cls, { from: at, lastSeen: at, bestScore: score });
        out.push({ kind: 'start', class: cls, at, score });
      }
    }
    return out;
  }

  /** Ends what has not been seen for `goneAfterMs` by `at` (call it on a timer when frames stop coming). */
  expire(at: number): PresenceChange[] {
    const out: PresenceChange[] = [];
    for (const [cls, o] of this.open) {
      if (at - o.lastSeen < this.goneAfterMs) continue;
      this.open.delete(cls);
      out.push({ kind: 'end', class: cls, from: o.from, to: o.lastSeen, bestScore: o.bestScore });
    }
    return out;
  }

  /** Ends every open presence (the feed stopped), at its last sighting. */
  close(): PresenceChange[] {
    return this.expire(Number.POSITIVE_INFINITY);
  }
}
