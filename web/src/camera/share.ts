/**
 * Sharing on the camera page (docs/console.md, "Sharing"). The person's role on the camera (the API's `role`) hides
 * the controls it does not allow (`data-needs` on an element, and the stylesheet's rules under `data-device-role`),
 * and the owner (or an admin) gets a "Share" dialog: the shares, add one by user name with a role (the same name
 * again changes the role), end one, and unbind the camera after a confirmation.
 */
import type { DeviceRole, ShareInfo } from '../../../protocol/shares-api.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { announce, field, fmtTime, h, replace } from '../dom.ts';

/** The cards of the camera page that need more than a viewer, by their id. */
const CARD_NEEDS: Readonly<Record<string, DeviceRole>> = { ptz: 'operator', snapshot: 'operator', config: 'owner', firmware: 'owner', maintenance: 'owner' };

/** What each role a share gives allows, in words. */
const ROLE_TEXT: Readonly<Record<ShareInfo['role'], string>> = {
  viewer: 'Viewer: watches live and plays recordings back',
  operator: 'Operator: also moves the camera, takes snapshots, turns recording on and off',
};

/** The badge of a camera shared with the person (viewer or operator); nothing for their own cameras or an admin's. */
export function roleBadge(d: object): HTMLElement | null {
  const role = (d as { role?: DeviceRole }).role;
  if (role !== 'viewer' && role !== 'operator') return null;
  return h('span', { class: `badge role ${role}`, 'data-testid': 'role', title: ROLE_TEXT[role] }, `shared: ${role}`);
}

/** What {@link mountShare} needs of the camera page. */
export interface ShareSlots {
  /** The page's heading row: the role badge and the Share button go there. */
  head: HTMLElement;
  /** The page's root: it carries `data-device-role` while the page is shown. */
  root: HTMLElement;
  deviceId: string;
  /** Run when the page is left. */
  cleanups: Array<() => void>;
  /** After an unbind the page goes back to the list. */
  navigate(path: string): void;
}

/**
 * Mount sharing into the camera page; `role(d)` is called with every status the page draws.
 * @example const share = mountShare({ head, root, deviceId: id, cleanups, navigate: ctx.navigate }); share.role(status)
 */
export function mountShare(s: ShareSlots): { role(d: object): void } {
  const { root, deviceId } = s;
  const enc = encodeURIComponent(deviceId);
  const badgeSlot = h('span');
  const openBtn = h('button', { type: 'button', hidden: true, 'aria-haspopup': 'dialog' }, 'Share');
  s.head.append(badgeSlot, openBtn);

  const list = h('ul', { class: 'shares', 'aria-label': 'People this camera is shared with' });
  const count = h('p', { class: 'muted small' });
  const listStatus = statusLine();
  const user = h('input', { name: 'username', required: true, maxlength: 64, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const role = h('select', { name: 'role' }, h('option', { value: 'viewer' }, 'Viewer'), h('option', { value: 'operator' }, 'Operator'));
  const addBtn = h('button', { type: 'submit', class: 'primary' }, 'Share');
  const addStatus = statusLine();
  const form = h(
    'form',
    { class: 'grid-form' },
    field('User name', user, 'Their user name on this platform. Again: changes their role.'),
    field('Role', role, `${ROLE_TEXT.viewer}. ${ROLE_TEXT.operator}.`),
    h('div', { class: 'row' }, addBtn),
  );
  const unbindBtn = h('button', { type: 'button', class: 'danger' }, 'Unbind this camera…');
  const yesBtn = h('button', { type: 'button', class: 'danger' }, 'Yes, unbind');
  const noBtn = h('button', { type: 'button' }, 'Cancel');
  const confirmBox = h(
    'div',
    { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'unbind-q', hidden: true },
    h('p', { id: 'unbind-q' }, h('strong', {}, `Unbind ${deviceId}?`), ' Every share ends. Its recordings stay, but nobody sees them until it is bound again.'),
    h('div', { class: 'row' }, yesBtn, noBtn),
  );
  const unbindStatus = statusLine();
  const closeBtn = h('button', { type: 'button', class: 'link', 'aria-label': 'Close' }, 'Close');
  const dialog = h(
    'dialog',
    { class: 'share-dialog', 'aria-labelledby': 'share-h' },
    h('div', { class: 'dialog-head' }, h('h2', { id: 'share-h' }, `Share ${deviceId}`), closeBtn),
    h('p', { class: 'muted' }, 'People you share this camera with see it in their list, with what their role allows.'),
    list,
    count,
    listStatus,
    h('h3', {}, 'Share with someone'),
    form,
    addStatus,
    h('h3', {}, 'Unbind'),
    h('p', { class: 'muted' }, 'Unbound, the camera is no longer yours: to use it again, bind it with a new code.'),
    h('div', { class: 'row' }, unbindBtn),
    confirmBox,
    unbindStatus,
  );
  document.body.append(dialog);
  s.cleanups.push(() => {
    dialog.remove();
    delete root.dataset.deviceRole;
  });

  const draw = (shares: ShareInfo[], max: number) => {
    replace(
      list,
      ...shares.map((x) =>
        h(
          'li',
          { 'data-user': x.username },
          h('strong', {}, x.username),
          h('span', { class: `badge role ${x.role}` }, x.role),
          h('small', { class: 'muted' }, `since ${fmtTime(Date.parse(x.created_at))}`),
          h(
            'button',
            { type: 'button', class: 'danger-text remove', 'aria-label': `Stop sharing with ${x.username}`, onclick: () => void remove(x.username) },
            'Remove',
          ),
        ),
      ),
    );
    count.textContent = shares.length ? `Shared with ${shares.length} of at most ${max} people.` : 'Shared with nobody yet.';
  };
  const load = async () => {
    const r = await act(null, listStatus, () => api<{ shares: ShareInfo[]; max: number }>(`/api/devices/${enc}/shares`), {
      waiting: 'Loading the shares…',
      done: '',
    });
    if (r) draw(r.shares, r.max);
  };
  const remove = async (username: string) => {
    if (
      await act(null, listStatus, () => api(`/api/devices/${enc}/shares/${encodeURIComponent(username)}`, { method: 'DELETE' }).then(() => true), {
        waiting: `Ending ${username}'s share…`,
        done: `${username} no longer sees this camera.`,
      })
    )
      await loadQuietly();
  };
  const loadQuietly = async () => {
    const r = await api<{ shares: ShareInfo[]; max: number }>(`/api/devices/${enc}/shares`).catch(() => undefined);
    if (r) draw(r.shares, r.max);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = user.value.trim();
    const r = await act(addBtn, addStatus, () => api<ShareInfo>(`/api/devices/${enc}/shares`, { method: 'POST', body: { username, role: role.value } }), {
      waiting: `Sharing with ${username}…`,
      done: (v) => `Shared with ${v.username} as ${v.role}.`,
    });
    if (!r) return;
    user.value = '';
    announce(`Shared with ${r.username} as ${r.role}.`);
    await loadQuietly();
  });
  unbindBtn.addEventListener('click', () => {
    confirmBox.hidden = false;
    noBtn.focus();
  });
  noBtn.addEventListener('click', () => {
    confirmBox.hidden = true;
    unbindBtn.focus();
  });
  yesBtn.addEventListener('click', async () => {
    if (
      !(await act(yesBtn, unbindStatus, () => api(`/api/devices/${enc}/binding`, { method: 'DELETE' }).then(() => true), {
        waiting: 'Unbinding…',
        done: 'Unbound.',
      }))
    )
      return;
    dialog.close();
    announce(`${deviceId} is unbound.`);
    s.navigate('/');
  });
  closeBtn.addEventListener('click', () => dialog.close());
  openBtn.addEventListener('click', () => {
    confirmBox.hidden = true;
    replace(unbindStatus);
    replace(addStatus);
    dialog.showModal();
    user.focus();
    void load();
  });

  return {
    role(d) {
      const r = (d as { role?: DeviceRole }).role;
      if (!r) return;
      for (const [id, need] of Object.entries(CARD_NEEDS)) root.querySelector(`#${id}`)?.setAttribute('data-needs', need);
      root.dataset.deviceRole = r;
      replace(badgeSlot, roleBadge(d));
      openBtn.hidden = r !== 'owner' && r !== 'admin';
    },
  };
}
