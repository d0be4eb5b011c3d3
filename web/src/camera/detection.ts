/**
 * The camera page's Detection card (docs/console.md "Detection", docs/detection.md): the channel's detection setting
 * (`GET`/`PUT …/channels/:ch/detection`) and its detector's state. Mode, the classes (the groups person, vehicle,
 * animal, and any other COCO class by name), the minimum score, the frames per second of continuous mode, and zones:
 * drawn on a picture the camera takes (click the corners, name the zone) or written as text, one zone a line; both
 * are checked with the API's bounds before anything is sent.
 */
import { CLASS_GROUPS, COCO_CLASSES } from '../../../protocol/coco-classes.ts';
import {
  DETECT_CHANNEL_FPS_MAX,
  DETECT_CHANNEL_FPS_MIN,
  MIN_SCORE_MAX,
  MIN_SCORE_MIN,
  ZONE_NAME_MAX_CHARS,
  ZONE_POINTS_MAX,
} from '../../../protocol/detection-bounds.ts';
import { act, statusLine } from '../action.ts';
import { api, rpc } from '../api.ts';
import { field, h, replace } from '../dom.ts';
import type { PanelContext } from './slots.ts';
import { parseZones, type Zone, zoneLine, zonesText } from './zones-text.ts';

/** Step of the minimum score's field. */
const MIN_SCORE_STEP = 0.05;
/** Step of the frames per second's field. */
const FPS_STEP = 0.1;
/** Radius of a corner drawn on the picture, in the picture's pixels per 1000 of its width. */
const CORNER_PER_MILLE = 12;
/** Opacity of a zone's fill (its outline is opaque). */
const ZONE_FILL_ALPHA = 0.15;
const PER_MILLE = 1000;
/** Colours of the zones drawn: saved or written ones, and the one being drawn. */
const ZONE_COLOUR = '#2b6cb0';
const DRAWING_COLOUR = '#dd6b20';

/** A channel's setting as the API answers it. */
interface Setting {
  mode: 'off' | 'alarm' | 'continuous';
  classes: string[];
  min_score: number;
  zones: Zone[];
  fps: number;
  state: string;
  reason: string;
  failure: string | null;
  set_by: string | null;
}

const GROUPS = Object.keys(CLASS_GROUPS) as (keyof typeof CLASS_GROUPS)[];
const MODES = { off: 'Off', alarm: "On the camera's motion alarms", continuous: 'Continuously' } as const;

/** Mount the card into `section` for the page's channel. */
export function mountDetection(section: HTMLElement, panel: PanelContext): void {
  const enc = encodeURIComponent(panel.deviceId);
  const url = () => `/api/devices/${enc}/channels/${panel.channel()}/detection`;
  const stateText = h('p', { class: 'muted small', 'data-testid': 'detector-state' });
  const mode = h('select', { name: 'mode' }, ...Object.entries(MODES).map(([v, t]) => h('option', { value: v }, t)));
  const groups = GROUPS.map((g) => h('input', { type: 'checkbox', name: 'group', value: g }));
  const others = h('input', { name: 'other_classes', type: 'text', placeholder: 'e.g. backpack, umbrella', list: 'coco-classes' });
  const classList = h('datalist', { id: 'coco-classes' }, ...COCO_CLASSES.map((c) => h('option', { value: c })));
  const minScore = h('input', { name: 'min_score', type: 'number', min: MIN_SCORE_MIN, max: MIN_SCORE_MAX, step: MIN_SCORE_STEP, required: true });
  const fps = h('input', { name: 'fps', type: 'number', min: DETECT_CHANNEL_FPS_MIN, max: DETECT_CHANNEL_FPS_MAX, step: FPS_STEP, required: true });
  const zones = h('textarea', { name: 'zones', class: 'zones-text', spellcheck: false, placeholder: 'door: 0.1,0.5 0.9,0.5 0.9,1 0.1,1' });
  const saveBtn = h('button', { type: 'submit', class: 'primary' }, 'Save detection');
  const status = statusLine();

  // ── the zone editor: the channel's picture, the zones over it, clicks adding corners ──
  const img = h('img', { alt: '' });
  const canvas = h('canvas', { 'aria-hidden': 'true' });
  const editor = h('div', { class: 'zone-editor', hidden: true }, img, canvas);
  const pictureBtn = h('button', { type: 'button' }, 'Take a picture to draw zones on');
  const zoneName = h('input', { name: 'zone_name', type: 'text', maxlength: ZONE_NAME_MAX_CHARS, placeholder: 'door' });
  const addZone = h('button', { type: 'button', disabled: true }, 'Add the zone');
  const clearCorners = h('button', { type: 'button', disabled: true }, 'Clear the corners');
  const editorStatus = statusLine();
  let corners: [number, number][] = [];

  const draw = () => {
    if (editor.hidden || !img.naturalWidth) return;
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d');
    if (!g) return;
    const [w, ht] = [canvas.width, canvas.height];
    const r = (w * CORNER_PER_MILLE) / PER_MILLE;
    g.lineWidth = r / 2;
    g.font = `${r * 3}px sans-serif`;
    const path = (pts: [number, number][], colour: string, closed: boolean) => {
      g.strokeStyle = g.fillStyle = colour;
      g.beginPath();
      for (const [i, [x, y]] of pts.entries()) {
        if (i) g.lineTo(x * w, y * ht);
        else g.moveTo(x * w, y * ht);
      }
      if (closed) {
        g.closePath();
        g.globalAlpha = ZONE_FILL_ALPHA;
        g.fill();
        g.globalAlpha = 1;
      }
      g.stroke();
      for (const [x, y] of pts) g.fillRect(x * w - r / 2, y * ht - r / 2, r, r);
    };
    const parsed = parseZones(zones.value);
    for (const z of 'zones' in parsed ? parsed.zones : []) {
      path(z.points, ZONE_COLOUR, true);
      g.fillText(z.name, z.points[0]![0] * w + r, z.points[0]![1] * ht - r);
    }
    path(corners, DRAWING_COLOUR, false);
  };
  const cornersChanged = () => {
    addZone.disabled = corners.length < 3;
    clearCorners.disabled = corners.length === 0;
    replace(editorStatus, corners.length ? `${corners.length} corners: ${corners.length < 3 ? 'click at least 3' : 'name the zone and add it'}.` : '');
    draw();
  };
  canvas.addEventListener('click', (e) => {
    if (corners.length >= ZONE_POINTS_MAX) return;
    const b = canvas.getBoundingClientRect();
    const frac = (v: number) => Math.round(Math.max(0, Math.min(1, v)) * PER_MILLE) / PER_MILLE;
    corners.push([frac((e.clientX - b.left) / b.width), frac((e.clientY - b.top) / b.height)]);
    cornersChanged();
  });
  img.addEventListener('load', draw);
  zones.addEventListener('input', draw);
  clearCorners.addEventListener('click', () => {
    corners = [];
    cornersChanged();
  });
  addZone.addEventListener('click', () => {
    const name = zoneName.value.trim() || `zone ${zones.value.split('\n').filter((l) => l.trim()).length + 1}`;
    const text = [zones.value.trim(), zoneLine({ name, points: corners })].filter(Boolean).join('\n');
    const parsed = parseZones(text);
    if ('error' in parsed) return replace(editorStatus, parsed.error);
    zones.value = text;
    corners = [];
    zoneName.value = '';
    cornersChanged();
    replace(editorStatus, `Zone ${name} added: save to keep it.`);
  });
  pictureBtn.addEventListener('click', async () => {
    const r = await act(pictureBtn, editorStatus, () => rpc(panel.deviceId, 'Snapshot', { channel: panel.channel() }), {
      waiting: 'Taking a picture…',
      done: 'Click the corners of a zone on the picture.',
    });
    if (!r?.snapshot_id) return;
    img.alt = `Channel ${panel.channel()}: click the corners of a zone`;
    img.src = `/api/devices/${enc}/snapshots/${encodeURIComponent(String(r.snapshot_id))}`;
    editor.hidden = false;
  });

  const show = (s: Setting) => {
    mode.value = s.mode;
    const chosen = new Set(s.classes);
    for (const g of groups) g.checked = chosen.has(g.value);
    others.value = s.classes.filter((c) => !(GROUPS as string[]).includes(c)).join(', ');
    minScore.value = String(s.min_score);
    fps.value = String(s.fps);
    zones.value = zonesText(s.zones);
    fps.disabled = s.mode !== 'continuous';
    const failure = s.failure ? ` Last failure: ${s.failure}.` : '';
    stateText.textContent = `Detector: ${s.state} (${s.reason}).${s.set_by ? ` Set by ${s.set_by}.` : ''}${failure}`;
    draw();
  };
  mode.addEventListener('change', () => {
    fps.disabled = mode.value !== 'continuous';
  });

  /** The body to send, or the first mistake. */
  const body = (): { ok: Record<string, unknown> } | { error: string } => {
    const named = others.value
      .split(',')
      .map((c) => c.trim().toLowerCase())
      .filter(Boolean);
    const unknown = named.find((c) => !(COCO_CLASSES as readonly string[]).includes(c));
    if (unknown) return { error: `"${unknown}" is no COCO class the model knows (the list suggests them as you type)` };
    const classes = [...new Set([...groups.filter((g) => g.checked).map((g) => g.value), ...named])];
    if (classes.length === 0) return { error: 'Choose at least one class: person, vehicle, animal, or another by name' };
    const z = parseZones(zones.value);
    if ('error' in z) return z;
    return { ok: { mode: mode.value, classes, min_score: Number(minScore.value), fps: Number(fps.value), zones: z.zones } };
  };
  const form = h(
    'form',
    { class: 'detection-form', 'aria-label': 'Detection setting' },
    h(
      'div',
      { class: 'row' },
      field('Detect', mode),
      field('Minimum score', minScore, `${MIN_SCORE_MIN} to ${MIN_SCORE_MAX}: higher misses more, lower mistakes more.`),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Classes'),
      ...groups.map((g) => h('label', { class: 'inline' }, g, ` ${g.value}`)),
      field('Other classes', others, 'COCO class names, separated by commas.'),
      classList,
    ),
    field('Frames per second', fps, `Continuous mode only: ${DETECT_CHANNEL_FPS_MIN} to ${DETECT_CHANNEL_FPS_MAX}.`),
    field(
      'Zones',
      zones,
      'One zone a line: its name, a colon, then its corners as x,y fractions of the picture (0,0 top left; 1,1 bottom right). An object counts when the middle of its bottom edge is in a zone; no zones: the whole picture.',
    ),
    h('div', { class: 'row' }, pictureBtn, field("New zone's name", zoneName), addZone, clearCorners),
    editorStatus,
    editor,
    h('div', { class: 'row' }, saveBtn),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const b = body();
    if ('error' in b) {
      replace(status, b.error);
      status.className = 'status error';
      return;
    }
    const s = await act(saveBtn, status, () => api<Setting>(url(), { method: 'PUT', body: b.ok }), {
      waiting: 'Saving…',
      done: (v) =>
        v.mode === 'off'
          ? 'Saved: detection is off.'
          : `Saved: detecting ${v.classes.join(', ')} ${v.mode === 'alarm' ? 'on each motion alarm' : 'continuously'}.`,
    });
    if (s) show(s);
  });
  const load = async () => {
    const s = await act(null, status, () => api<Setting>(url()), { waiting: 'Loading…', done: '' });
    if (s) show(s);
  };
  section.append(stateText, form, status);
  panel.onChannel(() => {
    corners = [];
    editor.hidden = true;
    void load();
  });
  void load();
}
