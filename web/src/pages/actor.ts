/**
 * One actor: its machine's statechart with the current state highlighted (live), its history as a
 * timeline, stepping through it (the highlight, the context at that step and its diff to the step
 * before follow), pending timers, related actors, the history export and the replay check.
 */
import type { ActorView } from '../../../actors/host/host.ts';
import type { HistoryEntry } from '../../../actors/host/store.ts';
import type { ReplayVerdict } from '../../../actors/host/replay.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { card, fmtRelative, fmtTime, h, pretty, replace } from '../dom.ts';
import { openFeed, type TransitionFeedEvent } from '../feed.ts';
import type { Page } from '../page.ts';
import { mountStatechart, type Statechart } from '../statechart.ts';

/** History rows loaded at first (the latest ones); earlier ones on request. */
const HISTORY_WINDOW = 1000;

type Row = Pick<HistoryEntry, 'seq' | 'at' | 'event' | 'value' | 'changes' | 'context'>;
/** Marks a key or entry the step removed. */
const REMOVED = Symbol('removed');

export const actorPage: Page = (root, ctx) => {
  const id = ctx.params[0]!;
  const enc = encodeURIComponent(id);
  let view: ActorView | undefined;
  let chart: Statechart | undefined;
  let rows: Row[] = [];
  let cur = -1;
  let follow = true;
  let queued: TransitionFeedEvent[] | null = null;

  const title = h('h1', { tabindex: '-1' }, id);
  const summary = h('p', { class: 'muted', 'data-testid': 'actor-summary' });
  const live = h('span', { class: 'live-dot' }, 'connecting');
  const diagram = h('div', { class: 'diagram', 'data-testid': 'diagram', tabindex: '0', role: 'region', 'aria-label': 'Statechart' });
  const stepInfo = h('p', { class: 'step-info', 'aria-live': 'polite', 'data-testid': 'step-info' });
  const ctxOut = h('pre', { class: 'json', 'data-testid': 'step-context', tabindex: '0', 'aria-label': 'Context at this step' });
  const diffBody = h('tbody', { 'data-testid': 'step-diff' });
  const jump = h('input', { type: 'number', min: 0, name: 'seq', inputmode: 'numeric', 'aria-label': 'Sequence number' });
  const btn = (label: string, text: string, f: () => void) => h('button', { type: 'button', 'aria-label': label, title: label, onclick: f }, text);
  const firstB = btn('First step', '« First', () => go(0));
  const prevB = btn('Previous step', '‹ Prev', () => go(cur - 1));
  const nextB = btn('Next step', 'Next ›', () => go(cur + 1));
  const lastB = btn('Last step (follow live)', 'Last »', () => go(rows.length - 1));
  const jumpForm = h('form', { class: 'row inline' }, jump, h('button', { type: 'submit' }, 'Go to seq'));
  jumpForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const i = rows.findIndex((r) => r.seq === Number(jump.value));
    if (i >= 0) go(i);
    else stepInfo.textContent = `No row with seq ${jump.value} is loaded.`;
  });
  const timeline = h('tbody');
  const earlier = h('button', { type: 'button', hidden: true }, 'Load earlier events');
  const histStatus = statusLine();
  const timers = h('ul', { class: 'timers', 'data-testid': 'timers' });
  const related = h('ul', { class: 'related' });
  const toolStatus = statusLine();
  const verdictOut = h('div', { class: 'verdict', 'data-testid': 'replay-verdict' });
  const replayBtn = h('button', { type: 'button', class: 'primary' }, 'Run the replay check');
  replayBtn.addEventListener('click', async () => {
    const v = await act(replayBtn, toolStatus, () => api<ReplayVerdict & { checkedAt: string }>(`/api/actors/${enc}/replay`, { timeoutMs: 120_000 }), {
      waiting: 'Replaying the history through the machine…',
      done: '',
    });
    if (!v) return;
    replace(
      verdictOut,
      h(
        'p',
        { class: v.ok ? 'ok' : 'error' },
        v.ok
          ? `✓ Reproduced: all ${v.events} events replay to the recorded states and contexts.`
          : `✗ Does not reproduce${v.error ? `: ${v.error}` : ''} (${v.mismatches.length} mismatches in ${v.events} events).`,
      ),
      ...v.mismatches
        .slice(0, 20)
        .map((m) =>
          h(
            'details',
            {},
            h('summary', {}, `seq ${m.seq} ${m.event}: ${m.what}`),
            h('pre', { class: 'json' }, `expected ${pretty(m.expected)}\ngot ${pretty(m.got)}`),
          ),
        ),
    );
  });

  // ── stepping ──
  const go = (i: number) => {
    if (rows.length === 0) return;
    cur = Math.max(0, Math.min(rows.length - 1, i));
    follow = cur === rows.length - 1;
    const r = rows[cur]!;
    const before = rows[cur - 1];
    chart?.show(r.value, { event: r.event.type, before: before?.value });
    stepInfo.textContent = `Step seq ${r.seq} of ${rows.at(-1)!.seq}: ${r.event.type} at ${fmtTime(r.at)} → ${stateText(r.value)}${follow ? ' (latest)' : ''}`;
    ctxOut.textContent = pretty(r.context);
    // One row per changed key, and per changed entry of a record the diff patched (`viewers.<id>`).
    const lines: Array<{ name: string; was: () => unknown; now: unknown }> = [
      ...Object.keys(r.changes.set).map((k) => ({ name: k, was: () => before?.context[k], now: r.changes.set[k] })),
      ...r.changes.unset.map((k) => ({ name: k, was: () => before?.context[k], now: REMOVED })),
      ...Object.entries(r.changes.patch ?? {}).flatMap(([k, p]) => [
        ...Object.keys(p.set).map((e) => ({ name: `${k}.${e}`, was: () => (before?.context[k] as Record<string, unknown> | undefined)?.[e], now: p.set[e] })),
        ...p.unset.map((e) => ({ name: `${k}.${e}`, was: () => (before?.context[k] as Record<string, unknown> | undefined)?.[e], now: REMOVED })),
      ]),
    ];
    replace(
      diffBody,
      ...(lines.length
        ? lines.map((l) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, l.name),
              h('td', {}, h('code', {}, before ? short(l.was()) : cur === 0 && r.seq === 0 ? '(none)' : '(not loaded)')),
              h('td', {}, h('code', {}, l.now === REMOVED ? '(removed)' : short(l.now))),
            ),
          )
        : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No context change.'))]),
    );
    for (const tr of timeline.querySelectorAll('tr[aria-selected="true"]')) tr.setAttribute('aria-selected', 'false');
    const tr = timeline.querySelector<HTMLTableRowElement>(`tr[data-seq="${r.seq}"]`);
    tr?.setAttribute('aria-selected', 'true');
    tr?.scrollIntoView({ block: 'nearest' });
    firstB.disabled = prevB.disabled = cur === 0;
    nextB.disabled = lastB.disabled = cur === rows.length - 1;
  };
  const rowEl = (r: Row, i: number) => {
    const tr = h(
      'tr',
      { 'data-seq': r.seq, 'aria-selected': 'false', tabindex: '-1' },
      h('td', {}, String(r.seq)),
      h('td', {}, fmtTime(r.at)),
      h('td', {}, h('code', {}, r.event.type), eventDetail(r.event)),
      h('td', {}, h('code', {}, stateText(r.value))),
    );
    tr.addEventListener('click', () => go(i));
    return tr;
  };
  const drawTimeline = () => replace(timeline, ...rows.map(rowEl));
  timeline.addEventListener('keydown', (e) => {
    const k = e.key;
    const to = k === 'ArrowDown' || k === 'j' ? cur + 1 : k === 'ArrowUp' || k === 'k' ? cur - 1 : k === 'Home' ? 0 : k === 'End' ? rows.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    go(to);
    timeline.querySelector<HTMLElement>('tr[aria-selected="true"]')?.focus();
  });

  // ── loading ──
  const drawView = (v: ActorView) => {
    view = v;
    replace(
      summary,
      `${v.type} · machine ${v.machineId} v${v.version} · ${v.status} · now `,
      h('code', { 'data-testid': 'current-state' }, v.stateKey),
      v.deviceId ? ` · device ${v.deviceId}` : '',
    );
    drawTimers(v.timers);
  };
  const drawTimers = (list: ActorView['timers']) => {
    replace(
      timers,
      ...(list.length
        ? list.map((t) =>
            h(
              'li',
              {},
              h('code', {}, t.id),
              ` → ${t.event.type} at ${fmtTime(t.due)} `,
              h('span', { class: 'countdown', 'data-due': t.due }, `(${fmtRelative(t.due)})`),
            ),
          )
        : [h('li', { class: 'muted' }, 'No pending timers.')]),
    );
  };
  const loadRelated = async (v: ActorView) => {
    const lists: Array<Promise<{ actors: ActorView[] }>> = [api(`/api/actors?parent=${enc}&limit=100`)];
    if (v.type === 'pu' && v.deviceId) lists.push(api(`/api/actors?device=${encodeURIComponent(v.deviceId)}&limit=100`));
    const found = new Map<string, ActorView>();
    for (const l of await Promise.allSettled(lists)) if (l.status === 'fulfilled') for (const a of l.value.actors) if (a.id !== id) found.set(a.id, a);
    const link = (aid: string, text: string) => h('li', {}, h('a', { href: `/actors/${encodeURIComponent(aid)}`, 'data-link': true }, aid), ` ${text}`);
    const items: HTMLElement[] = [];
    if (v.parentId) items.push(link(v.parentId, '(parent)'));
    if (v.deviceId && v.type !== 'pu') items.push(link(`pu:${v.deviceId}`, '(the device)'));
    for (const a of [...found.values()].sort((x, y) => x.type.localeCompare(y.type) || x.id.localeCompare(y.id)))
      items.push(link(a.id, `${a.type}, ${a.stateKey}`));
    if (v.type === 'pu' && v.deviceId)
      items.push(h('li', {}, h('a', { href: `/cameras/${encodeURIComponent(v.deviceId)}`, 'data-link': true }, 'the camera page')));
    replace(related, ...(items.length ? items : [h('li', { class: 'muted' }, 'No related actors.')]));
  };
  const loadHistory = async (after: number, limit: number) => {
    const r = await act(null, histStatus, () => api<{ events: Row[] }>(`/api/actors/${enc}/history?after=${after}&limit=${limit}`), {
      waiting: 'Loading the history…',
      done: '',
    });
    return r?.events ?? [];
  };
  const load = async () => {
    queued = [];
    try {
      const v = await api<ActorView>(`/api/actors/${enc}`);
      drawView(v);
      if (!chart) chart = await mountStatechart(diagram, v.type, v.version);
      const after = Math.max(-1, v.seq - HISTORY_WINDOW);
      rows = await loadHistory(after, HISTORY_WINDOW);
      earlier.hidden = (rows[0]?.seq ?? 0) <= 0;
      drawTimeline();
      const pending = queued;
      queued = null;
      for (const t of pending) onTransition(t);
      go(follow || cur < 0 ? rows.length - 1 : cur);
      void loadRelated(v);
    } catch (err) {
      queued = null;
      replace(summary, h('span', { class: 'status error' }, err instanceof Error ? err.message : String(err)));
    }
  };
  earlier.addEventListener('click', async () => {
    const first = rows[0]?.seq ?? 0;
    const after = Math.max(-1, first - 1 - HISTORY_WINDOW);
    const more = (await loadHistory(after, first - 1 - after)).filter((r) => r.seq < first);
    rows = [...more, ...rows];
    cur += more.length;
    earlier.hidden = (rows[0]?.seq ?? 0) <= 0;
    drawTimeline();
    go(cur);
  });
  const onTransition = (t: TransitionFeedEvent) => {
    if (queued) return void queued.push(t);
    if (view)
      drawView({
        ...view,
        seq: t.seq,
        status: t.status,
        value: t.value,
        stateKey: t.stateKey,
        context: t.context ?? view.context,
        timers: t.timers ?? view.timers,
        updatedAt: t.at,
      });
    if (!t.logged || (rows.length && t.seq <= rows.at(-1)!.seq)) {
      if (follow && !t.logged) chart?.show(t.value);
      return;
    }
    const r: Row = { seq: t.seq, at: t.at, event: t.event, value: t.value, changes: t.changes, context: t.context ?? {} };
    rows.push(r);
    timeline.append(rowEl(r, rows.length - 1));
    if (follow) go(rows.length - 1);
    else nextB.disabled = lastB.disabled = false;
  };

  root.append(
    h('div', { class: 'page-head' }, title, live),
    summary,
    h('section', { class: 'card diagram-card', 'aria-labelledby': 'chart-h' }, h('h2', { id: 'chart-h' }, 'Statechart'), diagram),
    h(
      'div',
      { class: 'actor-layout' },
      h(
        'section',
        { class: 'card', id: 'history', 'aria-labelledby': 'history-h' },
        h('h2', { id: 'history-h' }, 'History'),
        h('div', { class: 'row stepper', role: 'group', 'aria-label': 'Step through the history' }, firstB, prevB, nextB, lastB),
        jumpForm,
        histStatus,
        earlier,
        h(
          'div',
          { class: 'table-wrap timeline-wrap' },
          h(
            'table',
            { class: 'timeline', 'aria-label': 'History: one row per event' },
            h('thead', {}, h('tr', {}, ...['Seq', 'Time', 'Event', 'State after'].map((t) => h('th', { scope: 'col' }, t)))),
            timeline,
          ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'step-h' },
        h('h2', { id: 'step-h' }, 'Step'),
        stepInfo,
        h('h3', {}, 'Changed at this step'),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'diff' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
            diffBody,
          ),
        ),
        h('h3', {}, 'Context after this step'),
        ctxOut,
      ),
    ),
    h(
      'div',
      { class: 'cards' },
      card('Pending timers', 'timers', timers),
      card('Related actors', 'related', related),
      card(
        'Tools',
        'tools',
        h(
          'div',
          { class: 'row' },
          h('a', { class: 'button', href: `/api/actors/${enc}/export`, download: `${id.replace(/[^\w.-]+/g, '_')}.history.json` }, 'Export the history (JSON)'),
          replayBtn,
        ),
        toolStatus,
        verdictOut,
      ),
    ),
  );
  timeline.tabIndex = 0;
  const closeFeed = openFeed(
    { topic: 'actors', actor: id },
    {
      ready: () => void load(),
      transition: onTransition,
      state: (s) => {
        live.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'disconnected';
        live.className = `live-dot ${s}`;
      },
    },
  );
  const tick = setInterval(() => {
    for (const el of timers.querySelectorAll<HTMLElement>('.countdown')) el.textContent = `(${fmtRelative(Number(el.dataset.due))})`;
  }, 1000);
  return () => {
    closeFeed();
    clearInterval(tick);
  };
};

/** `online.ready`, or the JSON of a parallel value. */
function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const s = stateText(v);
        return s ? `${k}.${s}` : k;
      })
      .join(', ');
  }
  return String(value);
}

/** A short hint of what an event carried (its name, reason…), beside its type. */
function eventDetail(e: Row['event']): string {
  const name = typeof e.name === 'string' ? e.name : typeof e.reason === 'string' ? e.reason : '';
  return name ? ` ${name}` : '';
}

function short(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}
