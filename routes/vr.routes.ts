/**
 * Vr, the recording interface (H.627.2 9.3.4, I.3; NOTES 14–16): `POST /live/cseg/<channelID>`
 * with a form-urlencoded body, answered in JSON with the I.3 headers; and the CS's receiving side,
 * `PUT /cs/up/<session>/<name>?e=&s=`, where a PU uploads the segment a create announced.
 * Failures are `{"info": …}` with a 4xx/5xx status, like every device-facing interface.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { VR_MAX_FORM_BYTES } from '../protocol/constants.ts';
import { MAC_IDENTITY_HEADER } from '../protocol/identity.ts';
import { parseVrForm, VR_PATH_PREFIX, VR_REPLY_HEADERS } from '../protocol/vr.ts';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import { VrError } from '../services/recording/recording-vr.ts';
import { CS_UPLOAD_PATH } from '../services/recording/recording-urls.ts';
import { SegmentPath, VrChannelPath } from '../protocol/paths.ts';
import { STATUS_OF_KIND, unavailableInfo } from './problem.ts';
import { FORGED, validateForDevice } from './validate.ts';

/** Headers of the upload endpoint's answers: those of Vr, for the method it takes. */
const CS_REPLY_HEADERS = { ...VR_REPLY_HEADERS, 'Access-Control-Allow-Methods': 'PUT' };

/** A Vr/CS failure as `{"info"}` with the I.3 reply headers. */
function info(c: Context, status: ContentfulStatusCode, text: string, headers: Record<string, string> = VR_REPLY_HEADERS): Response {
  return c.json({ info: text }, status, headers);
}

/** Render what a Vr or CS operation threw. */
function failure(p: Pick<AppServices, 'log'>, c: Context, err: unknown, headers: Record<string, string> = VR_REPLY_HEADERS): Response {
  if (err instanceof VrError) return info(c, err.status, err.message, err.retryAfterS ? { ...headers, 'Retry-After': String(err.retryAfterS) } : headers);
  if (err instanceof DomainError) return info(c, STATUS_OF_KIND[err.kind], err.message, headers);
  const unavailable = unavailableInfo(c, err, headers);
  if (unavailable) return unavailable;
  p.log.error({ path: c.req.path, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'vr request failed');
  return info(c, 500, 'internal error', headers);
}

/** The Vr endpoint and the segment upload endpoint (device-facing). */
export function vrRoutes(p: Pick<AppServices, 'log' | 'recording'>) {
  const count = (res: Response, op: string) => {
    p.recording.counters.vr.inc({ op, status: res.status });
    return res;
  };
  return (
    new Hono()
      .options(`${VR_PATH_PREFIX}:channelId`, validateForDevice('param', VrChannelPath, VR_REPLY_HEADERS), (c) => c.body(null, 204, VR_REPLY_HEADERS))
      // The form is limited before it is read, chunked or not (a 100 MB body was once read whole first).
      .post(
        `${VR_PATH_PREFIX}:channelId`,
        bodyLimit({ maxSize: VR_MAX_FORM_BYTES, onError: (c) => count(info(c, 413, `body: too large (limit ${VR_MAX_FORM_BYTES} bytes)`), 'unknown') }),
        validateForDevice('param', VrChannelPath, VR_REPLY_HEADERS),
        async (c) => {
          let op = 'unknown';
          try {
            const s = await p.recording.vr.authorize(c.req.param('channelId'), c.req.header(MAC_IDENTITY_HEADER));
            const form = parseVrForm(await c.req.text());
            if (!form.ok) return count(info(c, 400, form.error), op);
            op = form.value.op;
            return count(c.json(await p.recording.vr.run(s, form.value), 200, VR_REPLY_HEADERS), op);
          } catch (err) {
            return count(failure(p, c, err), op);
          }
        },
      )
      .put(`${CS_UPLOAD_PATH}/:session/:name`, validateForDevice('param', SegmentPath, CS_REPLY_HEADERS, FORGED), async (c) => {
        try {
          const length = c.req.header('content-length');
          const r = await p.recording.vr.upload(
            c.req.param('session'),
            c.req.param('name'),
            c.req.query('e'),
            c.req.query('s'),
            length === undefined ? undefined : Number(length),
            c.req.raw.body,
          );
          p.recording.counters.bytes.inc(r.size);
          return c.json(r, 201, CS_REPLY_HEADERS);
        } catch (err) {
          return failure(p, c, err, CS_REPLY_HEADERS);
        }
      })
  );
}
