/**
 * The events page (docs/console.md "Events"): the user's cameras' alarms, offline and back online, recording
 * failures and firmware upgrades' ends, newest first, filtered by camera, kind and time, a page at a time (the API's
 * keyset cursor; "Newer" walks back the cursors seen). The filters live in the URL, so a filtered view can be shared.
 * Below, the user's webhooks (webhooks.ts).
 */
import type { DeviceEventInfo, EventPage } from '../../../services/events/events.ts';
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { EVENT_KIND_LABELS, EVENT_KINDS, type EventKind } from '../../../protocol/event-kinds.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { field, fmtTime, h, replace } from '../dom.ts';
import type { Page } from '../page.ts';
import { keysetPager } from './pager.ts';
import { webhooksSection } from './webhooks.ts';

/** Events per page (the API allows up to 200). */
const PAGE_ROWS = 25;

/** A `datetime-local` value as epoch ms, or '' when empty. */
const msOf = (v: string) => (v ? String(new Date(v).getTime()) : '');

/** What an event says beyond its kind. */
function details(e: DeviceEventInfo): string {
  const d = e.data;
  if (e.kind === 'alarm') return `${String(d.name ?? `type ${d.type}`)} ${String(d.state ?? '')}`.trim() + (e.channel !== null ? `, channel ${e.channel}` : '');
  if (e.kind === 'recording_failed') return `${String(d.reason ?? '')}${e.channel !== null ? ` (channel ${e.channel})` : ''}`;
  if (e.kind === 'firmware_done' || e.kind === 'firmware_failed') return `${String(d.firmware ?? '')}${d.error ? `: ${String(d.error)}` : ''}`;
  if (e.kind === 'detection') return `${(d.classes as string[] | undefined)?.join(', ') ?? ''}${e.channel !== null ? `, channel ${e.channel}` : ''}`;
  return String(d.reason ?? '');
}

/** An alarm opens its camera; a detection its camera's detections. */
function action(e: DeviceEventInfo, cam: string) {
  if (e.kind === 'alarm') return h('a', { href: cam, 'data-link': true, title: `${e.device_id}: its live view and recordings` }, 'Open the camera');
  if (e.kind === 'detection') return h('a', { href: `/detections?device=${encodeURIComponent(e.device_id)}`, 'data-link': true }, 'See the detections');
  return '';
}

export const eventsPage: Page = (root, ctx) => {
  const q = new URLSearchParams(location.search);
  const device = h('select', { name: 'device' }, h('option', { value: '' }, 'All cameras'));
  const kind = h(
    'select',
    { name: 'kind' },
    h('option', { value: '' }, 'All kinds'),
    ...EVENT_KINDS.map((k) => h('option', { value: k }, EVENT_KIND_LABELS[k])),
  );
  kind.value = q.get('kind') ?? '';
  const from = h('input', { name: 'from', type: 'datetime-local', value: q.get('from') ?? '' });
  const to = h('input', { name: 'to', type: 'datetime-local', value: q.get('to') ?? '' });
  const status = statusLine();
  const body = h('tbody');
  const empty = h('p', { class: 'muted', hidden: true }, 'No events match.');

  void api<{ devices: DeviceStatus[] }>('/api/devices').then(
    (r) => {
      for (const d of r.devices) device.append(h('option', { value: d.device_id }, d.device_id));
      if (!device.value) device.value = q.get('device') ?? '';
    },
    () => {},
  );

  const query = (before: string) => {
    const f = { device: device.value || q.get('device') || '', kind: kind.value, from: msOf(from.value), to: msOf(to.value) };
    return new URLSearchParams(Object.entries({ ...f, before, limit: String(PAGE_ROWS) }).filter(([, v]) => v));
  };
  const row = (e: DeviceEventInfo) => {
    const cam = `/cameras/${encodeURIComponent(e.device_id)}`;
    return h(
      'tr',
      { 'data-event': e.id, 'data-kind': e.kind },
      h('td', {}, h('time', { datetime: e.at }, fmtTime(Date.parse(e.at)))),
      h('td', {}, h('a', { href: cam, 'data-link': true }, e.device_id)),
      h('td', {}, h('span', { class: `event-kind ${e.kind}` }, EVENT_KIND_LABELS[e.kind as EventKind] ?? e.kind)),
      h('td', {}, details(e)),
      h('td', {}, action(e, cam)),
    );
  };
  /** Each load's number: an answer to an older one (filters changed meanwhile) is dropped. */
  let loads = 0;
  const pager = keysetPager('Pages of events', async (before) => {
    const mine = ++loads;
    const r = await act(null, status, () => api<EventPage>(`/api/events/history?${query(before)}`), {
      waiting: 'Loading events…',
      done: (v) => (v.events.length ? `${v.events.length} events.` : 'No events.'),
    });
    if (!r || mine !== loads) return undefined;
    replace(body, ...r.events.map(row));
    empty.hidden = r.events.length > 0;
    return r;
  });

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter events' },
    field('Camera', device),
    field('Kind', kind),
    field('From', from),
    field('To', to),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = new URLSearchParams(Object.entries({ device: device.value, kind: kind.value, from: from.value, to: to.value }).filter(([, v]) => v));
    history.replaceState(null, '', `/events${qs.size ? `?${qs}` : ''}`);
    q.set('device', device.value);
    pager.first();
  });
  root.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Events')),
    form,
    status,
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: 'events' }, h('thead', {}, h('tr', {}, ...['Time', 'Camera', 'Kind', 'Details', ''].map((t) => h('th', { scope: 'col' }, t)))), body),
    ),
    empty,
    pager.el,
    webhooksSection(),
  );
  pager.first();
  void ctx;
  return undefined;
};
