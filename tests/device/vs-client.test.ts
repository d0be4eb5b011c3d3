/** The PU's Vs call (H.627.2 I.1, NOTES 4) and the login failure reading of the Vd link. */
import { describe, expect, it } from 'bun:test';
import { DeviceHttp, type FetchLike } from '../../device/http.ts';
import { loginFailure, parseRetryAfter } from '../../device/vd-link.ts';
import { getServerAddr, VsError } from '../../device/vs-client.ts';
import { vsAnswer } from './machine-harness.ts';

const answering = (res: () => Response): DeviceHttp => new DeviceHttp(undefined, (async () => res()) as FetchLike);

describe('Vs client', () => {
  it('returns the validated answer', async () => {
    const resp = vsAnswer(Date.UTC(2026, 0, 1));
    expect(
      await getServerAddr(
        answering(() => Response.json(resp)),
        'https://vs.test',
        'a0b1c2d3e4f5',
      ),
    ).toEqual(resp);
  });

  it('fails with the status and the platform info on 4xx/5xx', async () => {
    const err = await getServerAddr(
      answering(() => Response.json({ info: 'unknown device' }, { status: 404 })),
      'https://vs.test',
      'x',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VsError);
    expect(err).toMatchObject({ status: 404, info: 'unknown device', message: 'HTTP 404: unknown device' });
  });

  it('fails on an answer that is not a Vs answer, naming the field', async () => {
    const bad = { ...vsAnswer(0), Secure_PassPort: 'x' };
    await expect(
      getServerAddr(
        answering(() => Response.json(bad)),
        'https://vs.test',
        'x',
      ),
    ).rejects.toThrow('body.Secure_PassPort');
  });

  it('fails with status 0 when the server cannot be reached', async () => {
    const http = new DeviceHttp(undefined, (async () => {
      throw new TypeError('ECONNREFUSED');
    }) as FetchLike);
    await expect(getServerAddr(http, 'https://vs.test', 'x')).rejects.toMatchObject({ status: 0 });
  });

  it('passes the TLS options to fetch', async () => {
    let seen: unknown;
    const http = new DeviceHttp({ rejectUnauthorized: false }, (async (_url, init) => {
      seen = init?.tls;
      return Response.json(vsAnswer(0));
    }) as FetchLike);
    await getServerAddr(http, 'https://vs.test', 'x');
    expect(seen).toEqual({ rejectUnauthorized: false });
  });
});

describe('login failures', () => {
  const http = answering(() => new Response(null, { status: 429, headers: { 'Retry-After': '120' } }));
  const url = () => 'wss://vd.test:8443/Vd?login_code=x';

  it("reads 401 and other statuses from Bun's error text", async () => {
    expect(await loginFailure('WebSocket connection to … failed: Expected 101 status code: 401', http, url)).toEqual({
      type: 'vd.failed',
      reason: 'login refused (HTTP 401)',
    });
    expect(await loginFailure('Expected 101 status code: 503', http, url)).toEqual({ type: 'vd.failed', reason: 'login failed (HTTP 503)' });
    expect(await loginFailure('Failed to connect', http, url)).toEqual({ type: 'vd.failed', reason: 'connect failed (Failed to connect)', unreachable: true });
  });

  it('reads Retry-After for a 429, and does without when it cannot', async () => {
    expect(await loginFailure('Expected 101 status code: 429', http, url)).toMatchObject({ retryAfterS: 120 });
    const down = new DeviceHttp(undefined, (async () => {
      throw new TypeError('ECONNREFUSED');
    }) as FetchLike);
    expect(await loginFailure('Expected 101 status code: 429', down, url)).toEqual({ type: 'vd.failed', reason: 'locked out (HTTP 429)' });
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
