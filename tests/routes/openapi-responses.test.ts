/**
 * /api/openapi.json describes every operation's answers: each route of the app declares its success
 * (`responds()`), and real answers of a running platform, successes and problems, validate against
 * the JSON Schema the document gives for their status.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { z } from 'zod';
import { type AppServices, buildApp } from '../../routes/app.ts';
import { buildOpenApi, OPENAPI_INTERNAL_PREFIXES, OPENAPI_PREFIX, openApiPath } from '../../routes/openapi.ts';
import { INSECURE } from '../helpers/platform.ts';
import { standIn } from '../helpers/route-schemas.ts';
import { startConsoleWorld, tokenOf, type ConsoleWorld } from '../browser/helpers.ts';

setDefaultTimeout(60_000);

type Json = Record<string, any>;

/** Fewer routes than this under /api/ means the app was not assembled (the CU and admin API has more). */
const API_ROUTES_MIN = 40;

describe('every route', () => {
  const app = buildApp(standIn() as AppServices);
  const doc = buildOpenApi(app, { title: 'test', version: '0' }) as Json;
  const endpoints = (app.routes as Array<{ method: string; path: string }>).filter(
    (r) =>
      r.method !== 'ALL' &&
      r.path.startsWith(OPENAPI_PREFIX) &&
      !r.path.includes('*') &&
      !OPENAPI_INTERNAL_PREFIXES.some((prefix) => r.path.startsWith(prefix)),
  );

  it('has an operation with its declared success response', () => {
    expect(endpoints.length).toBeGreaterThan(API_ROUTES_MIN);
    const missing: string[] = [];
    for (const r of endpoints) {
      const op = doc.paths[openApiPath(r.path).path]?.[r.method.toLowerCase()];
      const success = Object.entries((op?.responses ?? {}) as Record<string, Json>).find(([code]) => /^2\d\d$/.test(code));
      if (!success) missing.push(`${r.method} ${r.path}`);
      // A success with a body says what it is: a schema of its JSON or a media type.
      else if (success[1].content) expect(Object.keys(success[1].content).length).toBe(1);
    }
    expect(missing).toEqual([]);
  });

  it('lists the errors each route can answer, as problem JSON', () => {
    const op = (path: string, method: string) => doc.paths[path][method].responses as Record<string, Json>;
    // Validated, authenticated, a device that may be another's, the device's own refusal, its silence.
    expect(Object.keys(op('/api/devices/{id}/rpc', 'post'))).toEqual(['200', '400', '401', '403', '404', '413', '429', '502', '503', '504']);
    expect(op('/api/devices/{id}/rpc', 'post')['502']!.content['application/problem+json'].schema.properties.err).toBeDefined();
    expect(Object.keys(op('/api/admin/users', 'post'))).toContain('409');
    expect(Object.keys(op('/api/session', 'post'))).toEqual(['201', '400', '413', '429', '503']);
    expect(op('/api/devices/{id}', 'get')['404']!.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(op('/api/devices/{id}/snapshots/{sid}', 'get')['200']!.content).toEqual({ 'image/jpeg': {} });
    expect(op('/api/admin/devices/{id}', 'delete')['204']!.content).toBeUndefined();
  });
});

describe('real answers', () => {
  let w: ConsoleWorld;
  let doc: Json;
  let alice: string;
  beforeAll(async () => {
    w = await startConsoleWorld();
    doc = await (await fetch(`${w.p.url}/api/openapi.json`, INSECURE as RequestInit)).json();
    alice = await tokenOf(w.p, 'alice', w.users.alice);
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
  });

  /** The zod schema of the JSON Schema the document gives for (path, method, status), `$ref`s resolved. */
  function documented(path: string, method: string, status: number): z.ZodType {
    const answer = doc.paths[path]?.[method]?.responses?.[String(status)];
    if (!answer?.content) throw new Error(`${method} ${path} documents no ${status} body`);
    const schema = Object.values(answer.content as Record<string, { schema: Json }>)[0]!.schema;
    const resolved = JSON.parse(JSON.stringify(schema), (_k, v) =>
      v && typeof v === 'object' && typeof v.$ref === 'string' ? doc.components.schemas[v.$ref.split('/').pop()] : v,
    );
    return z.fromJSONSchema(resolved);
  }

  /** Call the platform and check the answer against the document: its status is documented and its body fits. */
  async function check(path: string, method: string, url: string, status: number, init: RequestInit & { token?: string } = {}) {
    const r = await fetch(`${w.p.url}${url}`, {
      method: method.toUpperCase(),
      ...init,
      headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
      ...INSECURE,
    } as RequestInit);
    expect(r.status).toBe(status);
    const body = await r.json();
    const result = documented(path, method, status).safeParse(body);
    if (!result.success) throw new Error(`${method} ${url} ${status}: ${JSON.stringify(body).slice(0, 400)}\n${result.error.message}`);
    return body;
  }

  it('successes fit their documented schema', async () => {
    const admin = { token: w.p.adminToken };
    const devices = await check('/api/devices', 'get', '/api/devices', 200, { token: alice });
    expect(devices.devices.map((d: Json) => d.device_id)).toEqual(['CAM-ALICE']);
    await check('/api/devices/{id}', 'get', '/api/devices/CAM-ALICE', 200, { token: alice });
    await check('/api/me', 'get', '/api/me', 200, { token: alice });
    await check('/api/devices/{id}/rpc', 'post', '/api/devices/CAM-ALICE/rpc', 200, { token: alice, body: JSON.stringify({ req: 'GetConfig' }) });
    await check('/api/devices/{id}/alarms', 'get', '/api/devices/CAM-ALICE/alarms', 200, { token: alice });
    await check('/api/admin/devices', 'get', '/api/admin/devices', 200, admin);
    await check('/api/actors', 'get', '/api/actors?type=pu', 200, admin);
    await check('/api/actors/{id}', 'get', '/api/actors/pu%3ACAM-ALICE', 200, admin);
    await check('/api/actors/{id}/history', 'get', '/api/actors/pu%3ACAM-ALICE/history?limit=5', 200, admin);
    await check('/api/actors/{id}/replay', 'get', '/api/actors/pu%3ACAM-ALICE/replay', 200, admin);
    await check('/api/machines', 'get', '/api/machines', 200, admin);
    await check('/api/devices/{id}/recording-policy', 'get', '/api/devices/CAM-ALICE/recording-policy', 200, { token: alice });
    await check('/api/devices/{id}/channels/{ch}/recordings', 'get', '/api/devices/CAM-ALICE/channels/0/recordings', 200, { token: alice });
    await check('/api/bind-codes', 'post', '/api/bind-codes', 201, { token: alice });
    await check('/api/admin/users', 'post', '/api/admin/users', 201, { ...admin, body: JSON.stringify({ username: 'carol', password: 'carol-password' }) });
  });

  it('errors fit the documented problem JSON', async () => {
    await check('/api/devices', 'get', '/api/devices', 401);
    const other = await check('/api/devices/{id}', 'get', '/api/devices/CAM-BOB', 404, { token: alice });
    expect(other.detail).toContain('CAM-BOB');
    const bad = await check('/api/devices/{id}/rpc', 'post', '/api/devices/CAM-ALICE/rpc', 400, {
      token: alice,
      body: JSON.stringify({ req: 'GetConfig', event: 'Reboot' }),
    });
    expect(bad.field).toBe('req');
    // The camera's own refusal: a read-only field changed is its error 13 (H.627.2 I.2.20).
    const readOnly = JSON.stringify({ req: 'SetConfig', params: { channls: { '0': { video_encoding: { fps: 1 } } } } });
    const refused = await check('/api/devices/{id}/rpc', 'post', '/api/devices/CAM-ALICE/rpc', 502, { token: alice, body: readOnly });
    expect(refused.err.code).toBe(13);
    await check('/api/admin/devices', 'get', '/api/admin/devices', 403, { token: alice });
    await check('/api/admin/users', 'post', '/api/admin/users', 409, {
      token: w.p.adminToken,
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    await check('/api/devices/{id}/channels/{ch}/recording', 'get', '/api/devices/CAM-NOBODY/channels/0/recording', 404, { token: alice });
  });
});
