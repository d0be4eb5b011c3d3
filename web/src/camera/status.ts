/** How a camera's state reads in the console: one set of words for every page (list, camera page, admin table). */
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { h } from '../dom.ts';
import { fmtClock } from './media.ts';

type BadgeInput = Pick<DeviceStatus, 'state' | 'online' | 'connected' | 'reason'> & Partial<Pick<DeviceStatus, 'connection_lost'>>;

/** Words and badge colour of a pu state key (`online.ready`, `offline`, `hibernating`…), as every page shows it. */
export function stateWords(state: string | null | undefined): { text: string; kind: 'on' | 'busy' | 'off' | 'asleep' } {
  if (!state) return { text: 'unknown', kind: 'off' };
  // A sleeping battery camera is neither online nor offline: it wakes when asked (issue #22).
  if (state === 'hibernating') return { text: 'asleep', kind: 'asleep' };
  if (!state.startsWith('online')) return { text: state, kind: 'off' };
  const sub = state.split('.').slice(1).join('.');
  return sub && sub !== 'ready' ? { text: sub, kind: 'busy' } : { text: 'online', kind: 'on' };
}

/**
 * A badge: online / asleep / offline / rebooting / upgrading…, with the reason as its title. A camera whose
 * connection closed reads "connection lost" at once, though its state stays online until the heartbeat rule
 * (3 intervals, NOTES 3) makes it offline.
 */
export function stateBadge(d: BadgeInput): HTMLElement {
  if (d.connection_lost)
    return h('span', { class: 'badge err', title: connectionLostText(d.connection_lost), 'data-state': d.state, 'data-connection': 'lost' }, 'connection lost');
  const w = stateWords(d.state);
  return h('span', { class: `badge ${w.kind}`, title: d.reason, 'data-state': d.state }, w.text);
}

/** "Connection lost at 14:02:01 (closed by the peer). It counts as offline at 14:02:31 (in 24 s) unless it reconnects." */
export function connectionLostText(lost: NonNullable<DeviceStatus['connection_lost']>, now = Date.now()): string {
  const left = Math.max(0, Math.ceil((lost.offline_at - now) / 1000));
  const when = left > 0 ? `at ${fmtClock(lost.offline_at / 1000)} (in ${left} s)` : 'any moment now';
  return `Connection lost at ${fmtClock(lost.at / 1000)}${lost.reason ? ` (${lost.reason})` : ''}. It counts as offline ${when} unless it reconnects.`;
}

/** A line under a camera's name or header telling that the connection is lost, kept current by {@link refreshLost}; empty otherwise. */
export function connectionLostLine(d: Partial<Pick<DeviceStatus, 'connection_lost'>>): HTMLElement {
  const p = h('p', { class: 'connection-lost small', 'data-testid': 'connection-lost', hidden: !d.connection_lost, role: 'status' });
  if (d.connection_lost) {
    p.dataset.at = String(d.connection_lost.at);
    p.dataset.offlineAt = String(d.connection_lost.offline_at);
    p.dataset.reason = d.connection_lost.reason;
    p.textContent = connectionLostText(d.connection_lost);
  }
  return p;
}

/** Recount the seconds of every connection-lost line under `root` (the local clock only, no requests). */
export function refreshLost(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-testid="connection-lost"][data-offline-at]'))
    el.textContent = connectionLostText({ at: Number(el.dataset.at), offline_at: Number(el.dataset.offlineAt), reason: el.dataset.reason ?? '' });
}

/** A channel's state in words, as the camera reports it in Keepalive (I.2.1); an offline camera's channels are not online. */
export function channelStateText(d: Pick<DeviceStatus, 'online' | 'connected' | 'channel_states'>, channel: number): string {
  if (!d.online || !d.connected) return 'unknown (the camera is not connected)';
  const code = d.channel_states.find((s) => s.channel === channel)?.state;
  return ({ 0: 'offline', 1: 'online', 3: 'error', 4: 'disabled' } as Record<number, string>)[code ?? -1] ?? 'unknown';
}

/** "37 %" or "—". */
export function batteryText(b: number | null): string {
  return b === null || b === undefined ? '—' : `${b} %`;
}
