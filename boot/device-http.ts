/**
 * The plain-HTTP device listener (DEVICE_HTTP_PORT; off unless set): for devices whose GetCap says they cannot
 * speak https (NOTES 9; OVC dap.md 5.13), the platform hands out http callback URLs, and this listener takes them.
 * It serves only those callbacks, each authorised by its own single-use token or signature: device uploads
 * (Snapshot, LogUploadAsync, alarm pictures), Vr, and segment uploads. Everything else (the API, the console, Vs,
 * Vd) is 404 here: sign-ins and sessions never travel in clear text.
 */
import { UPLOAD_PATH } from '../services/uploads/uploads.ts';
import { CS_UPLOAD_PATH } from '../services/recording/recording-urls.ts';
import { VR_PATH_PREFIX } from '../protocol/vr.ts';

/** Path prefixes the plain listener serves: the device callbacks, nothing else. */
export const DEVICE_HTTP_PATHS = [`${UPLOAD_PATH}/`, VR_PATH_PREFIX, `${CS_UPLOAD_PATH}/`] as const;

/** The listener's request handler: a callback path goes to the app, anything else is 404 `{info}`. */
export function deviceHttpFetch<S>(app: { fetch: (req: Request, server: S) => Response | Promise<Response> }, ready: () => boolean) {
  return (req: Request, server: S): Response | Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (!DEVICE_HTTP_PATHS.some((p) => path.startsWith(p))) return Response.json({ info: 'not served over plain HTTP: use https' }, { status: 404 });
    if (!ready()) return Response.json({ info: 'starting: retry shortly' }, { status: 503, headers: { 'Retry-After': '1' } });
    return app.fetch(req, server);
  };
}
