/**
 * "Newer" and "Older" over a keyset-paged listing (the events and detections pages): the API gives each page's `next`
 * cursor; "Older" follows it, "Newer" walks back the cursors seen.
 */
import { h } from '../dom.ts';

/** A pager: its buttons, and `first()` to load the first page (after a filter changed). */
export interface Pager {
  el: HTMLElement;
  first(): void;
}

/**
 * A pager that loads pages with `load(before)` ('' for the first): it resolves with the page's `next` cursor (null on
 * the last), or undefined when the load failed or was overtaken by a newer one.
 */
export function keysetPager(label: string, load: (before: string) => Promise<{ next: string | null } | undefined>): Pager {
  const newer = h('button', { type: 'button', disabled: true }, 'Newer');
  const older = h('button', { type: 'button', disabled: true }, 'Older');
  const where = h('span', { class: 'muted', 'aria-live': 'polite' });
  /** The cursors of the pages before this one (the first page's is ''), and the next page's. */
  let cursors: string[] = [''];
  let next: string | null = null;
  const show = async (before: string) => {
    const r = await load(before);
    if (!r) return;
    next = r.next;
    older.disabled = !next;
    newer.disabled = cursors.length <= 1;
    where.textContent = `Page ${cursors.length}`;
  };
  older.addEventListener('click', () => {
    if (!next) return;
    cursors.push(next);
    void show(next);
  });
  newer.addEventListener('click', () => {
    cursors.pop();
    void show(cursors.at(-1) ?? '');
  });
  return {
    el: h('nav', { class: 'row pager', 'aria-label': label }, newer, where, older),
    first: () => {
      cursors = [''];
      void show('');
    },
  };
}
