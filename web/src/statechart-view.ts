/**
 * Zoom, pan and fit for an inlined statechart, by rewriting its `viewBox`: buttons, the wheel (around
 * the pointer), dragging (mouse, pen or touch) and the keyboard (+ − 0 and the arrows). "Fit" shows the
 * whole machine and is where every diagram starts; the box never makes the page wider than the screen.
 */
import { h } from './dom.ts';

/** Largest zoom, relative to "fit" (the pu machine's 11 px text reads at about 1.5× a desktop fit). */
export const ZOOM_MAX = 16;
/** Zoom factor of one button press or key. */
export const ZOOM_STEP = 1.5;
/** Zoom factor per pixel of wheel travel (a 100 px notch zooms about 1.2×). */
const WHEEL_ZOOM_PER_PX = 0.0018;
/** Pointer travel (CSS px) before a press becomes a drag rather than a click. */
const DRAG_THRESHOLD_PX = 4;
/** Share of the visible width an arrow key pans. */
const KEY_PAN_SHARE = 0.1;
/** Pixels per SVG unit a "readable" zoom aims for: the diagram's 11 px text at about 14 px. */
export const READABLE_PX_PER_UNIT = 1.3;

/** A diagram's zoom and pan. */
export interface ChartView {
  /** Show the whole machine. */
  fit(): void;
  /** Zoom by `factor` around a point in diagram units (default: the centre of the view). */
  zoomBy(factor: number, at?: { x: number; y: number }): void;
  /** Zoom so that text is readable, centred on `el`. */
  focus(el: SVGGraphicsElement): void;
  /** Pan (not zoom) so that `el` is in view, if it is not. */
  reveal(el: SVGGraphicsElement): void;
  /** Zoom relative to fit (1: fit). */
  readonly zoom: number;
  /** Whether the last press was a drag (the click that ends it selects nothing). */
  dragged(): boolean;
}

/** Attach zoom and pan to `svg` inside its scroll-less `box`, with its buttons in `toolbar`. */
export function attachView(box: HTMLElement, svg: SVGSVGElement, toolbar: HTMLElement): ChartView {
  const vb = svg.viewBox.baseVal;
  const full = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
  let z = 1;
  // The box takes the machine's shape (within the stylesheet's height bounds), so a fit wastes no space.
  box.style.aspectRatio = `${full.w} / ${full.h}`;
  let cx = full.x + full.w / 2;
  let cy = full.y + full.h / 2;
  const status = h('span', { class: 'muted zoom-level', 'aria-live': 'polite', 'data-testid': 'zoom-level' });
  const apply = () => {
    z = Math.max(1, Math.min(ZOOM_MAX, z));
    const w = full.w / z;
    const ht = full.h / z;
    // Keep the centre where the view stays on the machine.
    cx = z === 1 ? full.x + full.w / 2 : Math.max(full.x + w / 2, Math.min(full.x + full.w - w / 2, cx));
    cy = z === 1 ? full.y + full.h / 2 : Math.max(full.y + ht / 2, Math.min(full.y + full.h - ht / 2, cy));
    svg.setAttribute('viewBox', `${round(cx - w / 2)} ${round(cy - ht / 2)} ${round(w)} ${round(ht)}`);
    box.dataset.zoom = String(round(z));
    // At fit a vertical swipe scrolls the page (there is nothing to pan); zoomed in, it pans the diagram.
    box.style.touchAction = z === 1 ? 'pan-y' : 'none';
    status.textContent = z === 1 ? 'Fit' : `${Math.round(z * 100)} %`;
  };
  /** CSS pixels per diagram unit at zoom 1 (preserveAspectRatio "meet"). */
  const fitScale = () => {
    const r = svg.getBoundingClientRect();
    return Math.min(r.width / full.w, r.height / full.h) || 1;
  };
  /** The diagram point under a client position. */
  const toDiagram = (clientX: number, clientY: number) => {
    const m = svg.getScreenCTM();
    if (!m) return { x: cx, y: cy };
    const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };
  const view: ChartView = {
    fit() {
      z = 1;
      apply();
    },
    zoomBy(factor, at) {
      const before = z;
      z = Math.max(1, Math.min(ZOOM_MAX, z * factor));
      if (at) {
        // Keep the point under the pointer where it is.
        cx = at.x + (cx - at.x) * (before / z);
        cy = at.y + (cy - at.y) * (before / z);
      }
      apply();
    },
    focus(el) {
      const b = el.getBBox();
      z = Math.max(1, READABLE_PX_PER_UNIT / fitScale());
      cx = b.x + b.width / 2;
      cy = b.y + b.height / 2;
      apply();
    },
    reveal(el) {
      if (z === 1) return;
      const b = el.getBBox();
      const w = full.w / z;
      const ht = full.h / z;
      const inside = b.x >= cx - w / 2 && b.x + b.width <= cx + w / 2 && b.y >= cy - ht / 2 && b.y + b.height <= cy + ht / 2;
      if (inside) return;
      cx = b.x + b.width / 2;
      cy = b.y + b.height / 2;
      apply();
    },
    get zoom() {
      return z;
    },
    dragged: () => wasDrag,
  };

  const tool = (label: string, text: string, f: () => void) =>
    h('button', { type: 'button', class: 'zoom-tool', 'aria-label': label, title: label, onclick: f }, text);
  toolbar.append(
    tool('Zoom in', '+', () => view.zoomBy(ZOOM_STEP)),
    tool('Zoom out', '−', () => view.zoomBy(1 / ZOOM_STEP)),
    tool('Fit the whole statechart', 'Fit', () => view.fit()),
    status,
  );

  box.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      view.zoomBy(Math.exp(-e.deltaY * WHEEL_ZOOM_PER_PX), toDiagram(e.clientX, e.clientY));
    },
    { passive: false },
  );
  let press: { x: number; y: number; cx: number; cy: number; id: number } | null = null;
  let wasDrag = false;
  box.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    press = { x: e.clientX, y: e.clientY, cx, cy, id: e.pointerId };
    wasDrag = false;
  });
  box.addEventListener('pointermove', (e) => {
    if (!press || e.pointerId !== press.id) return;
    const dx = e.clientX - press.x;
    const dy = e.clientY - press.y;
    if (!wasDrag && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
    if (!wasDrag) box.setPointerCapture(e.pointerId);
    wasDrag = true;
    box.classList.add('dragging');
    const s = fitScale() * z;
    cx = press.cx - dx / s;
    cy = press.cy - dy / s;
    apply();
  });
  const release = (e: PointerEvent) => {
    if (!press || e.pointerId !== press.id) return;
    press = null;
    box.classList.remove('dragging');
  };
  box.addEventListener('pointerup', release);
  box.addEventListener('pointercancel', release);
  const move = (dx: number, dy: number) => {
    cx += dx;
    cy += dy;
    apply();
  };
  box.addEventListener('keydown', (e) => {
    if (e.target !== box) return;
    const pan = (full.w / z) * KEY_PAN_SHARE;
    const keys: Record<string, () => void> = {
      '+': () => view.zoomBy(ZOOM_STEP),
      '=': () => view.zoomBy(ZOOM_STEP),
      '-': () => view.zoomBy(1 / ZOOM_STEP),
      '0': () => view.fit(),
      ArrowLeft: () => move(-pan, 0),
      ArrowRight: () => move(pan, 0),
      ArrowUp: () => move(0, -pan),
      ArrowDown: () => move(0, pan),
    };
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault();
    f();
  });
  apply();
  return view;
}

/** Two decimals are plenty for a viewBox. */
function round(n: number): number {
  return Math.round(n * 100) / 100;
}
