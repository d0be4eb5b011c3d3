/**
 * The throw-away store of scripts/s3-server.ts answers as S3 does, through Bun's S3Client and through
 * presigned URLs (media/cs/sigv4.ts) used with plain fetch, as a camera would.
 */
import { describe, expect, it } from 'bun:test';
import { presignUrl } from '../../media/cs/sigv4.ts';
import { useS3Server } from '../helpers/s3.ts';

/** A body big enough to span several TCP segments. */
const BODY_BYTES = 256 * 1024;
/** Presigned URLs in this test live a minute. */
const URL_TTL_S = 60;

const s3 = useS3Server();

function body(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(new ArrayBuffer(n));
  for (let i = 0; i < n; i++) b[i] = (i * 7) & 0xff;
  return b;
}

describe('throw-away S3 store', () => {
  it('PUT, HEAD, GET, range GET and DELETE through Bun S3Client', async () => {
    const { client } = s3();
    const data = body(BODY_BYTES);
    await client.write('dev/0/seg.ts', data);
    const st = await client.stat('dev/0/seg.ts');
    expect(st.size).toBe(BODY_BYTES);
    expect(new Uint8Array(await client.file('dev/0/seg.ts').arrayBuffer())).toEqual(data);
    const part = new Uint8Array(await client.file('dev/0/seg.ts').slice(1000, 2000).arrayBuffer());
    expect(part).toEqual(data.subarray(1000, 2000));
    const listed = await client.list({ prefix: 'dev/0/' });
    expect(listed.contents?.map((o) => o.key)).toEqual(['dev/0/seg.ts']);
    await client.delete('dev/0/seg.ts');
    expect(await client.exists('dev/0/seg.ts')).toBe(false);
    const missing = await client.stat('dev/0/seg.ts').catch((e: { code?: string }) => e.code);
    expect(missing).toBe('NoSuchKey');
  });

  it('a presigned PUT bound to a size stores that size and refuses another', async () => {
    const { client, accessKey, secretKey, region, endpoint, bucket } = s3();
    const creds = { accessKey, secretKey, region };
    const data = body(BODY_BYTES);
    const url = (key: string) =>
      presignUrl(creds, { method: 'PUT', bucketUrl: `${endpoint}/${bucket}`, key, expiresInS: URL_TTL_S, contentLength: BODY_BYTES });
    const ok = await fetch(url('cam/up.ts'), { method: 'PUT', body: data, headers: { 'content-type': 'video/mp2t' } });
    expect(ok.status).toBe(200);
    expect(await client.size('cam/up.ts')).toBe(BODY_BYTES);
    const short = await fetch(url('cam/short.ts'), { method: 'PUT', body: data.slice(1) });
    expect(short.status).toBe(403);
    expect(await short.text()).toContain('SignatureDoesNotMatch');
    expect(await client.exists('cam/short.ts')).toBe(false);
    const get = presignUrl(creds, { method: 'GET', bucketUrl: `${endpoint}/${bucket}`, key: 'cam/up.ts', expiresInS: URL_TTL_S });
    const back = await fetch(get, { headers: { range: 'bytes=0-99' } });
    expect(back.status).toBe(206);
    expect(new Uint8Array(await back.arrayBuffer())).toEqual(data.subarray(0, 100));
    await client.delete('cam/up.ts');
  });

  it('an expired presigned URL is refused', async () => {
    const { accessKey, secretKey, region, endpoint, bucket } = s3();
    const past = new Date(Date.now() - 2 * URL_TTL_S * 1000);
    const url = presignUrl(
      { accessKey, secretKey, region },
      { method: 'PUT', bucketUrl: `${endpoint}/${bucket}`, key: 'x.ts', expiresInS: URL_TTL_S, contentLength: 1, now: past },
    );
    const r = await fetch(url, { method: 'PUT', body: 'x' });
    expect(r.status).toBe(403);
  });
});
