/**
 * An actor's related actors, grouped by type: the count of each type and its first page
 * (`GET /api/actors/:id/related`), "More" for the next page of a type (`GET /api/actors?related=`),
 * so a camera with thousands of segments is a short card, not a page of links.
 */
import type { ActorView } from '../../../actors/host/host.ts';
import { puActorId } from '../../../actors/machines/ids.ts';
import type { ActorPage, RelatedGroup } from '../../../services/console/actors.ts';
import { api, explain } from '../api.ts';
import { h, replace } from '../dom.ts';

/** Related actors shown per type at first, and added by each "More". */
export const RELATED_PAGE = 10;

/** Fill `box` with the related actors of `v` (and links to its parent, its device's pu and camera page). */
export async function drawRelated(box: HTMLElement, v: ActorView): Promise<void> {
  const enc = encodeURIComponent(v.id);
  const link = (aid: string, text: string) => h('li', {}, h('a', { href: `/actors/${encodeURIComponent(aid)}`, 'data-link': true }, aid), ` ${text}`);
  const links: HTMLElement[] = [];
  if (v.parentId) links.push(link(v.parentId, '(parent)'));
  if (v.deviceId && v.id !== puActorId(v.deviceId)) links.push(link(puActorId(v.deviceId), '(the device)'));
  if (v.deviceId && v.id === puActorId(v.deviceId))
    links.push(h('li', {}, h('a', { href: `/cameras/${encodeURIComponent(v.deviceId)}`, 'data-link': true }, 'the camera page')));
  let groups: RelatedGroup[];
  try {
    groups = (await api<{ groups: RelatedGroup[] }>(`/api/actors/${enc}/related?limit=${RELATED_PAGE}`)).groups;
  } catch (err) {
    replace(box, h('ul', { class: 'related' }, ...links), h('p', { class: 'status error' }, `Related actors could not be loaded: ${explain(err)}`));
    return;
  }
  const sections = groups.map((g) => {
    const list = h('ul', { class: 'related' });
    const shown = () => list.children.length;
    const summary = h('summary', {}, `${g.type} `, h('span', { class: 'count' }, `(${g.count})`));
    const more = h('button', { type: 'button', class: 'more' });
    const status = h('span', { class: 'muted', 'aria-live': 'polite' });
    let next = g.next;
    const add = (actors: ActorView[]) => {
      for (const a of actors)
        list.append(h('li', { 'data-actor': a.id }, h('a', { href: `/actors/${encodeURIComponent(a.id)}`, 'data-link': true }, a.id), ` ${a.stateKey}`));
      more.hidden = !next;
      more.textContent = `More (${shown()} of ${g.count} shown)`;
    };
    more.addEventListener('click', async () => {
      if (!next) return;
      more.disabled = true;
      try {
        const qs = new URLSearchParams({ related: v.id, type: g.type, limit: String(RELATED_PAGE), cursor: next });
        const page = await api<ActorPage>(`/api/actors?${qs}`);
        next = page.next;
        add(page.actors);
        status.textContent = '';
      } catch (err) {
        status.textContent = `Could not load more: ${explain(err)}`;
      } finally {
        more.disabled = false;
      }
    });
    add(g.actors);
    return h('details', { class: 'related-group', 'data-type': g.type, open: true }, summary, list, h('div', { class: 'row' }, more, status));
  });
  replace(
    box,
    links.length ? h('ul', { class: 'related' }, ...links) : null,
    ...(sections.length ? sections : [h('p', { class: 'muted' }, 'No related actors.')]),
  );
}
