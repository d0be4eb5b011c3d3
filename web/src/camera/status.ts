/** How a camera's state reads in the console. */
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { h } from '../dom.ts';

/** A badge: online / asleep / offline / rebooting / upgrading…, with the reason as its title. */
export function stateBadge(d: Pick<DeviceStatus, 'state' | 'online' | 'connected' | 'reason'>): HTMLElement {
  // A sleeping battery camera is neither online nor offline: it wakes when asked (issue #22).
  if (d.state === 'hibernating') return h('span', { class: 'badge asleep', title: d.reason, 'data-state': d.state }, 'asleep');
  const sub = d.state.split('.').slice(1).join('.');
  const text = d.online ? (sub && sub !== 'ready' ? sub : 'online') : d.state;
  const kind = d.online ? (sub && sub !== 'ready' ? 'busy' : 'on') : 'off';
  return h('span', { class: `badge ${kind}`, title: d.reason, 'data-state': d.state }, text);
}

/** "37 %" or "—". */
export function batteryText(b: number | null): string {
  return b === null || b === undefined ? '—' : `${b} %`;
}
