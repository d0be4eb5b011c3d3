/**
 * Every action in the console shows that it is waiting (the button busy, a spinner and the seconds
 * so far) and ends with a clear message: what came back, or why not (the camera's error, no
 * answer in time, not reachable).
 */
import { explain } from './api.ts';
import { h, replace } from './dom.ts';

/** Where an action reports: a `role=status` line beside its button. */
export function statusLine(): HTMLElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

/**
 * Run `work` for `button`, reporting into `status`; resolves with its result, or undefined when it
 * failed (the failure is shown).
 * @example await act(btn, line, () => rpc(id, 'DevStatus'), { waiting: 'Asking the camera…', done: 'Done.' })
 */
export async function act<T>(
  button: HTMLButtonElement | null,
  status: HTMLElement,
  work: () => Promise<T>,
  text: { waiting?: string; done?: string | ((v: T) => string) } = {},
): Promise<T | undefined> {
  const started = Date.now();
  const waiting = text.waiting ?? 'Waiting for the camera…';
  const secs = h('span', { class: 'secs' });
  replace(status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ` ${waiting} `, secs);
  status.className = 'status busy';
  const tick = setInterval(() => (secs.textContent = `${Math.floor((Date.now() - started) / 1000)} s`), 1000);
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    const v = await work();
    const done = typeof text.done === 'function' ? text.done(v) : text.done ?? 'Done.';
    replace(status, done);
    status.className = 'status ok';
    return v;
  } catch (err) {
    replace(status, explain(err));
    status.className = 'status error';
    return undefined;
  } finally {
    clearInterval(tick);
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}
