/** The cameras a person may see, their state kept live by the event feed; "Add a camera" (Bind). */
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { announce, fmtRelative, fmtTime, h, replace } from '../dom.ts';
import { openFeed } from '../feed.ts';
import type { Page } from '../page.ts';
import { batteryText, connectionLostLine, refreshLost, stateBadge } from '../camera/status.ts';
import { roleBadge } from '../camera/share.ts';
import { mountUserUsage } from '../camera/storage-usage.ts';
import { ALARM_TYPES } from '../../../protocol/constants.ts';

/** How often the "last seen … ago" and "offline in … s" texts are refreshed (local clock only, no requests). */
const RELATIVE_TICK_MS = 1_000;

export const camerasPage: Page = (root, ctx) => {
  const devices = new Map<string, DeviceStatus>();
  const list = h('ul', { class: 'cameras', 'aria-label': 'Cameras' });
  const empty = h('p', { class: 'muted' }, 'No cameras yet. Use “Add a camera” to bind one to your account.');
  const live = h('span', { class: 'live-dot', title: 'connecting' }, 'connecting');
  const bindBox = h('div', { class: 'bind', hidden: true });
  const bindStatus = statusLine();
  const bindButton = h('button', { type: 'button', class: 'primary' }, 'Add a camera');
  bindButton.addEventListener('click', async () => {
    const r = await act(bindButton, bindStatus, () => api<{ bind_code: string; expires_at: string }>('/api/bind-codes', { method: 'POST' }), {
      waiting: 'Asking for a bind code…',
      done: 'Enter this code on the camera (its app or set-up page). It binds the camera to you.',
    });
    if (!r) return;
    bindBox.hidden = false;
    replace(
      bindBox,
      h('p', {}, 'Bind code: ', h('strong', { class: 'code', 'data-testid': 'bind-code' }, r.bind_code)),
      h('p', { class: 'muted' }, `Valid until ${fmtTime(Date.parse(r.expires_at))}; it works once.`),
    );
  });

  const usage = h('section', { class: 'card storage-card', 'aria-label': 'Storage' });
  root.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Cameras'), live),
    h('div', { class: 'card' }, h('div', { class: 'row' }, bindButton), bindStatus, bindBox),
    list,
    empty,
    usage,
  );
  const stopUsage = mountUserUsage(usage);

  const item = (d: DeviceStatus) => {
    const alarms = d.active_alarms.map((a) => ALARM_TYPES[a.type as keyof typeof ALARM_TYPES]?.name ?? `type ${a.type}`);
    return h(
      'li',
      { class: 'camera', 'data-device': d.device_id },
      h(
        'div',
        { class: 'camera-head' },
        h('a', { href: `/cameras/${encodeURIComponent(d.device_id)}`, 'data-link': true, class: 'camera-name' }, d.device_id),
        stateBadge(d),
        roleBadge(d),
      ),
      connectionLostLine(d),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Battery'),
        h('dd', {}, batteryText(d.battery)),
        h('dt', {}, 'Firmware'),
        h('dd', {}, d.firmware_model ?? '—'),
        h('dt', {}, 'Last seen'),
        h('dd', { class: 'rel', 'data-at': d.last_seen ?? '' }, fmtRelative(d.last_seen)),
        ...(d.asleep ? [h('dt', {}, 'Last heartbeat'), h('dd', { class: 'rel', 'data-at': d.last_heartbeat ?? '' }, fmtRelative(d.last_heartbeat))] : []),
        h('dt', {}, 'Alarms'),
        h('dd', { class: alarms.length ? 'alarm' : '' }, alarms.length ? alarms.join(', ') : 'none'),
      ),
    );
  };
  const draw = () => {
    const sorted = [...devices.values()].sort((a, b) => a.device_id.localeCompare(b.device_id));
    replace(list, ...sorted.map(item));
    empty.hidden = sorted.length > 0;
  };
  const load = async () => {
    const r = await api<{ devices: DeviceStatus[] }>('/api/devices');
    devices.clear();
    for (const d of r.devices) devices.set(d.device_id, d);
    draw();
  };
  const close = openFeed(
    { topic: 'devices' },
    {
      ready: () => void load().catch(() => {}),
      device: (d) => {
        const isNew = !devices.has(d.device_id);
        const before = devices.get(d.device_id);
        devices.set(d.device_id, d);
        draw();
        if (isNew) announce(`Camera ${d.device_id} added.`);
        else if (before && (before.online !== d.online || before.asleep !== d.asleep))
          announce(`${d.device_id} is ${d.online ? 'online' : d.asleep ? 'asleep' : 'offline'}.`);
        else if (d.connection_lost && !before?.connection_lost) announce(`${d.device_id}: connection lost.`);
        if (isNew && !bindBox.hidden) replace(bindBox, h('p', { class: 'ok' }, `${d.device_id} is now bound to you.`));
      },
      removed: (id) => {
        devices.delete(id);
        draw();
      },
      state: (s) => {
        live.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'disconnected';
        live.className = `live-dot ${s}`;
      },
    },
  );
  const tick = setInterval(() => {
    for (const el of list.querySelectorAll<HTMLElement>('.rel')) el.textContent = fmtRelative(Number(el.dataset.at) || null);
    refreshLost(list);
  }, RELATIVE_TICK_MS);
  void ctx;
  return () => {
    close();
    stopUsage();
    clearInterval(tick);
  };
};
