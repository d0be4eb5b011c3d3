/**
 * Every actor (PU, stream, recording, segment, node), filterable by type, state, device and update time
 * (between two instants), live, in pages (keyset: "More" asks for the rows after the last one shown).
 */
import type { ActorPage } from '../../../services/console/actors.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { field, fmtRelative, fmtTime, h, replace } from '../dom.ts';
import { openFeed, type TransitionFeedEvent } from '../feed.ts';
import type { Page } from '../page.ts';
import { listMachines } from '../statechart.ts';

/** Rows per page of the list. */
const PAGE_ROWS = 100;

export const actorsPage: Page = (root, ctx) => {
  const q = new URLSearchParams(location.search);
  const type = h('select', { name: 'type' }, h('option', { value: '' }, 'any'));
  const state = h('input', { name: 'state', value: q.get('state') ?? '', placeholder: 'e.g. online', autocomplete: 'off' });
  const device = h('input', { name: 'device', value: q.get('device') ?? '', autocomplete: 'off' });
  const since = h('input', { name: 'since', type: 'datetime-local', step: 1, value: q.get('since') ?? '' });
  const until = h('input', { name: 'until', type: 'datetime-local', step: 1, value: q.get('until') ?? '' });
  const apply = h('button', { type: 'submit', class: 'primary' }, 'Filter');
  const status = statusLine();
  const live = h('span', { class: 'live-dot' }, 'connecting');
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'More');
  const rows = new Map<string, { id: string; type: string; stateKey: string; deviceId: string | null; updatedAt: number; status: string }>();
  /** The next page's cursor, null when the last page is shown. */
  let next: string | null = null;
  /** Rows the loaded pages hold: live additions push the oldest out beyond it. */
  let shownMax = PAGE_ROWS;
  void listMachines().then(
    (m) => {
      for (const t of [...new Set(m.machines.map((x) => x.type))]) type.append(h('option', { value: t }, t));
      type.value = q.get('type') ?? '';
    },
    () => {},
  );

  const filters = () => ({
    type: type.value || q.get('type') || '',
    state: state.value.trim(),
    device: device.value.trim(),
    since: since.value ? String(new Date(since.value).getTime()) : '',
    until: until.value ? String(new Date(until.value).getTime()) : '',
  });
  const matches = (r: { type: string; stateKey: string; deviceId: string | null; updatedAt: number }) => {
    const f = filters();
    return (
      (!f.type || r.type === f.type) &&
      (!f.device || r.deviceId === f.device) &&
      (!f.state || r.stateKey === f.state || r.stateKey.startsWith(`${f.state}.`)) &&
      (!f.since || r.updatedAt >= Number(f.since)) &&
      (!f.until || Math.floor(r.updatedAt) <= Number(f.until))
    );
  };
  const draw = () => {
    const sorted = [...rows.values()].sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
    replace(
      body,
      ...sorted.map((r) =>
        h(
          'tr',
          { 'data-actor': r.id },
          h('td', {}, h('a', { href: `/actors/${encodeURIComponent(r.id)}`, 'data-link': true }, r.id)),
          h('td', {}, r.type),
          h('td', {}, h('code', {}, r.stateKey), r.status !== 'active' ? ` (${r.status})` : ''),
          h('td', {}, r.deviceId ?? '—'),
          h('td', { title: fmtTime(r.updatedAt), class: 'rel', 'data-at': r.updatedAt }, fmtRelative(r.updatedAt)),
        ),
      ),
    );
  };
  const load = async (append = false) => {
    const f = filters();
    const qs = new URLSearchParams(Object.entries({ ...f, limit: String(PAGE_ROWS), cursor: append && next ? next : '' }).filter(([, v]) => v));
    const r = await act(null, status, () => api<ActorPage>(`/api/actors?${qs}`), {
      waiting: 'Loading actors…',
      done: (v) => `${(append ? rows.size : 0) + v.actors.length} actors${v.next ? ' (more below)' : ''}.`,
    });
    if (!r) return;
    if (!append) rows.clear();
    shownMax = append ? shownMax + PAGE_ROWS : PAGE_ROWS;
    next = r.next;
    for (const a of r.actors) rows.set(a.id, { id: a.id, type: a.type, stateKey: a.stateKey, deviceId: a.deviceId, updatedAt: a.updatedAt, status: a.status });
    more.hidden = !next;
    draw();
  };
  /** Keep the list to the pages loaded: an actor pushed out by newer ones is on the next page again. */
  const bound = () => {
    if (rows.size <= shownMax) return;
    const sorted = [...rows.values()].sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
    for (const r of sorted.slice(shownMax)) rows.delete(r.id);
    const last = sorted[shownMax - 1]!;
    next = `${Math.floor(last.updatedAt)}:${last.id}`;
    more.hidden = false;
  };
  more.addEventListener('click', () => void load(true));

  let closeFeed = () => {};
  const subscribe = () => {
    closeFeed();
    const f = filters();
    closeFeed = openFeed(
      { topic: 'actors', type: f.type, device: f.device },
      {
        ready: () => void load(),
        transition: (t: TransitionFeedEvent) => {
          const r = { id: t.actorId, type: t.type, stateKey: t.stateKey, deviceId: t.deviceId, updatedAt: t.at, status: t.status };
          if (matches(r)) rows.set(r.id, r);
          else rows.delete(r.id);
          bound();
          draw();
        },
        state: (s) => {
          live.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'disconnected';
          live.className = `live-dot ${s}`;
        },
      },
    );
  };
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter actors' },
    field('Type', type),
    field('State', state, 'A state or its prefix'),
    field('Device', device),
    field('Updated since', since),
    field('Updated until', until),
    h('div', { class: 'row' }, apply),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = filters();
    const qs = new URLSearchParams(
      Object.entries({ type: f.type, state: f.state, device: f.device, since: since.value, until: until.value }).filter(([, v]) => v),
    );
    history.replaceState(null, '', `/actors${qs.size ? `?${qs}` : ''}`);
    subscribe();
  });
  root.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Actors'), live),
    form,
    status,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'actors' },
        h('thead', {}, h('tr', {}, ...['Actor', 'Type', 'State', 'Device', 'Updated'].map((t) => h('th', { scope: 'col' }, t)))),
        body,
      ),
    ),
    more,
  );
  subscribe();
  const tick = setInterval(() => {
    for (const el of body.querySelectorAll<HTMLElement>('.rel')) el.textContent = fmtRelative(Number(el.dataset.at));
  }, 10_000);
  void ctx;
  return () => {
    closeFeed();
    clearInterval(tick);
  };
};
