/**
 * The web console: a small client-side router over plain DOM pages. Cameras for their owners
 * (and admins), admin forms, and the actor pages for engineers and QA. Paths are real URLs
 * (`/cameras/CAM-1`, `/actors/pu%3ACAM-1`): the platform serves this page for each of them.
 */
import './styles.css';
import { api, whenSignedOut } from './api.ts';
import { h, replace } from './dom.ts';
import type { Page, Session } from './page.ts';
import { signInPage } from './pages/sign-in.ts';
import { camerasPage } from './pages/cameras.ts';
import { cameraPage } from './pages/camera.ts';
import { adminPage } from './pages/admin.ts';
import { actorsPage } from './pages/actors.ts';
import { actorPage } from './pages/actor.ts';
import { eventsPage } from './pages/events.ts';
import { detectionsPage } from './pages/detections.ts';
import { liveGridPage } from './pages/live-grid.ts';

const routes: Array<[RegExp, Page, { admin?: boolean; open?: boolean }]> = [
  [/^\/sign-in$/, signInPage, { open: true }],
  [/^\/(cameras)?$/, camerasPage, {}],
  [/^\/cameras\/([^/]+)$/, cameraPage, {}],
  [/^\/admin$/, adminPage, { admin: true }],
  [/^\/actors$/, actorsPage, { admin: true }],
  [/^\/actors\/([^/]+)$/, actorPage, { admin: true }],
  [/^\/events$/, eventsPage, {}],
  [/^\/detections$/, detectionsPage, {}],
  [/^\/live$/, liveGridPage, {}],
];

let session: Session | null | undefined;
let cleanup: (() => void) | undefined;

async function currentSession(): Promise<Session | null> {
  if (session !== undefined) return session;
  try {
    const me = await api<{ kind: string; role: 'user' | 'admin'; userId?: string; username?: string }>('/api/me', { quiet401: true });
    session = { role: me.role, username: me.username ?? 'admin', userId: me.userId ?? '' };
  } catch {
    session = null;
  }
  return session;
}

/** Go to a path inside the console. */
export function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

function renderNav(s: Session | null): void {
  const nav = document.getElementById('nav')!;
  if (!s) return replace(nav);
  const here = location.pathname;
  const link = (href: string, text: string, active: boolean) => h('a', { href, 'data-link': true, ...(active ? { 'aria-current': 'page' } : {}) }, text);
  replace(
    nav,
    link('/', 'Cameras', here === '/' || here.startsWith('/cameras')),
    link('/events', 'Events', here === '/events'),
    link('/detections', 'Detections', here === '/detections'),
    link('/live', 'Live', here === '/live'),
    s.role === 'admin' ? link('/admin', 'Admin', here === '/admin') : null,
    s.role === 'admin' ? link('/actors', 'Actors', here.startsWith('/actors')) : null,
    h('a', { href: '/api/docs', target: '_blank', rel: 'noopener' }, 'API'),
    h('span', { class: 'who' }, `${s.username}${s.role === 'admin' ? ' (admin)' : ''}`),
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
}

async function signOut(): Promise<void> {
  try {
    await api('/api/console/session', { method: 'DELETE', quiet401: true });
  } finally {
    session = null;
    navigate('/sign-in');
  }
}

async function render(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  const main = document.getElementById('main')!;
  const path = location.pathname;
  const s = await currentSession();
  const match = routes.map(([re, page, opts]) => ({ m: path.match(re), page, opts })).find((r) => r.m);
  if (!s && !match?.opts.open) return navigate(`/sign-in?next=${encodeURIComponent(path + location.search)}`, true);
  renderNav(s);
  if (!match) {
    replace(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, h('a', { href: '/', 'data-link': true }, 'Back to the cameras')));
    return;
  }
  if (match.opts.admin && s?.role !== 'admin') {
    replace(main, h('h1', { tabindex: '-1' }, 'Admins only'), h('p', {}, 'This page is for admins.'));
    return;
  }
  main.replaceChildren();
  const params = (match.m!.slice(1) as Array<string | undefined>).map((x) => (x ? decodeURIComponent(x) : ''));
  cleanup = match.page(main, {
    params,
    session: s,
    navigate,
    signedIn: (ns) => {
      session = ns;
    },
  });
  // Move focus to the new page's heading, so keyboard and screen-reader users start there.
  queueMicrotask(() => (main.querySelector('h1') as HTMLElement | null)?.focus({ preventScroll: true }));
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => void render());
whenSignedOut(() => {
  if (session === null) return;
  session = null;
  navigate(`/sign-in?next=${encodeURIComponent(location.pathname)}`, true);
});
document.body.append(h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' }));
void render();
