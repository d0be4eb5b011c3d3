/** Sign in with a user name and password; the session lives in an HttpOnly cookie. */
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { field, h } from '../dom.ts';
import type { Page } from '../page.ts';

export const signInPage: Page = (root, ctx) => {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const status = statusLine();
  const form = h(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'signin-h' },
    h('h1', { id: 'signin-h', tabindex: '-1' }, 'Sign in'),
    field('User name', user),
    field('Password', pass),
    h('div', { class: 'row' }, button),
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await act(
      button,
      status,
      () =>
        api<{ user: { id: string; username: string; role: 'user' | 'admin' } }>('/api/console/session', {
          method: 'POST',
          body: { username: user.value.trim(), password: pass.value },
          quiet401: true,
        }),
      { waiting: 'Signing in…', done: 'Signed in.' },
    );
    if (!r) {
      pass.select();
      return;
    }
    ctx.signedIn({ role: r.user.role, username: r.user.username, userId: r.user.id });
    const next = new URLSearchParams(location.search).get('next');
    ctx.navigate(next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/', true);
  });
  root.append(form);
  queueMicrotask(() => user.focus());
};
