/**
 * The camera's configuration as a form (GetConfig, SetConfig, ResetConfig; I.2.19–I.2.21). The
 * form is drawn from the document the camera returns, so it shows exactly what this camera has:
 * a checkbox per flag, a number or text box per value, a fieldset per object. Saving sends only
 * what changed; the camera's refusal (e.g. error 13, unsupported) is shown as it comes.
 */
import { rpc } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { h, replace } from '../dom.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Mount the configuration panel for a device. */
export function mountConfig(root: HTMLElement, deviceId: string): void {
  const status = statusLine();
  const form = h('form', { class: 'config', hidden: true });
  const read = h('button', { type: 'button' }, 'Read configuration');
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save changes');
  const reset = h('button', { type: 'button', class: 'danger' }, 'Reset to factory settings');
  let original: Record<string, Json> = {};

  const load = async (button: HTMLButtonElement | null) => {
    const r = await act(button, status, () => rpc<Record<string, Json>>(deviceId, 'GetConfig'), {
      waiting: 'Reading the configuration…',
      done: 'Configuration read.',
    });
    if (!r?.resp) return;
    original = r.resp;
    replace(form, ...Object.entries(original).map(([k, v]) => control([k], v)), h('div', { class: 'row' }, save));
    form.hidden = false;
  };
  read.addEventListener('click', () => void load(read));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const changes = collect(form, original);
    if (Object.keys(changes).length === 0) {
      replace(status, 'Nothing changed.');
      status.className = 'status';
      return;
    }
    const ok = await act(save, status, () => rpc(deviceId, 'SetConfig', changes), { waiting: 'Saving…', done: 'Saved.' });
    if (ok) await load(null);
  });
  reset.addEventListener('click', async () => {
    if (!confirm("Reset the camera's configuration to its factory settings?")) return;
    const ok = await act(reset, status, () => rpc(deviceId, 'ResetConfig'), { waiting: 'Resetting…', done: 'Reset.' });
    if (ok && !form.hidden) await load(null);
  });
  root.append(h('div', { class: 'row' }, read, reset), status, form);
}

const idOf = (path: string[]) => `cfg-${path.join('-').replace(/[^\w-]/g, '_')}`;

function control(path: string[], v: Json): HTMLElement {
  const name = path.join('.');
  const label = path[path.length - 1]!;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return h('fieldset', {}, h('legend', {}, label), ...Object.entries(v).map(([k, x]) => control([...path, k], x)));
  }
  const id = idOf(path);
  let input: HTMLInputElement;
  if (typeof v === 'boolean') {
    input = h('input', { type: 'checkbox', id, 'data-path': name, 'data-kind': 'boolean' });
    input.checked = v;
    return h('div', { class: 'field check' }, h('label', { for: id }, input, ` ${label}`));
  }
  if (typeof v === 'number') input = h('input', { type: 'number', id, 'data-path': name, 'data-kind': 'number', value: v, step: 'any' });
  else if (Array.isArray(v)) input = h('input', { id, 'data-path': name, 'data-kind': 'json', value: JSON.stringify(v) });
  else input = h('input', { id, 'data-path': name, 'data-kind': v === null ? 'json' : 'string', value: v === null ? 'null' : v });
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

/** The changed leaves, as a nested partial document (what SetConfig takes). */
function collect(form: HTMLFormElement, original: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const input of form.querySelectorAll<HTMLInputElement>('input[data-path]')) {
    const path = input.dataset.path!.split('.');
    const before = path.reduce<Json | undefined>((o, k) => (o && typeof o === 'object' && !Array.isArray(o) ? o[k] : undefined), original);
    let value: Json;
    switch (input.dataset.kind) {
      case 'boolean':
        value = input.checked;
        break;
      case 'number':
        value = input.value === '' ? null : Number(input.value);
        break;
      case 'json':
        try {
          value = JSON.parse(input.value) as Json;
        } catch {
          value = input.value;
        }
        break;
      default:
        value = input.value;
    }
    if (JSON.stringify(value) === JSON.stringify(before)) continue;
    let o = out;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, Json>;
    o[path[path.length - 1]!] = value;
  }
  return out;
}
