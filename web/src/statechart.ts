/**
 * A machine's statechart in the page: the SVG the platform draws from the machine definition
 * (services/console/diagrams.ts), inlined so states can be highlighted by their `data-state` path.
 */
import { api, ApiError } from './api.ts';
import { h } from './dom.ts';
import { attachStatePanel } from './statechart-panel.ts';
import { attachView, type ChartView } from './statechart-view.ts';

/** Active state paths of a state value: `{online: 'ready'}` → `online`, `online.ready`. */
export function activePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (!value || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p, ...activePaths(v, p));
  }
  return out;
}

/** A diagram in the page. */
export interface Statechart {
  svg: SVGSVGElement;
  /** Its zoom and pan. */
  view: ChartView;
  /** Select a state: its transitions go into the side panel. */
  select(path: string): void;
  /** Highlight the states of `value`, and the transition `event` took from `before` (if given). */
  show(value: unknown, step?: { event: string; before?: unknown }): void;
}

const diagrams = new Map<string, Promise<string>>();

/** Where a mounted diagram puts its zoom buttons and the selected state's transitions. */
export interface ChartParts {
  toolbar: HTMLElement;
  panel: HTMLElement;
}

/** Load (once per machine version) and inline a machine's diagram into `host`, with zoom and pan, and a transitions panel. */
export async function mountStatechart(host: HTMLElement, type: string, version: number, parts: ChartParts): Promise<Statechart> {
  const url = `/api/machines/${encodeURIComponent(type)}/${version}/diagram.svg`;
  let text = diagrams.get(url);
  if (!text) {
    text = fetch(url, { credentials: 'same-origin' }).then(async (r) => {
      if (!r.ok) throw new ApiError(r.status, `the diagram of ${type} v${version} could not be loaded (${r.status})`);
      return r.text();
    });
    diagrams.set(url, text);
    text.catch(() => diagrams.delete(url));
  }
  const doc = new DOMParser().parseFromString(await text, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true) as unknown as SVGSVGElement;
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  host.replaceChildren(svg);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const view = attachView(host, svg, parts.toolbar);
  const panel = attachStatePanel(svg, parts.panel, view);
  /** The innermost state highlighted last (what "Current state" zooms to). */
  let current: SVGGElement | undefined;
  const toCurrent = h('button', { type: 'button', class: 'zoom-tool', title: 'Zoom to the current state, text readable' }, 'Current state');
  toCurrent.addEventListener('click', () => current && view.focus(current));
  parts.toolbar.insertBefore(toCurrent, parts.toolbar.lastChild);
  const states = new Map<string, SVGGElement>();
  for (const g of svg.querySelectorAll<SVGGElement>('g.sc-state')) states.set(g.dataset.state ?? '', g);
  const edges = [...svg.querySelectorAll<SVGGElement>('g.sc-edge')];
  return {
    svg,
    view,
    select: panel.select,
    show(value, step) {
      for (const el of svg.querySelectorAll('.sc-active, .sc-taken')) el.classList.remove('sc-active', 'sc-taken');
      const now = new Set(activePaths(value));
      for (const p of now) states.get(p)?.classList.add('sc-active');
      current = states.get([...now].at(-1) ?? '');
      if (current) view.reveal(current);
      if (!step) return;
      const before = step.before === undefined ? new Set<string>() : new Set(activePaths(step.before));
      before.add('*');
      if (step.event === 'xstate.init') before.add('^');
      for (const e of edges) {
        const ev = step.event === 'xstate.init' ? '' : step.event;
        const src = e.dataset.source ?? '';
        const fromInitial = step.event === 'xstate.init' && src.startsWith('^');
        if (e.dataset.event === ev && (before.has(src) || fromInitial) && now.has(e.dataset.target ?? '')) e.classList.add('sc-taken');
      }
      for (const p of before) {
        for (const t of states.get(p)?.querySelectorAll<SVGTextElement>('.sc-internal') ?? []) if (t.dataset.event === step.event) t.classList.add('sc-taken');
      }
    },
  };
}

/** The machine versions the platform runs. */
export function listMachines() {
  return api<{ machines: Array<{ type: string; version: number; machineId: string; latest: boolean }> }>('/api/machines');
}
