/**
 * One actor: its machine's statechart (zoom, pan, fit; a click on a state lists its transitions) with
 * the current state highlighted (live), its history as a timeline (compact: without routine
 * keepalives), stepping through it (the highlight, the event's payload, the context at that step and
 * its diff to the step before follow), pending timers, related actors by type, the history export
 * and the replay check. Times are in the reader's zone, or raw epoch milliseconds on request.
 */
import type { ActorView } from '../../../actors/host/host.ts';
import type { ReplayVerdict } from '../../../actors/host/replay.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { card, fmtRelative, h, pretty, replace } from '../dom.ts';
import { openFeed, type TransitionFeedEvent } from '../feed.ts';
import type { Page } from '../page.ts';
import { mountStatechart, type Statechart } from '../statechart.ts';
import { drawRelated } from './actor-related.ts';
import { clearStep, drawStep, eventDetail, fmtInstant, isKeepaliveOnly, type Row, stateText } from './actor-step.ts';

/** History rows loaded at first (the latest ones); earlier ones on request. */
const HISTORY_WINDOW = 1000;
/** Most rows "Go to seq" loads to reach an earlier seq (beyond: "Load earlier events" first). */
const GOTO_LOAD_MAX = 5 * HISTORY_WINDOW;
/** Where the page remembers the reader's choices. */
const COMPACT_KEY = 'h627.actor.compact';
const RAW_TIMES_KEY = 'h627.actor.rawTimes';

export const actorPage: Page = (root, ctx) => {
  const id = ctx.params[0]!;
  const enc = encodeURIComponent(id);
  let view: ActorView | undefined;
  let chart: Statechart | undefined;
  let rows: Row[] = [];
  let cur = -1;
  let follow = true;
  let queued: TransitionFeedEvent[] | null = null;
  const remembered = (k: string) => localStorage.getItem(k) === '1';
  const compactBox = h('input', { type: 'checkbox', name: 'compact', checked: remembered(COMPACT_KEY) });
  const rawBox = h('input', { type: 'checkbox', name: 'raw-times', checked: remembered(RAW_TIMES_KEY) });
  const raw = () => rawBox.checked;
  /** Whether row i is left out of the compact history. */
  const hiddenAt = (i: number) => compactBox.checked && isKeepaliveOnly(rows[i]!, rows[i - 1]);
  /** The nearest shown row from i in direction dir (±1), or -1. */
  const shownFrom = (i: number, dir: 1 | -1) => {
    for (let j = i; j >= 0 && j < rows.length; j += dir) if (!hiddenAt(j)) return j;
    return -1;
  };

  const title = h('h1', { tabindex: '-1' }, id);
  const summary = h('p', { class: 'muted', 'data-testid': 'actor-summary' });
  const live = h('span', { class: 'live-dot' }, 'connecting');
  const diagram = h('div', {
    class: 'diagram',
    'data-testid': 'diagram',
    tabindex: '0',
    role: 'region',
    'aria-label': 'Statechart: drag to pan, the wheel or + and − to zoom, 0 to fit',
  });
  const chartTools = h('div', { class: 'row chart-tools', role: 'toolbar', 'aria-label': 'Statechart zoom' });
  const chartPanel = h('aside', {
    class: 'sc-panel',
    'data-testid': 'state-transitions',
    'aria-live': 'polite',
    'aria-label': 'Transitions of the selected state',
  });
  const stepInfo = h('p', { class: 'step-info', 'aria-live': 'polite', 'data-testid': 'step-info' });
  const ctxOut = h('pre', { class: 'json', 'data-testid': 'step-context', tabindex: '0', 'aria-label': 'Context at this step' });
  const diffBody = h('tbody', { 'data-testid': 'step-diff' });
  const payloadBox = h('div', { class: 'payload' });
  const parts = { info: stepInfo, payload: payloadBox, diff: diffBody, context: ctxOut };
  const jump = h('input', { type: 'number', min: 0, name: 'seq', inputmode: 'numeric', 'aria-label': 'Sequence number' });
  const btn = (label: string, text: string, f: () => void) => h('button', { type: 'button', 'aria-label': label, title: label, onclick: f }, text);
  const firstB = btn('First step', '« First', () => go(shownFrom(0, 1)));
  const prevB = btn('Previous step', '‹ Prev', () => go(shownFrom(cur - 1, -1)));
  const nextB = btn('Next step', 'Next ›', () => go(shownFrom(cur + 1, 1)));
  const lastB = btn('Last step (follow live)', 'Last »', () => go(shownFrom(rows.length - 1, -1)));
  const jumpForm = h('form', { class: 'row inline' }, jump, h('button', { type: 'submit' }, 'Go to seq'));
  jumpForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const seq = Number(jump.value);
    if (jump.value.trim() === '' || !Number.isInteger(seq) || seq < 0) return unselect('Give a sequence number (0 or more).');
    const first = rows[0]?.seq;
    // An earlier seq than those loaded: load back to it, within reason.
    if (first !== undefined && seq < first) {
      if (first - seq > GOTO_LOAD_MAX) return unselect(`Seq ${seq} is ${first - seq} events before the loaded ones: load earlier events first.`);
      await loadEarlier(seq - 1);
    }
    const i = rows.findIndex((r) => r.seq === seq);
    if (i >= 0) go(i);
    else unselect(`No step with seq ${seq}${rows.length ? ` (the loaded steps are ${rows[0]!.seq} to ${rows.at(-1)!.seq})` : ''}.`);
  });
  /** No step selected: nothing of the previous step stays on screen. */
  const unselect = (why: string) => {
    cur = -1;
    follow = false;
    clearStep(parts, why);
    for (const tr of timeline.querySelectorAll('tr[aria-selected="true"]')) tr.setAttribute('aria-selected', 'false');
    if (view) chart?.show(view.value);
    firstB.disabled = lastB.disabled = rows.length === 0;
    prevB.disabled = nextB.disabled = true;
  };
  const timeline = h('tbody');
  const earlier = h('button', { type: 'button', hidden: true }, 'Load earlier events');
  const histStatus = statusLine();
  const timers = h('ul', { class: 'timers', 'data-testid': 'timers' });
  const related = h('div', { 'data-testid': 'related' });
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
    if (rows.length === 0 || i < 0) return;
    cur = Math.max(0, Math.min(rows.length - 1, i));
    follow = shownFrom(cur + 1, 1) < 0;
    const r = rows[cur]!;
    const before = rows[cur - 1];
    chart?.show(r.value, { event: r.event.type, before: before?.value });
    drawStep(parts, r, before, { latestSeq: rows.at(-1)!.seq, latest: cur === rows.length - 1, first: cur === 0, raw: raw() });
    for (const tr of timeline.querySelectorAll('tr[aria-selected="true"]')) tr.setAttribute('aria-selected', 'false');
    const tr = timeline.querySelector<HTMLTableRowElement>(`tr[data-seq="${r.seq}"]`);
    tr?.setAttribute('aria-selected', 'true');
    tr?.scrollIntoView({ block: 'nearest' });
    firstB.disabled = prevB.disabled = shownFrom(cur - 1, -1) < 0;
    nextB.disabled = lastB.disabled = follow;
  };
  const rowEl = (r: Row, i: number) => {
    const tr = h(
      'tr',
      { 'data-seq': r.seq, 'aria-selected': 'false', tabindex: '-1', 'data-keepalive-only': isKeepaliveOnly(r, rows[i - 1]) || null },
      h('td', {}, String(r.seq)),
      h('td', { class: 'time' }, fmtInstant(r.at, raw())),
      h('td', {}, h('code', {}, r.event.type), eventDetail(r.event)),
      h('td', {}, h('code', {}, stateText(r.value))),
    );
    tr.hidden = hiddenAt(i);
    tr.addEventListener('click', () => go(i));
    return tr;
  };
  const drawTimeline = () => replace(timeline, ...rows.map(rowEl));
  timeline.addEventListener('keydown', (e) => {
    const k = e.key;
    const to =
      k === 'ArrowDown' || k === 'j'
        ? shownFrom(cur + 1, 1)
        : k === 'ArrowUp' || k === 'k'
          ? shownFrom(cur - 1, -1)
          : k === 'Home'
            ? shownFrom(0, 1)
            : k === 'End'
              ? shownFrom(rows.length - 1, -1)
              : null;
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
              ` → ${t.event.type} at ${fmtInstant(t.due, raw())} `,
              h('span', { class: 'countdown', 'data-due': t.due }, `(${fmtRelative(t.due)})`),
            ),
          )
        : [h('li', { class: 'muted' }, 'No pending timers.')]),
    );
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
      if (!chart) chart = await mountStatechart(diagram, v.type, v.version, { toolbar: chartTools, panel: chartPanel });
      const after = Math.max(-1, v.seq - HISTORY_WINDOW);
      rows = await loadHistory(after, HISTORY_WINDOW);
      earlier.hidden = (rows[0]?.seq ?? 0) <= 0;
      drawTimeline();
      const pending = queued;
      queued = null;
      for (const t of pending) onTransition(t);
      if (rows.length === 0) unselect('No history.');
      else go(follow || cur < 0 ? shownFrom(rows.length - 1, -1) : cur);
      void drawRelated(related, v);
    } catch (err) {
      queued = null;
      replace(summary, h('span', { class: 'status error' }, err instanceof Error ? err.message : String(err)));
    }
  };
  /** Load the rows before the first loaded one, back to seq > `after` (in pages the API allows). */
  const loadEarlier = async (after: number) => {
    const first = rows[0]?.seq ?? 0;
    const more: Row[] = [];
    for (let from = Math.max(-1, after); from < first - 1; ) {
      const page = (await loadHistory(from, Math.min(HISTORY_WINDOW, first - 1 - from))).filter((r) => r.seq < first);
      if (page.length === 0) break;
      more.push(...page);
      from = page.at(-1)!.seq;
    }
    rows = [...more, ...rows];
    if (cur >= 0) cur += more.length;
    earlier.hidden = (rows[0]?.seq ?? 0) <= 0;
    drawTimeline();
    if (cur >= 0) go(cur);
  };
  earlier.addEventListener('click', () => void loadEarlier((rows[0]?.seq ?? 0) - 1 - HISTORY_WINDOW));
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
    if (hiddenAt(rows.length - 1)) return; // compact: a keepalive-only step is not stepped to
    if (follow) go(rows.length - 1);
    else nextB.disabled = lastB.disabled = false;
  };

  const redraw = () => {
    drawTimeline();
    if (view) drawTimers(view.timers);
    if (cur >= 0) go(hiddenAt(cur) ? Math.max(shownFrom(cur, -1), shownFrom(cur, 1)) : cur);
  };
  compactBox.addEventListener('change', () => {
    localStorage.setItem(COMPACT_KEY, compactBox.checked ? '1' : '0');
    redraw();
  });
  rawBox.addEventListener('change', () => {
    localStorage.setItem(RAW_TIMES_KEY, rawBox.checked ? '1' : '0');
    redraw();
  });
  root.append(
    h('div', { class: 'page-head' }, title, live),
    summary,
    h(
      'section',
      { class: 'card diagram-card', 'aria-labelledby': 'chart-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'chart-h' }, 'Statechart'), chartTools),
      h('div', { class: 'chart-layout' }, diagram, chartPanel),
    ),
    h(
      'div',
      { class: 'actor-layout' },
      h(
        'section',
        { class: 'card', id: 'history', 'aria-labelledby': 'history-h' },
        h('h2', { id: 'history-h' }, 'History'),
        h('div', { class: 'row stepper', role: 'group', 'aria-label': 'Step through the history' }, firstB, prevB, nextB, lastB),
        jumpForm,
        h('div', { class: 'row toggles' }, h('label', {}, compactBox, ' Compact (hide keepalive-only steps)'), h('label', {}, rawBox, ' Raw times (epoch ms)')),
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
        h('h3', {}, 'Event payload'),
        payloadBox,
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
