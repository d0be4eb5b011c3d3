/**
 * `GET /api/docs`: the API reference page, Swagger UI over /api/openapi.json. Swagger UI comes
 * from the npm package swagger-ui-dist, served from node_modules by the platform (no CDN); the
 * page and its initializer are ours (web/api-docs/), because the package's own initializer points
 * at a demo API. The page's CSP allows only this origin (plus data: pictures: Swagger UI's
 * stylesheet draws its icons as data: SVGs).
 */
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { responds } from './responses.ts';
import { validate } from './validate.ts';

/** Where the docs page lives. */
export const API_DOCS_PATH = '/api/docs';

/** The docs page's CSP: only this origin; data: pictures for the stylesheet's icons. */
export const API_DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Browsers may keep a docs file this long: it changes only when the platform is upgraded. */
const DOCS_FILE_MAX_AGE_S = 3600;

const PACKAGE_DIR = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir));
const OWN_DIR = join(import.meta.dir, '..', 'web', 'api-docs');

/** The files the page loads: from the package, and ours. */
const FILES: Record<string, { path: string; type: string }> = {
  'swagger-ui.css': { path: join(PACKAGE_DIR, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { path: join(PACKAGE_DIR, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
  'init.js': { path: join(OWN_DIR, 'init.js'), type: 'text/javascript; charset=utf-8' },
  'page.css': { path: join(OWN_DIR, 'page.css'), type: 'text/css; charset=utf-8' },
};

/** A docs file's name, as the page asks for it. */
const DocsFilePath = z.object({ name: z.enum(Object.keys(FILES) as [string, ...string[]]) });

const HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' };

/** The docs page and its files (open, as the document is). */
export function apiDocsRoutes() {
  return new Hono()
    .get(
      API_DOCS_PATH,
      responds(200, 'text/html'),
      () =>
        new Response(Bun.file(join(OWN_DIR, 'index.html')), {
          headers: { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'Content-Security-Policy': API_DOCS_CSP },
        }),
    )
    .get(`${API_DOCS_PATH}/:name`, responds(200, 'text/javascript'), validate('param', DocsFilePath), (c) => {
      const f = FILES[c.req.valid('param').name]!; // the enum allows only FILES' names
      return new Response(Bun.file(f.path), { headers: { ...HEADERS, 'Content-Type': f.type, 'Cache-Control': `public, max-age=${DOCS_FILE_MAX_AGE_S}` } });
    });
}
