/**
 * The camera's configuration as a form (GetConfig, SetConfig, ResetConfig; H.627.2 I.2.19–I.2.21,
 * NOTES 10), generated from the catalog's schema (config-fields.ts): labelled fields with units,
 * ranges checked in the browser before anything is sent, choices as lists, read-only fields shown
 * and never sent. Saving sends only what changed and says "Saved."; the camera's refusal is shown
 * with the label of the field it names.
 */
import { configJsonSchema } from '../../../protocol/vd-config.ts' with { type: 'macro' };
import { ApiError, explain, rpc } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { h, replace } from '../dom.ts';
import { changes, controlNamedIn, controls, type Json } from './config-fields.ts';

/** The catalog's schema, inlined into the bundle when it is built (a Bun macro: no request, no zod in the page). */
const SCHEMA = configJsonSchema();

type Doc = { [k: string]: Json };

/** Mount the configuration panel for a device. */
export function mountConfig(root: HTMLElement, deviceId: string): void {
  const status = statusLine();
  const form = h('form', { class: 'config', hidden: true, novalidate: true });
  const read = h('button', { type: 'button' }, 'Read configuration');
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save changes');
  const reset = h('button', { type: 'button', class: 'danger' }, 'Reset to factory settings');
  let original: Doc = {};

  const show = (doc: Doc) => {
    original = doc;
    replace(form, ...controls(doc, SCHEMA, [], []), h('div', { class: 'row' }, save));
    form.hidden = false;
  };
  /** Read the configuration; `quiet` keeps the status line (it says what the save did). */
  const load = async (button: HTMLButtonElement | null, quiet = false) => {
    if (quiet) {
      const r = await rpc<Doc>(deviceId, 'GetConfig').catch(() => undefined);
      if (r?.resp) show(r.resp);
      return;
    }
    const r = await act(button, status, () => rpc<Doc>(deviceId, 'GetConfig'), { waiting: 'Reading the configuration…', done: 'Configuration read.' });
    if (r?.resp) show(r.resp);
  };
  read.addEventListener('click', () => void load(read));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const invalid = form.querySelector<HTMLInputElement>('input:invalid, select:invalid, textarea:invalid'); // not the fieldsets around it
    if (invalid) {
      refuse(status, `Not saved: ${invalid.dataset.label ?? invalid.name}: ${invalid.validationMessage}`);
      invalid.setAttribute('aria-invalid', 'true');
      invalid.focus();
      return;
    }
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const patch = changes(form, original);
    if (Object.keys(patch).length === 0) {
      replace(status, 'Nothing changed.');
      status.className = 'status';
      return;
    }
    const setConfig = () =>
      rpc(deviceId, 'SetConfig', patch).catch((err: unknown) => {
        throw labelled(form, err);
      });
    const sent = await act(save, status, setConfig, { waiting: 'Saving…', done: 'Saved.' });
    if (sent) await load(null, true);
  });
  reset.addEventListener('click', async () => {
    if (!confirm("Reset the camera's configuration to its factory settings?")) return;
    const ok = await act(reset, status, () => rpc(deviceId, 'ResetConfig'), { waiting: 'Resetting…', done: 'Reset.' });
    if (ok && !form.hidden) await load(null, true);
  });
  root.append(h('div', { class: 'row' }, read, reset), status, form);
}

/** Say in the status line why nothing was sent. */
function refuse(status: HTMLElement, text: string): void {
  replace(status, text);
  status.className = 'status error';
}

/** The camera's refusal, led by the label of the field its message names (marked invalid); other failures as they are. */
function labelled(form: HTMLElement, err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  const named = controlNamedIn(form, `${err.message} ${err.deviceErr?.msg ?? ''}`);
  if (!named) return err;
  named.setAttribute('aria-invalid', 'true');
  named.focus(); // and into view
  return new Error(`${named.dataset.label}: ${explain(err)}`);
}
