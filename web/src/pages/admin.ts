/** Admins: provision and remove devices, create users. */
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { card, field, h, replace } from '../dom.ts';
import type { Page } from '../page.ts';
import { stateWords } from '../camera/status.ts';
import { mountStreamOverview } from './admin-streams.ts';

interface DeviceInfo {
  device_id: string;
  mac_id: string;
  channels: number[];
  owner_id: string | null;
  owner: string | null;
  created_at: string;
  state: string | null;
}

export const adminPage: Page = (root) => {
  // ── devices ──
  const list = h('tbody');
  const listStatus = statusLine();
  const load = async () => {
    const r = await act(null, listStatus, () => api<{ devices: DeviceInfo[] }>('/api/admin/devices'), {
      waiting: 'Loading devices…',
      done: (v) => `${v.devices.length} devices.`,
    });
    if (!r) return;
    replace(
      list,
      ...r.devices.map((d) => {
        const del = h('button', { type: 'button', class: 'danger-text' }, 'Deprovision');
        del.addEventListener('click', async () => {
          if (!confirm(`Deprovision ${d.device_id}? Its credentials are deleted; its history is kept.`)) return;
          if (
            await act(del, listStatus, () => api(`/api/admin/devices/${encodeURIComponent(d.device_id)}`, { method: 'DELETE' }), {
              waiting: 'Deprovisioning…',
              done: `${d.device_id} deprovisioned.`,
            })
          )
            await load();
        });
        return h(
          'tr',
          {},
          h('td', {}, h('a', { href: `/cameras/${encodeURIComponent(d.device_id)}`, 'data-link': true }, d.device_id)),
          h('td', {}, d.mac_id),
          h('td', {}, d.channels.join(', ')),
          h('td', {}, stateCell(d.state)),
          h('td', { 'data-col': 'owner' }, d.owner ?? (d.owner_id ? '(unknown user)' : '—')),
          h('td', {}, del),
        );
      }),
    );
  };
  const dId = h('input', { name: 'device_id', required: true, maxlength: 64, autocomplete: 'off' });
  const dPass = h('input', { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
  const dMac = h('input', { name: 'mac_id', required: true, placeholder: 'a0:b1:c2:d3:e4:f5', autocomplete: 'off' });
  const dCh = h('input', { name: 'channels', placeholder: '0', inputmode: 'numeric', autocomplete: 'off' });
  const dSigned = h('input', { type: 'checkbox', name: 'signed_login' });
  const dBtn = h('button', { type: 'submit', class: 'primary' }, 'Provision');
  const dStatus = statusLine();
  const dForm = h(
    'form',
    { class: 'grid-form' },
    field('Device id', dId),
    field('Password', dPass, 'At least 8 characters.'),
    field('MAC address', dMac),
    field('Channels', dCh, 'Comma-separated channel numbers; empty: one channel, 0.'),
    h('div', { class: 'field check' }, h('label', {}, dSigned, ' Allow the signed login')),
    h('div', { class: 'row' }, dBtn),
    dStatus,
  );
  dForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const channels = dCh.value.trim() ? dCh.value.split(',').map((s) => Number(s.trim())) : undefined;
    const ok = await act(
      dBtn,
      dStatus,
      () =>
        api('/api/admin/devices', {
          method: 'POST',
          body: { device_id: dId.value.trim(), password: dPass.value, mac_id: dMac.value.trim(), channels, signed_login: dSigned.checked },
        }),
      {
        waiting: 'Provisioning…',
        done: `${dId.value.trim()} provisioned.`,
      },
    );
    if (ok) {
      dForm.reset();
      await load();
    }
  });

  // ── users ──
  const uName = h('input', { name: 'username', required: true, maxlength: 64, autocomplete: 'off', autocapitalize: 'none' });
  const uPass = h('input', { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
  const uRole = h('select', { name: 'role' }, h('option', { value: 'user' }, 'user (camera owner)'), h('option', { value: 'admin' }, 'admin'));
  const uBtn = h('button', { type: 'submit', class: 'primary' }, 'Create user');
  const uStatus = statusLine();
  const uForm = h(
    'form',
    { class: 'grid-form' },
    field('User name', uName),
    field('Password', uPass, 'At least 8 characters.'),
    field('Role', uRole),
    h('div', { class: 'row' }, uBtn),
    uStatus,
  );
  uForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ok = await act(
      uBtn,
      uStatus,
      () => api('/api/admin/users', { method: 'POST', body: { username: uName.value.trim(), password: uPass.value, role: uRole.value } }),
      {
        waiting: 'Creating…',
        done: `User ${uName.value.trim()} created.`,
      },
    );
    if (ok) uForm.reset();
  });

  root.append(
    h('h1', { tabindex: '-1' }, 'Admin'),
    h('div', { class: 'cards' }, card('Provision a device', 'provision', dForm), card('Create a user', 'users', uForm)),
    card(
      'Devices',
      'devices',
      listStatus,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', {}, h('thead', {}, h('tr', {}, ...['Device', 'MAC', 'Channels', 'State', 'Owner', ''].map((t) => h('th', { scope: 'col' }, t)))), list),
      ),
    ),
  );
  const stopOverview = mountStreamOverview(root);
  void load();
  return stopOverview;
};

/** A pu state in the same words and badge as the camera pages (`online`, `offline`, `asleep`, `rebooting`…), its key as the title. */
function stateCell(state: string | null): HTMLElement {
  const w = stateWords(state);
  return h('span', { class: `badge ${w.kind}`, title: state ?? '', 'data-state': state ?? '' }, w.text);
}
