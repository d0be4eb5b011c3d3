/**
 * One step of an actor's history as the actor page shows it: the event's payload (formatted JSON,
 * bounded, with "show all"), times in the reader's zone or as raw epoch milliseconds, the context
 * diff to the step before, and the context after it. Also which steps the compact history hides.
 */
import type { HistoryEntry } from '../../../actors/host/store.ts';
import { EPOCH_MS_MAX } from '../../../protocol/constants.ts';
import { h, pretty, replace } from '../dom.ts';

/** A history row as the page keeps it. */
export type Row = Pick<HistoryEntry, 'seq' | 'at' | 'event' | 'value' | 'changes' | 'context'>;

/** Characters, and lines, of an event's payload shown before "Show all". */
export const PAYLOAD_PREVIEW_CHARS = 1200;
export const PAYLOAD_PREVIEW_LINES = 16;
/** Characters of a value in the diff table. */
const DIFF_VALUE_CHARS = 200;
/** The pu machine's event for a Vd Keepalive (services/vd). */
export const KEEPALIVE_EVENT = 'vd.keepalive';
/** Context keys a routine keepalive moves: the last-seen times (pu.machine.ts's volatile keys). */
export const KEEPALIVE_ROUTINE_KEYS: ReadonlySet<string> = new Set(['lastSeenAt', 'hbSeenAt']);
/** Smallest number read as an epoch-ms time in a context (2001-09-09): smaller ones are counts or durations. */
const EPOCH_MS_PLAUSIBLE_MIN = 1e12;
/** Context keys whose numbers are instants. */
const TIME_KEY = /(At|^at|since|Since|due|Due|Time)$/;

/** Marks a key or entry the step removed. */
const REMOVED = Symbol('removed');

/** A time for people: the reader's zone, to the millisecond, the zone named; or the raw epoch ms. */
export function fmtInstant(ms: number, raw: boolean): string {
  if (raw) return String(ms);
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    timeZoneName: 'short',
  });
}

/** `online.ready`, or the paths of a parallel value. */
export function stateText(value: unknown): string {
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

/** The context keys a step changed (a patched record counts as its key). */
function changedKeys(r: Row): string[] {
  return [...Object.keys(r.changes.set), ...r.changes.unset, ...Object.keys(r.changes.patch ?? {})];
}

/** A Vd Keepalive that moved no state and changed nothing but the last-seen time: what "compact" hides. */
export function isKeepaliveOnly(r: Row, before: Row | undefined): boolean {
  if (r.event.type !== KEEPALIVE_EVENT) return false;
  if (before && stateText(before.value) !== stateText(r.value)) return false;
  return changedKeys(r).every((k) => KEEPALIVE_ROUTINE_KEYS.has(k));
}

/** A short hint of what an event carried (its name, reason…), beside its type. */
export function eventDetail(e: Row['event']): string {
  const name = typeof e.name === 'string' ? e.name : typeof e.reason === 'string' ? e.reason : '';
  return name ? ` ${name}` : '';
}

/** A value of the diff: JSON, bounded; an instant under a time key in the reader's zone (raw: its number). */
function shown(key: string, v: unknown, raw: boolean): string {
  if (v === undefined) return '(absent)';
  if (!raw && typeof v === 'number' && TIME_KEY.test(key) && v >= EPOCH_MS_PLAUSIBLE_MIN && v <= EPOCH_MS_MAX) return fmtInstant(v, false);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > DIFF_VALUE_CHARS ? `${s.slice(0, DIFF_VALUE_CHARS - 1)}…` : s;
}

/** Where a step is drawn. */
export interface StepParts {
  info: HTMLElement;
  payload: HTMLElement;
  diff: HTMLTableSectionElement;
  context: HTMLElement;
}

/** Show nothing: no step is selected (a seq that is not there, an empty history). */
export function clearStep(p: StepParts, why: string): void {
  p.info.textContent = why;
  replace(p.payload, h('p', { class: 'muted' }, 'No step selected.'));
  replace(p.diff, h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No step selected.')));
  p.context.textContent = '';
}

/** The payload of an event (everything but its type), formatted, bounded, with "Show all". */
function drawPayload(box: HTMLElement, e: Row['event']): void {
  const { type: _type, ...rest } = e;
  if (Object.keys(rest).length === 0) return replace(box, h('p', { class: 'muted' }, `${e.type} carries no payload.`));
  const text = pretty(rest);
  const lines = text.split('\n');
  const preview =
    lines.length > PAYLOAD_PREVIEW_LINES
      ? `${lines.slice(0, PAYLOAD_PREVIEW_LINES).join('\n')}\n…`
      : text.length > PAYLOAD_PREVIEW_CHARS
        ? `${text.slice(0, PAYLOAD_PREVIEW_CHARS)}…`
        : text;
  const pre = h('pre', { class: 'json', 'data-testid': 'step-payload', tabindex: '0', 'aria-label': 'Event payload' }, preview);
  if (preview === text) return replace(box, pre);
  const label = `Show all (${lines.length} lines, ${text.length} characters)`;
  const all = h('button', { type: 'button', 'aria-expanded': 'false' }, label);
  all.addEventListener('click', () => {
    const open = all.getAttribute('aria-expanded') !== 'true';
    pre.textContent = open ? text : preview;
    all.setAttribute('aria-expanded', String(open));
    all.textContent = open ? 'Show less' : label;
  });
  replace(box, pre, all);
}

/** Draw step `r` (with the step before it, if loaded): its line, payload, diff and context. */
export function drawStep(p: StepParts, r: Row, before: Row | undefined, o: { latestSeq: number; latest: boolean; first: boolean; raw: boolean }): void {
  p.info.textContent = `Step seq ${r.seq} of ${o.latestSeq}: ${r.event.type} at ${fmtInstant(r.at, o.raw)} → ${stateText(r.value)}${o.latest ? ' (latest)' : ''}`;
  drawPayload(p.payload, r.event);
  p.context.textContent = pretty(r.context);
  // One row per changed key, and per changed entry of a record the diff patched (`viewers.<id>`).
  const entry = (k: string, e: string) => (before?.context[k] as Record<string, unknown> | undefined)?.[e];
  const lines: Array<{ name: string; key: string; was: () => unknown; now: unknown }> = [
    ...Object.keys(r.changes.set).map((k) => ({ name: k, key: k, was: () => before?.context[k], now: r.changes.set[k] })),
    ...r.changes.unset.map((k) => ({ name: k, key: k, was: () => before?.context[k], now: REMOVED })),
    ...Object.entries(r.changes.patch ?? {}).flatMap(([k, pt]) => [
      ...Object.keys(pt.set).map((e) => ({ name: `${k}.${e}`, key: e, was: () => entry(k, e), now: pt.set[e] })),
      ...pt.unset.map((e) => ({ name: `${k}.${e}`, key: e, was: () => entry(k, e), now: REMOVED })),
    ]),
  ];
  replace(
    p.diff,
    ...(lines.length
      ? lines.map((l) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, l.name),
            h('td', {}, h('code', {}, before ? shown(l.key, l.was(), o.raw) : o.first && r.seq === 0 ? '(none)' : '(not loaded)')),
            h('td', {}, h('code', {}, l.now === REMOVED ? '(removed)' : shown(l.key, l.now, o.raw))),
          ),
        )
      : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No context change.'))]),
  );
}
