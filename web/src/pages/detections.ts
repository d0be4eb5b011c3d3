/**
 * The detections page (docs/console.md "Detections", docs/detection.md): the detection events of the cameras the
 * person may see, newest first, filtered by camera, class (a group or any COCO class), zone and time (the filters
 * live in the URL), a page at a time; each with its picture and the boxes drawn on it, what was found where, and
 * "Play from 5 s before" into the camera's recordings.
 */
import { CLASS_GROUPS, COCO_CLASSES } from '../../../protocol/coco-classes.ts';
import type { DetectionItem } from '../../../protocol/detection-api.ts';
import { ZONE_NAME_MAX_CHARS } from '../../../protocol/detection-bounds.ts';
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { act, statusLine } from '../action.ts';
import { api } from '../api.ts';
import { ALARM_PREROLL_S } from '../camera/alarms.ts';
import { playLink } from '../camera/detection-marks.ts';
import { field, fmtTime, h, replace } from '../dom.ts';
import type { Page } from '../page.ts';
import { keysetPager } from './pager.ts';

/** Detections per page (the API allows up to 200). */
const PAGE_ROWS = 20;
/** Milliseconds per second (the API's times are epoch seconds). */
const MS_PER_S = 1000;
/** Decimals of a score shown. */
const SCORE_DECIMALS = 2;

/** A `datetime-local` value as epoch seconds, or '' when empty. */
const secondsOf = (v: string) => (v ? String(Math.floor(new Date(v).getTime() / MS_PER_S)) : '');

/** What was found: `person 0.71 (door), dog 0.43`. */
function found(d: DetectionItem): string {
  if (d.objects.length === 0) return 'Nothing of interest';
  return d.objects.map((o) => `${o.class} ${o.score.toFixed(SCORE_DECIMALS)}${o.zones?.length ? ` (${o.zones.join(', ')})` : ''}`).join(', ');
}

export const detectionsPage: Page = (root) => {
  const q = new URLSearchParams(location.search);
  const device = h('select', { name: 'device' }, h('option', { value: '' }, 'All cameras'));
  const cls = h(
    'select',
    { name: 'class' },
    h('option', { value: '' }, 'Any class'),
    h('optgroup', { label: 'Groups' }, ...Object.keys(CLASS_GROUPS).map((g) => h('option', { value: g }, g))),
    h('optgroup', { label: 'Classes' }, ...COCO_CLASSES.map((c) => h('option', { value: c }, c))),
  );
  cls.value = q.get('class') ?? '';
  const zone = h('input', { name: 'zone', type: 'text', maxlength: ZONE_NAME_MAX_CHARS, value: q.get('zone') ?? '' });
  const from = h('input', { name: 'from', type: 'datetime-local', value: q.get('from') ?? '' });
  const to = h('input', { name: 'to', type: 'datetime-local', value: q.get('to') ?? '' });
  const status = statusLine();
  const list = h('ul', { class: 'detections', 'data-testid': 'detections' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No detections match.');

  void api<{ devices: DeviceStatus[] }>('/api/devices').then(
    (r) => {
      for (const d of r.devices) device.append(h('option', { value: d.device_id }, d.device_id));
      device.value = q.get('device') ?? '';
    },
    () => {},
  );

  const query = (before: string) => {
    const f = {
      device: device.value || q.get('device') || '',
      class: cls.value,
      zone: zone.value.trim(),
      from: secondsOf(from.value),
      to: secondsOf(to.value),
    };
    return new URLSearchParams(Object.entries({ ...f, before, limit: String(PAGE_ROWS) }).filter(([, v]) => v));
  };
  const item = (d: DetectionItem) => {
    const at = Date.parse(d.at);
    const what = d.classes.length ? d.classes.join(', ') : 'nothing of interest';
    const cam = `/cameras/${encodeURIComponent(d.device)}`;
    const play = d.recording_id
      ? h('a', { href: playLink(d.device, d.channel, at / MS_PER_S), 'data-link': true, class: 'button small' }, `Play from ${ALARM_PREROLL_S} s before`)
      : h('span', { class: 'muted small' }, 'Not recorded');
    return h(
      'li',
      { class: 'detection card', 'data-detection': d.id },
      d.picture ? h('img', { class: 'detection-picture', src: d.picture, loading: 'lazy', alt: `${d.device} at ${fmtTime(at)}: ${what}, boxes drawn` }) : null,
      h(
        'div',
        {},
        h('p', {}, h('strong', {}, what), ' · ', h('time', { datetime: d.at }, fmtTime(at))),
        h('p', { class: 'small' }, h('a', { href: cam, 'data-link': true }, d.device), `, channel ${d.channel}`),
        h('p', { class: 'small muted' }, found(d)),
        h('div', { class: 'row' }, play),
      ),
    );
  };

  /** Each load's number: an answer to an older one (filters changed meanwhile) is dropped. */
  let loads = 0;
  const pager = keysetPager('Pages of detections', async (before) => {
    const mine = ++loads;
    const r = await act(null, status, () => api<{ detections: DetectionItem[]; next: string | null }>(`/api/detections?${query(before)}`), {
      waiting: 'Loading detections…',
      done: (v) => (v.detections.length === 1 ? '1 detection.' : `${v.detections.length || 'No'} detections.`),
    });
    if (!r || mine !== loads) return undefined;
    replace(list, ...r.detections.map(item));
    empty.hidden = r.detections.length > 0;
    return r;
  });

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter detections' },
    field('Camera', device),
    field('Class', cls),
    field('Zone', zone),
    field('From', from),
    field('To', to),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = new URLSearchParams(
      Object.entries({ device: device.value, class: cls.value, zone: zone.value.trim(), from: from.value, to: to.value }).filter(([, v]) => v),
    );
    history.replaceState(null, '', `/detections${qs.size ? `?${qs}` : ''}`);
    q.set('device', device.value);
    pager.first();
  });
  root.append(h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Detections')), form, status, list, empty, pager.el);
  pager.first();
  return undefined;
};
