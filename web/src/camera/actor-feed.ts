/**
 * One actor feed per camera page (`GET /api/events?topic=actors&device=…&context=1`), shared by its
 * panels: the live panel follows its stream actor, the recordings panel the recording actor and the
 * segments. One EventSource instead of one per panel (browsers allow six connections per origin).
 */
import { openFeed, type TransitionFeedEvent } from '../feed.ts';

/** What a panel listens to. */
export interface ActorFeedHandlers {
  /** Subscribed (first time or after a reconnection): load the snapshot now. */
  ready?: () => void;
  transition?: (t: TransitionFeedEvent) => void;
}

interface Shared {
  listeners: Set<ActorFeedHandlers>;
  ready: boolean;
  close: () => void;
}

const feeds = new Map<string, Shared>();

/**
 * Listen to the transitions of a device's actors; returns the function that stops listening (the
 * feed closes with its last listener). A listener added once the feed is ready gets `ready` at once.
 */
export function listenToDeviceActors(deviceId: string, on: ActorFeedHandlers): () => void {
  let shared = feeds.get(deviceId);
  if (!shared) {
    const s: Shared = { listeners: new Set(), ready: false, close: () => {} };
    s.close = openFeed(
      { topic: 'actors', device: deviceId, context: '1' },
      {
        ready: () => {
          s.ready = true;
          for (const l of [...s.listeners]) l.ready?.();
        },
        transition: (t) => {
          for (const l of [...s.listeners]) l.transition?.(t);
        },
        state: (st) => {
          if (st !== 'live') s.ready = false;
        },
      },
    );
    feeds.set(deviceId, (shared = s));
  }
  const s = shared;
  s.listeners.add(on);
  if (s.ready) queueMicrotask(() => s.listeners.has(on) && on.ready?.());
  return () => {
    s.listeners.delete(on);
    if (s.listeners.size === 0) {
      s.close();
      feeds.delete(deviceId);
    }
  };
}
