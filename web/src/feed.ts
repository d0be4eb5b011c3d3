/**
 * Live updates from `GET /api/events` over EventSource (server-sent events; no polling). On every
 * (re)connection the platform says `ready` once it is subscribed: the page then (re)loads what it
 * shows, so nothing that happened while it was away is missed.
 */
import type { DeviceFeedStatus, TransitionFeedEvent } from '../../services/console/event-feed.ts';
import { api } from './api.ts';

export type { DeviceFeedStatus, TransitionFeedEvent };

/** What a page listens to. */
export interface FeedHandlers {
  /** Subscribed (first time or after a reconnection): load the snapshot now. */
  ready?: () => void;
  device?: (d: DeviceFeedStatus) => void;
  removed?: (deviceId: string) => void;
  /** An alarm's picture arrived (after its alarm). */
  alarmPicture?: (deviceId: string, alarmId: string) => void;
  transition?: (t: TransitionFeedEvent) => void;
  /** Connection state for the page's indicator. */
  state?: (s: 'live' | 'reconnecting' | 'closed') => void;
}

/** Open a feed; returns the function that closes it. */
export function openFeed(query: Record<string, string | undefined>, on: FeedHandlers): () => void {
  const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1])));
  let es: EventSource | undefined;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    es = new EventSource(`/api/events?${qs}`);
    es.addEventListener('ready', () => {
      on.state?.('live');
      on.ready?.();
    });
    es.addEventListener('device', (e) => on.device?.(JSON.parse((e as MessageEvent).data)));
    es.addEventListener('device.removed', (e) => on.removed?.(JSON.parse((e as MessageEvent).data).device_id));
    es.addEventListener('alarm.picture', (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { device_id: string; alarm_id: string };
      on.alarmPicture?.(d.device_id, d.alarm_id);
    });
    es.addEventListener('transition', (e) => on.transition?.(JSON.parse((e as MessageEvent).data)));
    es.addEventListener('reset', () => reopen(0));
    es.onerror = () => {
      if (stopped) return;
      on.state?.('reconnecting');
      // EventSource retries by itself unless the answer was an error status (e.g. 401): then we decide.
      if (es?.readyState === EventSource.CLOSED) {
        api('/api/me').then(
          () => reopen(3000),
          () => on.state?.('closed'),
        );
      }
    };
  };
  const reopen = (ms: number) => {
    es?.close();
    if (stopped) return;
    retry = setTimeout(connect, ms);
  };
  connect();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    es?.close();
  };
}
