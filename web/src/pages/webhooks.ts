/**
 * The webhooks section of the events page (docs/webhooks.md): the user's webhooks, a form to add one (an https URL
 * and the kinds to send; its secret is shown once, to copy then), removal after a confirmation, and each one's
 * delivery history (status, attempts, the receiver's last answer, the next attempt).
 */
import type { DeliveryInfo, WebhookInfo } from '../../../services/webhooks/webhooks.ts';
import { EVENT_KIND_LABELS, EVENT_KINDS, type EventKind } from '../../../protocol/event-kinds.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { card, field, fmtTime, h, replace } from '../dom.ts';

/** Deliveries shown per webhook. */
const DELIVERY_ROWS = 20;

const kindsText = (kinds: string[] | null) => (kinds ? kinds.map((k) => EVENT_KIND_LABELS[k as EventKind] ?? k).join(', ') : 'All kinds');

/** The deliveries table of one webhook. */
function deliveriesTable(list: DeliveryInfo[]): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No deliveries yet.');
  const line = (d: DeliveryInfo) => {
    const ev = d.event as { kind?: string; device_id?: string };
    const answer = d.last_status !== null ? `HTTP ${d.last_status}` : d.attempts > 0 ? 'no answer' : '—';
    return h(
      'tr',
      { 'data-delivery': d.id, 'data-status': d.status },
      h('td', {}, fmtTime(Date.parse(d.created_at))),
      h('td', {}, `${EVENT_KIND_LABELS[ev.kind as EventKind] ?? ev.kind ?? ''} · ${ev.device_id ?? ''}`),
      h('td', {}, h('span', { class: `delivery ${d.status}` }, d.status)),
      h('td', {}, String(d.attempts)),
      h('td', {}, answer, d.last_error ? h('small', { class: 'muted block' }, `last error: ${d.last_error}`) : ''),
      h('td', {}, d.next_attempt_at ? fmtTime(Date.parse(d.next_attempt_at)) : '—'),
    );
  };
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'deliveries' },
      h('thead', {}, h('tr', {}, ...['Created', 'Event', 'Status', 'Attempts', 'Answer', 'Next attempt'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...list.map(line)),
    ),
  );
}

/** The section: list, add, remove, deliveries. */
export function webhooksSection(): HTMLElement {
  const list = h('ul', { class: 'webhooks', 'aria-label': 'Webhooks' });
  const status = statusLine();
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.org/h627', autocomplete: 'off' });
  const boxes = EVENT_KINDS.map((k) => h('input', { type: 'checkbox', name: 'kinds', value: k, checked: true }));
  const kinds = h(
    'fieldset',
    { class: 'kinds' },
    h('legend', {}, 'Events to send'),
    ...EVENT_KINDS.map((k, i) => h('label', { class: 'inline' }, boxes[i]!, ` ${EVENT_KIND_LABELS[k]}`)),
  );
  const add = h('button', { type: 'submit', class: 'primary' }, 'Add the webhook');
  const secretBox = h('div', { class: 'secret', hidden: true, role: 'region', 'aria-label': 'New webhook secret' });

  const item = (w: WebhookInfo) => {
    const history = h('div', { class: 'history', hidden: true });
    const itemStatus = statusLine();
    const toggle = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Deliveries');
    toggle.addEventListener('click', async () => {
      if (!history.hidden) {
        history.hidden = true;
        toggle.setAttribute('aria-expanded', 'false');
        return;
      }
      const r = await act(toggle, itemStatus, () => api<{ deliveries: DeliveryInfo[] }>(`/api/webhooks/${w.id}/deliveries?limit=${DELIVERY_ROWS}`), {
        waiting: 'Loading deliveries…',
        done: (v) => `${v.deliveries.length} recent deliveries.`,
      });
      if (!r) return;
      replace(history, deliveriesTable(r.deliveries));
      history.hidden = false;
      toggle.setAttribute('aria-expanded', 'true');
    });
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!confirm(`Delete the webhook to ${w.url}? Its delivery history goes with it.`)) return;
      const ok = await act(remove, itemStatus, () => api(`/api/webhooks/${w.id}`, { method: 'DELETE' }), { waiting: 'Deleting…', done: 'Deleted.' });
      if (ok !== undefined) void load();
    });
    return h(
      'li',
      { class: 'webhook', 'data-webhook': w.id },
      h('div', {}, h('code', { class: 'url' }, w.url)),
      h('div', { class: 'muted' }, `${kindsText(w.kinds)} · since ${fmtTime(Date.parse(w.created_at))}`),
      h('div', { class: 'row' }, toggle, remove),
      itemStatus,
      history,
    );
  };
  const load = async () => {
    const r = await api<{ webhooks: WebhookInfo[] }>('/api/webhooks');
    replace(list, ...(r.webhooks.length ? r.webhooks.map(item) : [h('li', { class: 'muted' }, 'No webhooks yet.')]));
  };
  const form = h(
    'form',
    { class: 'grid-form', 'aria-label': 'Add a webhook' },
    field('URL (https)', url, 'Events are POSTed here as signed JSON.'),
    kinds,
    h('div', { class: 'row' }, add),
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    const body = { url: url.value.trim(), ...(chosen.length < EVENT_KINDS.length ? { kinds: chosen } : {}) };
    const r = await act(add, status, () => api<WebhookInfo & { secret: string }>('/api/webhooks', { method: 'POST', body }), {
      waiting: 'Adding…',
      done: 'Added. Copy its secret now: it is not shown again.',
    });
    if (!r) return;
    url.value = '';
    secretBox.hidden = false;
    replace(
      secretBox,
      h('p', {}, 'Secret of the new webhook (verify the X-H627-Signature header with it):'),
      h('p', {}, h('code', { class: 'code', 'data-testid': 'webhook-secret' }, r.secret)),
    );
    void load();
  });
  void load().catch((err) => replace(list, h('li', { class: 'status error' }, String(err))));
  return card(
    'Webhooks',
    'webhooks',
    h('p', { class: 'muted' }, 'Send these events to your own service (Home Assistant, a script) as signed HTTPS POSTs.'),
    list,
    form,
    secretBox,
  );
}
