/**
 * The configuration form's fields, drawn from the catalog's schema (protocol/vd-config.ts
 * `ConfigDocument`, as JSON Schema: labels, units, ranges, choices, read-only flags) over the
 * document the camera returned. A field the catalog does not know (a vendor's) is shown by its key
 * as the camera named it. Browser validation uses the same ranges (min, max, maxlength, pattern).
 */
import type { ConfigSchemaNode } from '../../../protocol/vd-config.ts';
import { h } from '../dom.ts';

/** A JSON value of the document. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What a control remembers: where it sits in the document, how to read it, its full label. */
const KIND = 'data-kind';
/** Above this, a bound says nothing to a person (the catalog's generic 32-bit integer). */
const SHOWN_BOUND_MAX = 1_000_000;

/** The label of a field: the catalog's title, else the key as the camera named it; `channls` children are channels. */
function titleOf(key: string, node: ConfigSchemaNode | undefined, parent: string[]): string {
  if (parent.at(-1) === 'channls') return `Channel ${key}`;
  return node?.title ?? key;
}

/** The schema of `key` under `node` (a property, or the record's value schema). */
export function childSchema(node: ConfigSchemaNode | undefined, key: string): ConfigSchemaNode | undefined {
  if (!node) return undefined;
  return node.properties?.[key] ?? (typeof node.additionalProperties === 'object' && !node.properties ? node.additionalProperties : undefined);
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
const idOf = (path: string[]) => `cfg-${path.join('-').replace(/[^\w-]/g, '_')}`;

/** The controls of a document (or a part of it) at `path`, with `labels` the titles of the parents. */
export function controls(doc: { [k: string]: Json }, node: ConfigSchemaNode | undefined, path: string[], labels: string[]): HTMLElement[] {
  return Object.entries(doc).flatMap(([key, value]) => {
    const child = childSchema(node, key);
    const title = titleOf(key, child, path);
    const at = [...path, key];
    if (!isObject(value)) return [leaf(at, value, child, title, labels)];
    if (Object.keys(value).length === 0) return []; // nothing to set (an empty `extension`)
    // A record's entries name themselves ("Channel 0"): its own title would only repeat it in messages.
    const inner = child && !child.properties ? labels : [...labels, title];
    return [h('fieldset', {}, h('legend', {}, title), ...controls(value, child, at, inner))];
  });
}

function unitText(node: ConfigSchemaNode | undefined): string {
  return node?.['x-unit'] ? ` (${node['x-unit']})` : '';
}

/** The hint under a control: its range, or why it cannot be changed. */
function hintOf(node: ConfigSchemaNode | undefined): string | undefined {
  if (node?.readOnly) return 'read-only: the camera sets it';
  if (node?.['x-labels']) return node.description; // a list of choices says its range itself
  if (node?.minimum !== undefined && node.maximum !== undefined && node.maximum <= SHOWN_BOUND_MAX)
    return `${node.minimum} to ${node.maximum}${node['x-unit'] ? ` ${node['x-unit']}` : ''}`;
  return node?.description;
}

/** The choices of a field: its enum, or an integer range whose every value is labelled (`log_level`). */
function choicesOf(node: ConfigSchemaNode | undefined): Array<{ value: string | number; label: string }> | undefined {
  const labels = node?.['x-labels'] ?? {};
  if (node?.enum) return node.enum.map((v) => ({ value: v, label: labels[String(v)] ?? String(v) }));
  if (node?.type === 'integer' && node['x-labels'] && node.minimum !== undefined && node.maximum !== undefined) {
    const out: Array<{ value: number; label: string }> = [];
    for (let v = node.minimum; v <= node.maximum; v++) out.push({ value: v, label: labels[String(v)] ?? String(v) });
    return out;
  }
  return undefined;
}

function leaf(path: string[], v: Json, node: ConfigSchemaNode | undefined, title: string, labels: string[]): HTMLElement {
  const id = idOf(path);
  const full = [...labels, title].join(' › ');
  const common = { id, 'data-path': JSON.stringify(path), 'data-label': full, ...(node?.readOnly ? { 'data-readonly': true } : {}) };
  const hint = hintOf(node);
  const hintId = `${id}-hint`;
  const described = hint ? { 'aria-describedby': hintId } : {};
  const wrap = (control: HTMLElement, check = false) =>
    h(
      'div',
      { class: check ? 'field check' : 'field' },
      check ? h('label', { for: id }, control, ` ${title}`) : h('label', { for: id }, `${title}${unitText(node)}`),
      check ? null : control,
      hint ? h('small', { id: hintId, class: 'muted' }, hint) : null,
    );

  if (typeof v === 'boolean') {
    const input = h('input', { ...common, ...described, type: 'checkbox', [KIND]: 'boolean', ...(node?.readOnly ? { disabled: true } : {}) });
    input.checked = v;
    return wrap(input, true);
  }
  if (node?.readOnly)
    return wrap(h('input', { ...common, ...described, readonly: true, [KIND]: 'fixed', value: JSON.stringify(v) === undefined ? '' : String(v) }));
  const choices = choicesOf(node);
  if (choices && (typeof v === 'string' || typeof v === 'number')) {
    const known = choices.some((c) => c.value === v);
    const select = h(
      'select',
      { ...common, ...described, [KIND]: typeof v === 'number' ? 'number' : 'string' },
      ...(known ? [] : [h('option', { value: String(v) }, String(v))]),
      ...choices.map((c) => h('option', { value: String(c.value) }, c.label)),
    );
    select.value = String(v);
    return wrap(select);
  }
  if (Array.isArray(v) && node?.items?.enum) {
    const options = node.items.enum.map((o) => {
      const box = h('input', { type: 'checkbox', value: String(o), 'data-option': true });
      box.checked = v.includes(o);
      return h('label', { class: 'check' }, box, ` ${o}`);
    });
    return h('fieldset', { ...common, [KIND]: 'set', class: 'choices' }, h('legend', {}, title), ...options);
  }
  if (typeof v === 'number') {
    const integer = node?.type === 'integer';
    const bounds = { ...(node?.minimum !== undefined ? { min: node.minimum } : {}), ...(node?.maximum !== undefined ? { max: node.maximum } : {}) };
    return wrap(h('input', { ...common, ...described, type: 'number', required: true, step: integer ? 1 : 'any', ...bounds, [KIND]: 'number', value: v }));
  }
  if (typeof v === 'string' && (!node || node.type === 'string')) {
    const rules = {
      ...(node?.maxLength !== undefined ? { maxlength: node.maxLength } : {}),
      ...(node?.pattern ? { pattern: browserPattern(node.pattern) } : {}),
    };
    return wrap(h('input', { ...common, ...described, ...rules, [KIND]: 'string', value: v, ...(node?.pattern ? { placeholder: 'HH:MM:SS' } : {}) }));
  }
  return wrap(h('textarea', { ...common, ...described, rows: 2, [KIND]: 'json' }, JSON.stringify(v)));
}

/** The HTML `pattern` attribute matches the whole value by itself: the schema's anchors go. */
function browserPattern(pattern: string): string {
  return pattern.replace(/^\^/, '').replace(/\$$/, '');
}

/** The value a control holds now, typed as the document's. */
export function controlValue(el: HTMLElement): Json {
  const kind = el.getAttribute(KIND);
  if (kind === 'boolean') return (el as HTMLInputElement).checked;
  if (kind === 'set') return [...el.querySelectorAll<HTMLInputElement>('input[data-option]')].filter((b) => b.checked).map((b) => b.value);
  const text = (el as HTMLInputElement).value;
  if (kind === 'number') return text === '' ? null : Number(text);
  if (kind === 'json') {
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text;
    }
  }
  return text;
}

/** The changed fields, as a nested partial document (what SetConfig takes); read-only fields are never in it. */
export function changes(form: HTMLElement, original: { [k: string]: Json }): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const el of form.querySelectorAll<HTMLElement>(`[${KIND}]`)) {
    if (el.hasAttribute('data-readonly')) continue;
    const path = JSON.parse(el.dataset.path!) as string[];
    const before = path.reduce<Json | undefined>((o, k) => (isObject(o) ? o[k] : undefined), original);
    const value = controlValue(el);
    if (JSON.stringify(value) === JSON.stringify(before)) continue;
    let o = out;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as { [k: string]: Json };
    o[path[path.length - 1]!] = value;
  }
  return out;
}

/** The control a camera's message names (`channls.0.video_encoding.encoder: …`), the longest match. */
export function controlNamedIn(form: HTMLElement, message: string): HTMLElement | undefined {
  let best: { el: HTMLElement; length: number } | undefined;
  for (const el of form.querySelectorAll<HTMLElement>('[data-label][data-path]')) {
    const dotted = (JSON.parse(el.dataset.path!) as string[]).join('.');
    if (message.includes(dotted) && dotted.length > (best?.length ?? 0)) best = { el, length: dotted.length };
  }
  return best?.el;
}
