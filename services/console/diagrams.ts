/**
 * Statechart diagrams drawn from the machine definitions themselves: `xstate/graph` gives the
 * states and transitions, ELK (elkjs, layered, hierarchy-aware) lays them out, and this module
 * renders SVG. The console inlines the SVG and highlights states by their `data-state` path;
 * `bun run diagrams` writes the same SVG to docs/machines/ (a test keeps those files current).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { toDirectedGraph } from 'xstate/graph';
import type { MachineDef } from '../../actors/host/registry.ts';

/** Font size of state names and transition labels, px (monospace, so widths can be estimated without a DOM). */
export const DIAGRAM_FONT_PX = 11;
/** Width of one character of the diagram's monospace font, px (DejaVu Sans Mono is 0.602 em). */
export const DIAGRAM_CHAR_PX = 6.7;
/** Height of one text line, px. */
export const DIAGRAM_LINE_PX = 14;
/** Inner padding of a state box, px. */
export const DIAGRAM_PAD_PX = 8;
/** Diameter of an initial-state marker, px. */
export const DIAGRAM_INITIAL_PX = 10;
/** The font stack written into the SVG (monospace: the layout assumed its widths). */
export const DIAGRAM_FONT = "'DejaVu Sans Mono', ui-monospace, Menlo, Consolas, monospace";
/** `data-state` of the pseudo-state that holds the machine's root transitions ("from any state"). */
export const ANY_STATE = '*';

/** ELK's layered algorithm, hierarchy-aware, with absolute coordinates for every shape and edge. */
const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeLabel': '3',
  'elk.spacing.edgeEdge': '12',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.edgeLabels.inline': 'true',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
};

/** One state (or pseudo-state) of a diagram. */
export interface DiagramState {
  /** Dotted path below the machine (`online.ready`), as in state keys; `*` for "any state", `^…` for initial markers. */
  path: string;
  name: string;
  kind: 'atomic' | 'compound' | 'parallel' | 'final' | 'history' | 'any' | 'initial';
  /** Transitions without a target (actions only), written inside the box: `event [guard]`. */
  internal: Array<{ event: string; label: string }>;
}

/** One transition with a target (or an initial marker's arrow). */
export interface DiagramEdge {
  source: string;
  target: string;
  /** The event type as the actor receives it (`xstate.after.…` for delays, `` for always and initial). */
  event: string;
  label: string;
}

/** The graph of a machine as this module draws it (before layout). */
export interface DiagramGraph {
  machineId: string;
  states: DiagramState[];
  edges: DiagramEdge[];
  /** Parent path of each state ('' for top level). */
  parent: Record<string, string>;
}

type Transition = {
  eventType: string;
  target?: readonly AnyStateNode[];
  guard?: unknown;
  delay?: string | number;
  reenter?: boolean;
};

/** "5 min", "30 s", "1.5 s". */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${ms} ms`;
}

function guardText(guard: unknown): string {
  if (!guard) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    const g = guard as { type: string; params?: unknown };
    if (g.params === undefined || typeof g.params === 'function') return g.type;
    const p = typeof g.params === 'object' ? JSON.stringify(g.params) : String(g.params);
    return `${g.type}(${p})`;
  }
  return 'guard';
}

function eventText(m: AnyStateMachine, t: Transition): string {
  if (t.eventType.startsWith('xstate.after.')) {
    const d = t.delay;
    if (typeof d === 'number') return `after ${formatDuration(d)}`;
    const impl = d !== undefined ? (m.implementations.delays as Record<string, unknown>)[d] : undefined;
    return typeof impl === 'number' ? `after ${d} (${formatDuration(impl)})` : `after ${d ?? '?'}`;
  }
  return t.eventType === '' ? 'always' : t.eventType;
}

function labelOf(m: AnyStateMachine, t: Transition): string {
  const g = guardText(t.guard);
  return g ? `${eventText(m, t)} [${g}]` : eventText(m, t);
}

const pathOf = (n: AnyStateNode) => n.path.join('.');

/** The states and transitions of a machine, from `xstate/graph` (plus `always` transitions and initial markers). */
export function machineGraph(m: AnyStateMachine): DiagramGraph {
  const states: DiagramState[] = [];
  const edges: DiagramEdge[] = [];
  const parent: Record<string, string> = {};
  const anyState: DiagramState = { path: ANY_STATE, name: 'any state', kind: 'any', internal: [] };
  const visit = (g: ReturnType<typeof toDirectedGraph>, parentPath: string | null) => {
    const node = g.stateNode as AnyStateNode;
    const path = parentPath === null ? ANY_STATE : pathOf(node);
    const own: DiagramState = parentPath === null ? anyState : { path, name: node.key, kind: node.type as DiagramState['kind'], internal: [] };
    if (parentPath !== null) {
      states.push(own);
      parent[path] = parentPath;
    }
    const transitions: Transition[] = [...g.edges.map((e) => e.transition as Transition)];
    const unique = [...new Set(transitions)];
    unique.push(...((node.always ?? []) as Transition[]));
    for (const t of unique) {
      if (!t.target || t.target.length === 0) {
        own.internal.push({ event: t.eventType, label: labelOf(m, t) });
        continue;
      }
      for (const target of t.target) edges.push({ source: path, target: pathOf(target), event: t.eventType, label: labelOf(m, t) });
    }
    const childParent = parentPath === null ? '' : path;
    const initial = (node.initial as { target?: readonly AnyStateNode[] } | undefined)?.target;
    if (node.type === 'compound' && initial?.length) {
      const marker = `^${childParent}`;
      states.push({ path: marker, name: '', kind: 'initial', internal: [] });
      parent[marker] = childParent;
      for (const t of initial) edges.push({ source: marker, target: pathOf(t), event: '', label: '' });
    }
    for (const child of g.children) visit(child, childParent);
  };
  visit(toDirectedGraph(m), null);
  if (anyState.internal.length > 0 || edges.some((e) => e.source === ANY_STATE)) {
    states.unshift(anyState);
    parent[ANY_STATE] = '';
  }
  return { machineId: m.id, states, edges, parent };
}

const textWidth = (s: string) => Math.ceil(s.length * DIAGRAM_CHAR_PX);

function boxOf(s: DiagramState): { width: number; height: number; top: number } {
  if (s.kind === 'initial') return { width: DIAGRAM_INITIAL_PX, height: DIAGRAM_INITIAL_PX, top: 0 };
  const lines = s.internal.map((i) => i.label);
  const width = Math.max(textWidth(s.name) + 4, ...lines.map((l) => textWidth(l) + 10), 48) + 2 * DIAGRAM_PAD_PX;
  const top = DIAGRAM_PAD_PX + DIAGRAM_LINE_PX + (lines.length ? lines.length * DIAGRAM_LINE_PX + 4 : 0);
  return { width, height: top + DIAGRAM_PAD_PX, top };
}

/** A laid-out diagram: absolute boxes and edge polylines. */
export interface DiagramLayout {
  graph: DiagramGraph;
  width: number;
  height: number;
  boxes: Record<string, { x: number; y: number; width: number; height: number }>;
  edges: Array<DiagramEdge & { points: Array<{ x: number; y: number }>; labelBox?: { x: number; y: number; width: number; height: number } }>;
}

const nodeId = (path: string) => `n:${path}`;

/** Lay a machine's graph out with ELK. */
export async function layoutGraph(graph: DiagramGraph): Promise<DiagramLayout> {
  const children = new Map<string, ElkNode[]>();
  const elkNodes = new Map<string, ElkNode>();
  const hasChildren = new Set(Object.values(graph.parent));
  for (const s of graph.states) {
    const box = boxOf(s);
    const n: ElkNode =
      hasChildren.has(s.path) && s.kind !== 'any'
        ? {
            id: nodeId(s.path),
            layoutOptions: {
              'elk.padding': `[top=${box.top + 6},left=14,bottom=14,right=14]`,
              'elk.nodeSize.minimum': `(${box.width},${box.height})`,
              'elk.nodeSize.constraints': 'MINIMUM_SIZE',
            },
          }
        : { id: nodeId(s.path), width: box.width, height: box.height };
    elkNodes.set(s.path, n);
    const list = children.get(graph.parent[s.path] ?? '') ?? [];
    list.push(n);
    children.set(graph.parent[s.path] ?? '', list);
  }
  for (const [path, n] of elkNodes) if (children.has(path)) n.children = children.get(path);
  const edges: ElkExtendedEdge[] = graph.edges.map((e, i) => ({
    id: `e${i}`,
    sources: [nodeId(e.source)],
    targets: [nodeId(e.target)],
    labels: e.label ? [{ text: e.label, width: textWidth(e.label) + 4, height: DIAGRAM_LINE_PX } satisfies ElkLabel] : [],
  }));
  const root: ElkNode = { id: 'root', layoutOptions: LAYOUT_OPTIONS, children: children.get('') ?? [], edges };
  const out = await new ELK().layout(root);
  const boxes: DiagramLayout['boxes'] = {};
  const walk = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      boxes[c.id.slice(2)] = { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 };
      walk(c);
    }
  };
  walk(out);
  const laidEdges: DiagramLayout['edges'] = [];
  const collect = (n: ElkNode) => {
    for (const e of (n.edges ?? []) as ElkExtendedEdge[]) {
      const i = Number(e.id.slice(1));
      const sec = e.sections?.[0];
      const points = sec ? [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint] : [];
      const l = e.labels?.[0];
      laidEdges[i] = { ...graph.edges[i]!, points, ...(l ? { labelBox: { x: l.x ?? 0, y: l.y ?? 0, width: l.width ?? 0, height: l.height ?? 0 } } : {}) };
    }
    for (const c of n.children ?? []) collect(c);
  };
  collect(out);
  return { graph, width: out.width ?? 0, height: out.height ?? 0, boxes, edges: laidEdges.filter(Boolean) };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Colours are presentation attributes, not a <style> element: the console inlines the SVG under a
 * strict Content-Security-Policy (no inline styles), and its stylesheet overrides them for the
 * highlighted state (`.sc-active`) and the transition just taken (`.sc-taken`).
 */
const PAINT = {
  state: 'fill="#ffffff" stroke="#4a5568" stroke-width="1.2"',
  compound: 'fill="#f4f6f9" stroke="#4a5568" stroke-width="1.2"',
  any: 'fill="#fffdf5" stroke="#4a5568" stroke-width="1.2" stroke-dasharray="4 3"',
  inner: 'fill="none" stroke="#4a5568" stroke-width="1"',
  initial: 'fill="#2d3748"',
  name: 'font-weight="bold" fill="#1a202c"',
  internal: 'fill="#4a5568"',
  edge: 'fill="none" stroke="#718096" stroke-width="1.2"',
  label: 'fill="#2b4c7e"',
};

/** Render a laid-out diagram as a standalone SVG document. */
export function renderSvg(l: DiagramLayout, meta: { type: string; version: number }): string {
  const marker = `sc-arrow-${meta.type}-${meta.version}`.replace(/[^\w-]/g, '_');
  const out: string[] = [];
  const w = Math.ceil(l.width);
  const h = Math.ceil(l.height);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="statechart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" font-family="${esc(DIAGRAM_FONT)}" font-size="${DIAGRAM_FONT_PX}" role="img" aria-label="Statechart of the ${esc(meta.type)} machine, version ${meta.version}" data-machine="${esc(l.graph.machineId)}" data-type="${esc(meta.type)}" data-version="${meta.version}">`,
  );
  out.push(`<title>${esc(meta.type)} v${meta.version} (machine ${esc(l.graph.machineId)})</title>`);
  out.push(
    `<defs><marker id="${marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#718096"/></marker></defs>`,
  );
  // Outer states first, so inner ones paint on top of their parent's fill.
  const depth = (p: string): number => (p === ANY_STATE || p === '^' ? 0 : p.startsWith('^') ? depth(p.slice(1)) + 1 : p.split('.').length);
  const ordered = [...l.graph.states].sort((a, b) => depth(a.path) - depth(b.path));
  out.push('<g class="sc-states">');
  for (const s of ordered) {
    const b = l.boxes[s.path];
    if (!b) continue;
    const [x, y, bw, bh] = [r1(b.x), r1(b.y), r1(b.width), r1(b.height)];
    if (s.kind === 'initial') {
      out.push(
        `<g class="sc-state sc-initial" data-state="${esc(s.path)}"><circle cx="${r1(x + bw / 2)}" cy="${r1(y + bh / 2)}" r="${r1(bw / 2)}" ${PAINT.initial}/></g>`,
      );
      continue;
    }
    out.push(`<g class="sc-state sc-${s.kind}" data-state="${esc(s.path)}">`);
    const paint = s.kind === 'any' ? PAINT.any : s.kind === 'compound' || s.kind === 'parallel' ? PAINT.compound : PAINT.state;
    out.push(`<rect class="sc-box" x="${x}" y="${y}" width="${bw}" height="${bh}" rx="8" ${paint}/>`);
    if (s.kind === 'final')
      out.push(`<rect class="sc-inner" x="${r1(x + 3)}" y="${r1(y + 3)}" width="${r1(bw - 6)}" height="${r1(bh - 6)}" rx="6" ${PAINT.inner}/>`);
    out.push(`<text class="sc-name" ${PAINT.name} x="${r1(x + DIAGRAM_PAD_PX)}" y="${r1(y + DIAGRAM_PAD_PX + DIAGRAM_FONT_PX)}">${esc(s.name)}</text>`);
    s.internal.forEach((i, k) => {
      const ty = y + DIAGRAM_PAD_PX + DIAGRAM_LINE_PX + 4 + (k + 1) * DIAGRAM_LINE_PX - 3;
      out.push(
        `<text class="sc-internal" ${PAINT.internal} data-event="${esc(i.event)}" x="${r1(x + DIAGRAM_PAD_PX + 6)}" y="${r1(ty)}">${esc(i.label)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</g><g class="sc-edges">');
  for (const e of l.edges) {
    if (e.points.length === 0) continue;
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${r1(p.x)},${r1(p.y)}`).join('');
    out.push(`<g class="sc-edge" data-source="${esc(e.source)}" data-target="${esc(e.target)}" data-event="${esc(e.event)}">`);
    out.push(`<path d="${d}" ${PAINT.edge} marker-end="url(#${marker})"/>`);
    if (e.labelBox && e.label) {
      out.push(`<text class="sc-label" ${PAINT.label} x="${r1(e.labelBox.x + 2)}" y="${r1(e.labelBox.y + e.labelBox.height - 3)}">${esc(e.label)}</text>`);
    }
    out.push('</g>');
  }
  out.push('</g></svg>');
  return `${out.join('\n')}\n`;
}

/** The SVG of one machine version. */
export async function machineSvg(def: MachineDef): Promise<string> {
  return renderSvg(await layoutGraph(machineGraph(def.machine)), { type: def.type, version: def.version });
}

const cache = new Map<string, Promise<string>>();

/** {@link machineSvg}, computed once per machine version for the life of the process. */
export function cachedMachineSvg(def: MachineDef): Promise<string> {
  const key = `${def.type}@${def.version}`;
  let svg = cache.get(key);
  if (!svg) {
    svg = machineSvg(def);
    cache.set(key, svg);
    svg.catch(() => cache.delete(key));
  }
  return svg;
}

/** File name of a machine version's diagram in docs/machines/. */
export function diagramFileName(def: Pick<MachineDef, 'type' | 'version'>): string {
  return `${def.type}.v${def.version}.svg`;
}
