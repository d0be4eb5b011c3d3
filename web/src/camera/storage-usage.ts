/**
 * What recordings take in storage (docs/recording.md, "Quotas"): on the camera page, the camera's usage against its
 * quota, and for its owner (or an admin) the quota's form; on the cameras page, what all the person's cameras keep
 * against their plan. Both say what a full quota means: the oldest recordings go first.
 */
import type { z } from 'zod';
import type { DeviceRecordingUsage, UserRecordingUsage } from '../../../protocol/api-responses.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { field, fmtTime, h, replace } from '../dom.ts';

type DeviceUsage = z.infer<typeof DeviceRecordingUsage>;
type UserUsage = z.infer<typeof UserRecordingUsage>;

/** How often the usage is read again while its page is shown (recordings come and go in the background). */
const USAGE_REFRESH_MS = 30_000;
/** Bytes in a megabyte (the quota's field is in MB; decimal, as storage plans count). */
const MB = 1_000_000;
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
/** Decimal steps between units. */
const UNIT_STEP = 1000;

/** Bytes in words: `35.0 kB`, `50.0 GB`. */
export function fmtBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= UNIT_STEP && u < UNITS.length - 1) {
    v /= UNIT_STEP;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** `<used> of <quota>` with a meter, or "no quota". */
function usageLine(u: { bytes: number; segments: number; quota_bytes: number; oldest_kept: { start: number } | null }, who: string): HTMLElement[] {
  const out: HTMLElement[] = [];
  const kept = `${fmtBytes(u.bytes)} in ${u.segments} segment${u.segments === 1 ? '' : 's'}`;
  if (u.quota_bytes > 0) {
    out.push(h('meter', { min: '0', max: String(u.quota_bytes), value: String(Math.min(u.bytes, u.quota_bytes)), 'aria-label': `${who} storage used` }));
    out.push(h('p', { 'data-testid': 'usage-text' }, `${kept} of ${fmtBytes(u.quota_bytes)}. When it is full, the oldest recordings go first.`));
  } else out.push(h('p', { 'data-testid': 'usage-text' }, `${kept}; no quota (recordings are kept for the retention period).`));
  out.push(
    h(
      'p',
      { class: 'muted small', 'data-testid': 'usage-oldest' },
      u.oldest_kept ? `Oldest kept: ${fmtTime(u.oldest_kept.start * 1000)}` : 'Nothing kept yet.',
    ),
  );
  return out;
}

/**
 * The camera's storage, in its recordings card; returns the cleanup.
 * @example const stop = mountDeviceUsage(recSection, deviceId)
 */
export function mountDeviceUsage(section: HTMLElement, deviceId: string): () => void {
  const path = `/api/devices/${encodeURIComponent(deviceId)}`;
  const view = h('div', { 'data-testid': 'device-usage' });
  const quota = h('input', { name: 'quota_mb', type: 'number', min: '0', step: 'any', inputmode: 'decimal' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Set quota');
  const reset = h('button', { type: 'button' }, 'Use the platform default');
  const status = statusLine();
  const form = h(
    'form',
    { class: 'grid-form', 'data-needs': 'owner', 'aria-label': 'Storage quota' },
    field('Quota (MB)', quota, '0: no quota for this camera (a plan for all your cameras still counts). When it is reached, the oldest recordings go first.'),
    h('div', { class: 'row' }, save, reset),
  );
  section.append(h('div', { class: 'storage-usage' }, h('h3', {}, 'Storage'), view, form, status));

  const draw = (u: DeviceUsage) => {
    replace(
      view,
      ...usageLine(u, 'Camera'),
      h('p', { class: 'muted small' }, u.quota_default ? 'Quota: the platform default.' : 'Quota: set for this camera.'),
    );
    if (document.activeElement !== quota) quota.value = String(u.quota_bytes / MB);
  };
  const load = () => api<DeviceUsage>(`${path}/recording-usage`, { quiet401: true }).then(draw, () => undefined);
  const set = async (quotaBytes: number | null, button: HTMLButtonElement) => {
    const u = await act(button, status, () => api<DeviceUsage>(`${path}/recording-quota`, { method: 'PUT', body: { quota_bytes: quotaBytes } }), {
      waiting: 'Saving the quota…',
      done: (v) => (v.quota_default ? 'The platform default applies.' : `Quota set: ${fmtBytes(v.quota_bytes)}.`),
    });
    if (u) draw(u);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void set(Math.round(Number(quota.value) * MB), save);
  });
  reset.addEventListener('click', () => void set(null, reset));
  void load();
  const timer = setInterval(load, USAGE_REFRESH_MS);
  return () => clearInterval(timer);
}

/**
 * What all the person's cameras keep, on the cameras page; returns the cleanup.
 * @example const stop = mountUserUsage(cardElement)
 */
export function mountUserUsage(slot: HTMLElement): () => void {
  const load = () =>
    api<UserUsage>('/api/recording-usage', { quiet401: true }).then(
      (u) =>
        replace(
          slot,
          h('h2', {}, 'Storage'),
          h(
            'div',
            { 'data-testid': 'user-usage' },
            ...usageLine(u, 'Your cameras’'),
            h(
              'dl',
              { class: 'facts', 'aria-label': 'By camera' },
              ...u.devices.flatMap((d) => [
                h('dt', {}, d.device_id),
                h('dd', {}, `${fmtBytes(d.bytes)} in ${d.segments} segment${d.segments === 1 ? '' : 's'}`),
              ]),
            ),
          ),
        ),
      () => undefined,
    );
  void load();
  const timer = setInterval(load, USAGE_REFRESH_MS);
  return () => clearInterval(timer);
}
