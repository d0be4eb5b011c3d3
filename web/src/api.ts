/**
 * The console's one way to call the API: same-origin fetch with the session cookie, the CSRF
 * header on every request (the platform requires it on state-changing ones), a deadline, and
 * problem JSON turned into an {@link ApiError} whose message a person can read.
 */
import { VD_ERR } from '../../protocol/constants.ts';

/** Header the platform requires on cookie-authenticated state-changing requests (routes/auth.ts CSRF_HEADER). */
export const CSRF_HEADER = 'X-H627-CSRF';
/** Longest wait for an ordinary API call. */
export const API_TIMEOUT_MS = 15_000;
/**
 * Longest wait for a message to a camera, or a live watch: a sleeping camera's wake (WAKE_TIMEOUT_S, 20 s by default),
 * then the 20 s the platform gives the camera (or a stream to take the viewer), plus the way there and back.
 */
export const RPC_TIMEOUT_MS = 50_000;

/** An API call that did not succeed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    /** The camera's own `err` when it answered with one (502). */
    readonly deviceErr?: { code: number; msg: string },
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the session has ended (401): the app goes back to the sign-in page. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

/** Call the API; resolves with the JSON body (or undefined for 204), rejects with an {@link ApiError}. */
export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown; timeoutMs?: number; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { [CSRF_HEADER]: '1', Accept: 'application/json' };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? API_TIMEOUT_MS),
    });
  } catch (err) {
    const timeout = err instanceof DOMException && err.name === 'TimeoutError';
    throw new ApiError(0, timeout ? 'No answer from the platform in time.' : 'The platform could not be reached. Check the connection.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;
  const p = (body ?? {}) as { detail?: string; field?: string; err?: { code: number; msg: string } };
  if (res.status === 401 && !init.quiet401) onSignedOut();
  throw new ApiError(res.status, p.detail ?? `${res.status} ${res.statusText}`, p.field, p.err);
}

/** What a failed call means to the person who asked, e.g. for a camera message. */
export function explain(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  if (err.deviceErr)
    return `The camera refused: error ${err.deviceErr.code}${codeMeaning(err.deviceErr.code)}${err.deviceErr.msg ? ` (“${err.deviceErr.msg}”)` : ''}.`;
  if (err.status === 504) return 'The camera did not answer in time.';
  if (err.status === 503) return `Not sent: ${err.message}.`;
  if (err.status === 502) return `The camera could not be reached: ${err.message}.`;
  if (err.status === 429) return err.message.replace(/^./, (c) => c.toUpperCase());
  return err.message;
}

const MEANINGS: Record<number, string> = {
  [VD_ERR.INTERNAL]: 'internal error',
  [VD_ERR.STREAM_TOO_LARGE]: 'stream too large',
  [VD_ERR.PARAMETER]: 'parameter error',
  [VD_ERR.UNSUPPORTED_CONFIG]: 'unsupported configuration',
  [VD_ERR.UNSUPPORTED_METHOD]: 'not supported by this camera',
  [VD_ERR.CHANNEL_NOT_FOUND]: 'no such channel',
  [VD_ERR.CHANNEL_OFFLINE]: 'the channel is offline',
};

function codeMeaning(code: number): string {
  const m = MEANINGS[code] ?? (code >= 400 && code < 500 ? 'bad input' : code >= 500 && code < 600 ? 'camera server error' : '');
  return m ? `, ${m}` : '';
}

/** Send a platform → camera message (Table 9-4) and get its answer. */
export function rpc<T = Record<string, unknown>>(deviceId: string, name: string, params?: Record<string, unknown>, kind: 'req' | 'event' = 'req') {
  return api<{ resp?: T } & Record<string, unknown>>(`/api/devices/${encodeURIComponent(deviceId)}/rpc`, {
    method: 'POST',
    body: { [kind]: name, ...(params ? { params } : {}) },
    timeoutMs: RPC_TIMEOUT_MS,
  });
}
