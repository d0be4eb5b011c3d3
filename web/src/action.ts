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
  const wait = progress(status, text.waiting ?? 'Waiting for the camera…');
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    const v = await work();
    wait.end(typeof text.done === 'function' ? text.done(v) : (text.done ?? 'Done.'), 'ok');
    return v;
  } catch (err) {
    wait.end(explain(err), 'error');
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

/** A wait shown in a status line: what it waits for, and the seconds so far. */
export interface Progress {
  /** Say what it waits for now (the seconds keep counting from the start). */
  update(waiting: string): void;
  /** End it with a sentence: `ok`, `error`, or `plain` for neither. */
  end(text: string, kind: 'ok' | 'error' | 'plain'): void;
}

/**
 * Show a wait in `status` (a spinner, the text, the seconds so far) until `end`: for waits longer
 * than one call, e.g. live video from the request to the first picture.
 * @example const p = progress(line, 'Asking the camera…'); p.update('Waiting for video…'); p.end('Live.', 'ok')
 */
export function progress(status: HTMLElement, waiting: string): Progress {
  const started = Date.now();
  const secs = h('span', { class: 'secs' });
  const label = h('span', {}, waiting);
  replace(status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', label, ' ', secs);
  status.className = 'status busy';
  const tick = setInterval(() => (secs.textContent = `${Math.floor((Date.now() - started) / 1000)} s`), 1000);
  let ended = false;
  return {
    update: (text) => {
      if (!ended) label.textContent = text;
    },
    end: (text, kind) => {
      if (ended) return;
      ended = true;
      clearInterval(tick);
      replace(status, text);
      status.className = kind === 'plain' ? 'status' : `status ${kind}`;
    },
  };
}
