/**
 * The global guard of routes/app.ts (refuseUnstorableUrl): any path or query that decodes, once or
 * twice, to a NUL or a lone surrogate is a 400 naming the parameter, problem JSON under /api/ and
 * `{"info"}` elsewhere; anything else, and every body, passes through to the routes.
 */
import { describe, expect, it } from 'bun:test';
import { Hono } from 'hono';
import { UNSTORABLE_TEXT_MESSAGE } from '../../protocol/text.ts';
import { refuseUnstorableUrl } from '../../routes/validate.ts';

const app = new Hono();
app.use(refuseUnstorableUrl);
app.get('/api/devices/:id', (c) => c.json({ id: c.req.param('id') }));
app.get('/live/cseg/:channelId', (c) => c.json({ id: c.req.param('channelId') }));
app.get('/Vd', (c) => c.json({ q: c.req.query() }));
app.post('/api/session', async (c) => c.json({ body: await c.req.text() }));

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
};

describe('the URL guard', () => {
  it('refuses a NUL in an API path parameter with problem JSON naming it', async () => {
    const r = await get('/api/devices/%00');
    expect(r).toMatchObject({ status: 400, type: 'application/problem+json', body: { detail: `param.id: ${UNSTORABLE_TEXT_MESSAGE}`, field: 'id' } });
  });

  it('refuses a doubly encoded NUL (%2500) as well', async () => {
    expect((await get('/api/devices/cam%2500')).status).toBe(400);
  });

  it('answers a device-facing path with {"info"} naming the parameter', async () => {
    expect(await get('/live/cseg/%00')).toMatchObject({ status: 400, body: { info: `param.channelId: ${UNSTORABLE_TEXT_MESSAGE}` } });
  });

  it('refuses a NUL in a query value, naming the query parameter', async () => {
    expect(await get('/Vd?login_code=cam&hardware_model=%00')).toMatchObject({
      status: 400,
      body: { info: `query.hardware_model: ${UNSTORABLE_TEXT_MESSAGE}` },
    });
  });

  it('refuses a NUL in a query parameter name, and in a path with no route', async () => {
    expect((await get('/Vd?a%00=1')).status).toBe(400);
    expect(await get('/nowhere/%00')).toMatchObject({ status: 400, body: { info: `path: ${UNSTORABLE_TEXT_MESSAGE}` } });
  });

  it('lets through encoded text that is fine: accents, emoji, spaces, slashes, and malformed escapes', async () => {
    for (const [path, id] of [
      ['/api/devices/caf%C3%A9', 'café'],
      ['/api/devices/%F0%9F%93%B7', '\u{1F4F7}'],
      ['/api/devices/a%20b', 'a b'],
      ['/api/devices/..%2f..', '../..'],
    ]) {
      expect(await get(path!)).toMatchObject({ status: 200, body: { id } });
    }
    // An encoded lone surrogate is not UTF-8: it decodes to nothing, and stays as written.
    expect(await get('/api/devices/%ED%A0%80')).toMatchObject({ status: 200, body: { id: '%ED%A0%80' } });
    expect((await get('/api/devices/%E0%A4%A')).status).toBe(200);
  });

  it('leaves bodies to their validators', async () => {
    const res = await app.request('/api/session', { method: 'POST', body: 'al\u0000ice' });
    expect(res.status).toBe(200);
  });
});
