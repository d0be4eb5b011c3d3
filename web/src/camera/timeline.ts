/**
 * The day timeline of the recordings panel: the recorded stretches and the gaps of one day on a bar,
 * zoomable from the whole day to two minutes, with a cursor and the playhead. A click picks a time
 * (on a drawn stretch, a time inside it); the keyboard does everything the mouse does: the bar is a
 * slider (←/→ move the cursor, PageUp/PageDown jump between recordings, Home/End, +/− zoom, Enter
 * plays, [ and ] set the download range). Positions are set through the CSSOM, which the console's
 * CSP allows (it forbids style attributes).
 */
import type { Gap } from '../../../services/recording/recording-playback.ts';
import { h, replace } from '../dom.ts';
import { fmtClock, fmtDuration } from './media.ts';

/** Spans the bar can show, seconds: the whole day (23 or 25 hours on a clock change), 6 h, 1 h, 10 min, 2 min. */
export const ZOOM_SPANS_S = [Infinity, 6 * 3600, 3600, 600, 120] as const;
/** Distance between labelled ticks for each span (matching {@link ZOOM_SPANS_S}), seconds. */
const TICK_STEPS_S = [3 * 3600, 3600, 600, 60, 15] as const;
/** Ticks this close to an end of the bar (percent) are left out. */
const TICK_EDGE_PCT = 3;
/** Arrow keys move the cursor by this fraction of the shown span. */
const KEY_STEPS_PER_SPAN = 48;

/** A recorded stretch: segments with no gap between them, epoch seconds. */
export interface Stretch {
  start: number;
  end: number;
}

/** An alarm marked on the bar (a start or a pulse: services/recording/recording-alarms.ts `TimelineAlarm`). */
export interface AlarmMark {
  id: string;
  /** Epoch seconds, on the recordings' clock. */
  t: number;
  /** What it is, in words (`motion`, `bell_ring`…; a detection's classes: `person, dog`). */
  name: string;
  /** A detection event (docs/detection.md) rather than an alarm: drawn in another colour and shape. */
  kind?: 'detection';
}

/** How a mark is said: `motion alarm`, `person detected`. */
export const markWords = (a: AlarmMark) => (a.kind === 'detection' ? `${a.name} detected` : `${a.name} alarm`);

/** Recorded stretches of a listing: what its gaps leave of the range. */
export function stretchesOf(l: { from: number; to: number; gaps: Gap[]; segments: unknown[] }): Stretch[] {
  const out: Stretch[] = [];
  let cur = l.from;
  for (const g of l.gaps) {
    if (g.start > cur) out.push({ start: cur, end: g.start });
    cur = Math.max(cur, g.end);
  }
  if (l.to > cur && l.segments.length) out.push({ start: cur, end: l.to });
  return out;
}

/** The day shown: epoch seconds of its local midnights, and its name. */
export interface Day {
  from: number;
  to: number;
  label: string;
}

/** What the timeline reports. */
export interface TimelineEvents {
  /** A time was picked (click, Enter): play from there. `on` is the stretch clicked on, if any. */
  pick(t: number, on: Stretch | undefined): void;
  /** `[` or `]` on the bar: the download range starts or ends at the cursor. */
  mark(which: 'from' | 'to', t: number): void;
  /** An alarm's or a detection's marker was clicked, or `A` pressed on the bar with the cursor on one: play from it. */
  alarm?(a: AlarmMark): void;
}

/** The timeline widget. */
export interface Timeline {
  el: HTMLElement;
  /** Draw a day with its stretches and gaps (keeps the cursor and zoom when the day is the same). */
  draw(day: Day, stretches: Stretch[], gaps: Gap[]): void;
  /** Where playback is (epoch seconds), or null when nothing plays. */
  playhead(t: number | null): void;
  /** Mark the day's alarms and detections on the bar. */
  alarms(marks: AlarmMark[]): void;
}

/** Create the timeline. */
export function createTimeline(on: TimelineEvents): Timeline {
  let day: Day = { from: 0, to: 86_400, label: '' };
  let stretches: Stretch[] = [];
  let gaps: Gap[] = [];
  let marks: AlarmMark[] = [];
  let zoom = 0;
  let v0 = 0;
  let cursor = 0;
  let head: number | null = null;
  /** Whether the cursor was placed by hand (click, keys) on this day. */
  let moved = false;

  const hintId = `tl-hint-${Math.random().toString(36).slice(2, 8)}`;
  const track = h('div', { class: 'db-track' });
  const ticks = h('div', { class: 'db-ticks', 'aria-hidden': 'true' });
  const cursorEl = h('div', { class: 'db-cursor', 'aria-hidden': 'true' });
  const headEl = h('div', { class: 'db-playhead', 'aria-hidden': 'true', hidden: true });
  const bar = h(
    'div',
    {
      class: 'daybar',
      role: 'slider',
      tabindex: 0,
      'aria-label': 'Recordings of the day',
      'aria-describedby': hintId,
      'aria-valuemin': 0,
      'data-testid': 'timeline',
    },
    track,
    ticks,
  );
  const viewLabel = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const zoomOut = h('button', { type: 'button', 'aria-label': 'Zoom out', title: 'Zoom out (−)' }, '−');
  const zoomIn = h('button', { type: 'button', 'aria-label': 'Zoom in', title: 'Zoom in (+)' }, '+');
  const el = h(
    'div',
    { class: 'daybar-wrap' },
    h('div', { class: 'row inline' }, zoomOut, zoomIn, viewLabel),
    bar,
    h(
      'small',
      { id: hintId, class: 'muted' },
      'Click a time to play from it, a red mark to play from its alarm, a purple one from its detection. Keys: ← → move, PageUp/PageDown previous/next recording, N/P next/previous mark, A plays from it, Home/End, + − zoom, Enter plays, [ ] set the download range.',
    ),
  );

  const span = () => Math.min(ZOOM_SPANS_S[zoom]!, day.to - day.from);
  const pct = (t: number) => ((t - v0) / span()) * 100;
  const place = (node: HTMLElement, start: number, end?: number) => {
    const a = Math.max(0, Math.min(100, pct(start)));
    node.style.left = `${a}%`;
    if (end !== undefined) node.style.width = `${Math.max(0, Math.min(100, pct(end)) - a)}%`;
  };
  const inStretch = (t: number) => stretches.find((s) => t >= s.start && t < s.end);
  /** The alarm the cursor is on: within a keyboard step of it. */
  const markAt = (t: number) => marks.find((a) => Math.abs(a.t - t) <= span() / KEY_STEPS_PER_SPAN / 2);
  /** Keep the view inside the day and around `t`. */
  const showAround = (t: number, force = false) => {
    const s = span();
    if (force || t < v0 || t >= v0 + s) v0 = t - s / 2;
    v0 = Math.max(day.from, Math.min(day.to - s, v0));
  };

  const render = () => {
    const s = span();
    const v1 = v0 + s;
    const now = Date.now() / 1000;
    const nodes: HTMLElement[] = [];
    for (const g of gaps) {
      const a = Math.max(g.start, v0);
      const b = Math.min(g.end, v1, Math.max(now, a)); // what lies ahead is not a gap yet
      if (b <= a) continue;
      const n = h('div', { class: 'db-gap', title: `Not recorded: ${fmtClock(g.start)}–${fmtClock(Math.min(g.end, Math.max(now, g.start)))}` });
      place(n, a, b);
      nodes.push(n);
    }
    for (const st of stretches) {
      if (st.end <= v0 || st.start >= v1) continue;
      const n = h('div', {
        class: 'db-range',
        'data-start': st.start,
        'data-end': st.end,
        title: `Recorded ${fmtClock(st.start)}–${fmtClock(st.end)} (${fmtDuration(st.end - st.start)})`,
      });
      place(n, Math.max(st.start, v0), Math.min(st.end, v1));
      nodes.push(n);
    }
    for (const a of marks) {
      if (a.t < v0 || a.t > v1) continue;
      const n = h('div', {
        class: a.kind === 'detection' ? 'db-alarm detection' : 'db-alarm',
        'data-alarm': a.id,
        title: `${markWords(a)} at ${fmtClock(a.t)}: click to play from it`,
      });
      place(n, a.t);
      nodes.push(n);
    }
    place(cursorEl, cursor);
    cursorEl.hidden = cursor < v0 || cursor > v1;
    drawHead();
    replace(track, ...nodes, cursorEl, headEl);
    const step = TICK_STEPS_S[zoom]!;
    const tickNodes: HTMLElement[] = [];
    for (let t = day.from + Math.ceil((v0 - day.from) / step) * step; t <= v1; t += step) {
      if (pct(t) < TICK_EDGE_PCT || pct(t) > 100 - TICK_EDGE_PCT) continue; // a label there would stick out of the bar
      const n = h('span', { class: 'db-tick' }, step < 60 ? fmtClock(t) : fmtClock(t).slice(0, 5));
      place(n, t);
      tickNodes.push(n);
    }
    replace(ticks, ...tickNodes);
    viewLabel.textContent = zoom === 0 ? `${day.label}: the whole day` : `${day.label}: ${fmtClock(v0)}–${fmtClock(v1)}`;
    zoomIn.disabled = zoom === ZOOM_SPANS_S.length - 1;
    zoomOut.disabled = zoom === 0;
    const st = inStretch(cursor);
    bar.setAttribute('aria-valuemax', String(Math.round(day.to - day.from)));
    bar.setAttribute('aria-valuenow', String(Math.round(cursor - day.from)));
    const near = markAt(cursor);
    bar.setAttribute('aria-valuetext', `${fmtClock(cursor)}, ${st ? 'recorded' : 'nothing recorded'}${near ? `, ${markWords(near)}` : ''}`);
    bar.setAttribute('aria-label', `Recordings of ${day.label}`);
  };
  const drawHead = () => {
    headEl.hidden = head === null || head < v0 || head > v0 + span();
    if (head !== null) place(headEl, head);
  };

  const pick = (t: number, st: Stretch | undefined) => on.pick(t, st);
  const moveCursor = (t: number) => {
    moved = true;
    cursor = Math.max(day.from, Math.min(day.to - 1, t));
    showAround(cursor);
    render();
  };
  const setZoom = (z: number) => {
    zoom = Math.max(0, Math.min(ZOOM_SPANS_S.length - 1, z));
    showAround(cursor, true);
    render();
  };
  zoomIn.addEventListener('click', () => setZoom(zoom + 1));
  zoomOut.addEventListener('click', () => setZoom(zoom - 1));

  track.addEventListener('click', (e) => {
    const alarmEl = (e.target as Element).closest?.('.db-alarm') as HTMLElement | null;
    const alarm = alarmEl ? marks.find((a) => a.id === alarmEl.dataset.alarm) : undefined;
    if (alarm && on.alarm) {
      cursor = alarm.t;
      moved = true;
      render();
      bar.focus({ preventScroll: true });
      return on.alarm(alarm);
    }
    const r = track.getBoundingClientRect();
    let t = v0 + ((e.clientX - r.left) / r.width) * span();
    const hit = (e.target as Element).closest?.('.db-range') as HTMLElement | null;
    const hitStretch = hit ? stretches.find((s) => String(s.start) === hit.dataset.start) : undefined;
    // A short recording is drawn wider than it lasts: a click on it is a time inside it.
    if (hitStretch) t = Math.max(hitStretch.start, Math.min(t, hitStretch.end - Math.min(1, (hitStretch.end - hitStretch.start) / 2)));
    cursor = t;
    moved = true;
    render();
    bar.focus({ preventScroll: true });
    pick(t, hitStretch);
  });

  bar.addEventListener('keydown', (e) => {
    const step = span() / KEY_STEPS_PER_SPAN;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => moveCursor(cursor - step),
      ArrowDown: () => moveCursor(cursor - step),
      ArrowRight: () => moveCursor(cursor + step),
      ArrowUp: () => moveCursor(cursor + step),
      PageUp: () => {
        const prev = [...stretches].reverse().find((s) => s.start < cursor - 0.5);
        if (prev) moveCursor(prev.start);
      },
      PageDown: () => {
        const next = stretches.find((s) => s.start > cursor + 0.5);
        if (next) moveCursor(next.start);
      },
      n: () => {
        const next = marks.find((a) => a.t > cursor + 0.5);
        if (next) moveCursor(next.t);
      },
      p: () => {
        const prev = [...marks].reverse().find((a) => a.t < cursor - 0.5);
        if (prev) moveCursor(prev.t);
      },
      a: () => {
        const a = markAt(cursor);
        if (a) on.alarm?.(a);
      },
      Home: () => moveCursor(day.from),
      End: () => moveCursor(day.to - 1),
      '+': () => setZoom(zoom + 1),
      '=': () => setZoom(zoom + 1),
      '-': () => setZoom(zoom - 1),
      Enter: () => pick(cursor, inStretch(cursor)),
      ' ': () => pick(cursor, inStretch(cursor)),
      '[': () => on.mark('from', cursor),
      ']': () => on.mark('to', cursor),
    };
    const f = keys[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (!f) return;
    e.preventDefault();
    f();
  });

  return {
    el,
    draw: (d, st, g) => {
      const sameDay = d.from === day.from && d.to === day.to;
      day = d;
      stretches = st;
      gaps = g;
      if (!sameDay) {
        zoom = 0;
        v0 = d.from;
        moved = false;
      }
      // Until someone moves it, the cursor waits at the latest recording.
      if (!moved) cursor = st.at(-1)?.start ?? d.from;
      showAround(cursor);
      render();
    },
    alarms: (m) => {
      marks = [...m].sort((a, b) => a.t - b.t);
      render();
    },
    playhead: (t) => {
      head = t;
      if (t !== null && (t < v0 || t > v0 + span())) {
        showAround(t, true);
        render();
      } else drawHead();
    },
  };
}
