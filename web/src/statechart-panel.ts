/**
 * A click (or Enter) on a state of an inlined statechart lists its transitions in a side panel: the
 * events it answers, with their guards, and where each goes; then those it inherits from its parent
 * states and from "any state". Read from the diagram itself (the `data-source`, `data-target` and
 * `data-event` of each edge, and the internal transitions written inside each state).
 */
import { h, replace } from './dom.ts';
import type { ChartView } from './statechart-view.ts';

/** One transition as the panel lists it. */
export interface StateTransition {
  /** The event with its guard, as the diagram labels it (`cmd.request [connected]`, `after REBOOT_TIMEOUT (5 min)`). */
  label: string;
  /** The target state's path, or null for a transition that stays (internal). */
  target: string | null;
}

/** Pseudo-states: the "any state" box and initial markers (`^`, `^online`). */
const ANY_STATE = '*';
const INITIAL_PREFIX = '^';

/** The transitions leaving the state at `path` (its own, not its parents'). */
export function transitionsOf(svg: SVGSVGElement, path: string): StateTransition[] {
  const out: StateTransition[] = [];
  for (const e of svg.querySelectorAll<SVGGElement>('g.sc-edge')) {
    if (e.dataset.source !== path) continue;
    const label = e.querySelector('text.sc-label')?.textContent?.trim() || e.dataset.event || '(automatic)';
    out.push({ label, target: e.dataset.target ?? null });
  }
  const g = stateEl(svg, path);
  for (const t of g?.querySelectorAll<SVGTextElement>(':scope > text.sc-internal') ?? []) out.push({ label: t.textContent?.trim() ?? '', target: null });
  return out;
}

function stateEl(svg: SVGSVGElement, path: string): SVGGElement | null {
  return svg.querySelector<SVGGElement>(`g.sc-state[data-state="${CSS.escape(path)}"]`);
}

/** `online.ready` → `online`; the "any state" box last. */
function ancestorsOf(path: string): string[] {
  const parts = path.split('.');
  const out: string[] = [];
  for (let i = parts.length - 1; i > 0; i--) out.push(parts.slice(0, i).join('.'));
  if (path !== ANY_STATE) out.push(ANY_STATE);
  return out;
}

/** Make every state of `svg` selectable; the selection's transitions go into `panel`. */
export function attachStatePanel(svg: SVGSVGElement, panel: HTMLElement, view: ChartView): { select(path: string): void } {
  const intro = () =>
    replace(panel, h('h3', {}, 'Transitions'), h('p', { class: 'muted' }, 'Click a state (or focus it and press Enter) to list its transitions.'));
  const select = (path: string) => {
    for (const el of svg.querySelectorAll('.sc-selected, .sc-out')) el.classList.remove('sc-selected', 'sc-out');
    const g = stateEl(svg, path);
    if (!g) return intro();
    g.classList.add('sc-selected');
    for (const e of svg.querySelectorAll<SVGGElement>('g.sc-edge')) if (e.dataset.source === path) e.classList.add('sc-out');
    const list = (from: string, items: StateTransition[]) =>
      h(
        'ul',
        { class: 'sc-transitions', 'data-from': from },
        ...items.map((t) =>
          h(
            'li',
            {},
            h('code', {}, t.label),
            ' → ',
            t.target === null
              ? h('span', { class: 'muted' }, 'stays (internal)')
              : h('button', { type: 'button', class: 'link', 'data-target': t.target, onclick: () => select(t.target!) }, t.target),
          ),
        ),
      );
    const own = transitionsOf(svg, path);
    const inherited = ancestorsOf(path)
      .map((a) => ({ from: a, items: transitionsOf(svg, a) }))
      .filter((x) => x.items.length > 0);
    replace(
      panel,
      h('h3', {}, path === ANY_STATE ? 'Any state' : h('code', {}, path)),
      own.length
        ? list(path, own)
        : h('p', { class: 'muted' }, g.classList.contains('sc-final') ? 'A final state: no transitions.' : 'No transitions of its own.'),
      ...inherited.flatMap((x) => [h('h4', {}, x.from === ANY_STATE ? 'In any state' : `Inherited from ${x.from}`), list(x.from, x.items)]),
    );
    view.reveal(g);
  };
  for (const g of svg.querySelectorAll<SVGGElement>('g.sc-state')) {
    const path = g.dataset.state ?? '';
    if (path.startsWith(INITIAL_PREFIX)) continue;
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', `State ${path === ANY_STATE ? 'any state' : path}: list its transitions`);
  }
  svg.addEventListener('click', (e) => {
    if (view.dragged()) return;
    const g = (e.target as Element).closest<SVGGElement>('g.sc-state');
    const path = g?.dataset.state;
    if (path && !path.startsWith(INITIAL_PREFIX)) select(path);
  });
  svg.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const path = (e.target as Element).closest<SVGGElement>('g.sc-state')?.dataset.state;
    if (!path || path.startsWith(INITIAL_PREFIX)) return;
    e.preventDefault();
    select(path);
  });
  intro();
  return { select };
}
