/** `PUT /upload/<token>`: where devices upload snapshots, logs and alarm pictures (single-use URLs). */
import { Hono } from 'hono';
import type { AppServices } from './app.ts';
import { DomainError } from '../services/errors.ts';
import { STATUS_OF_KIND, unavailableInfo } from './problem.ts';
import { UPLOAD_PATH } from '../services/uploads/uploads.ts';
import { UploadPath } from '../protocol/paths.ts';
import { FORGED, validateForDevice } from './validate.ts';

/** The upload endpoint (device-facing: failures are `{"info": …}`). */
export function uploadRoutes(p: Pick<AppServices, 'uploads'>) {
  return new Hono().put(`${UPLOAD_PATH}/:token`, validateForDevice('param', UploadPath, {}, FORGED), async (c) => {
    const length = c.req.header('content-length');
    try {
      const r = await p.uploads.receive(c.req.param('token'), c.req.raw.body, length === undefined ? undefined : Number(length));
      return c.json({ size: r.size }, 201);
    } catch (err) {
      if (err instanceof DomainError) return c.json({ info: err.message }, STATUS_OF_KIND[err.kind]);
      const unavailable = unavailableInfo(c, err);
      if (unavailable) return unavailable;
      throw err;
    }
  });
}
