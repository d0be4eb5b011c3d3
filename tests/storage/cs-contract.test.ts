/**
 * The segment storage interface (media/cs/storage.ts) behaves the same on both backends: local disk
 * and S3 (a real RADOS Gateway from scripts/s3-server.ts). Put, stat, sync, get (whole and by range),
 * list by prefix with pages, remove; a body of the wrong size leaves nothing. On S3's versioned test
 * bucket: head names a version, which get, getUrl, remove and removeMany take.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDiskStorage, MissingObjectError, S3Storage, type SegmentStorage, SizeMismatchError } from '../../media/cs/index.ts';
import { useS3Server } from '../helpers/s3.ts';

const SIZE = 100_000;
const root = mkdtempSync(join(tmpdir(), 'h627-cs-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const s3 = useS3Server();

async function* body(n: number, chunk = 10_000): AsyncIterable<Uint8Array> {
  for (let off = 0; off < n; off += chunk) yield new Uint8Array(Math.min(chunk, n - off)).map((_, i) => (off + i) & 0xff);
}

async function bytesOf(b: Blob | ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(b).arrayBuffer());
}

const backends: [string, () => SegmentStorage][] = [
  ['local', () => new LocalDiskStorage({ root, fsync: false })],
  [
    's3',
    () => {
      const s = s3();
      return new S3Storage({ endpoint: s.endpoint, bucket: s.bucket, region: s.region, accessKey: s.accessKey, secretKey: s.secretKey, pathStyle: true });
    },
  ],
];

describe.each(backends)('segment storage on %s', (kind, make) => {
  it('stores, checks, reads whole and by range, lists by prefix and removes', async () => {
    const cs = make();
    expect(cs.kind).toBe(kind);
    await cs.put('DEV-1/0/2026-01-01/S_a.ts', body(SIZE), SIZE);
    await cs.put('DEV-1/0/2026-01-01/S_b.ts', body(SIZE), SIZE);
    await cs.put('DEV-1/1/2026-01-01/S_c.ts', body(10), 10);
    await cs.put('DEV-2/0/2026-01-01/S_d.ts', body(10), 10);
    expect(await cs.stat('DEV-1/0/2026-01-01/S_a.ts')).toBe(SIZE);
    expect(await cs.stat('DEV-1/0/2026-01-01/none.ts')).toBeUndefined();
    await cs.sync('DEV-1/0/2026-01-01/S_a.ts', SIZE);
    expect(cs.sync('DEV-1/0/2026-01-01/S_a.ts', SIZE + 1)).rejects.toBeInstanceOf(MissingObjectError);
    const whole = await cs.get('DEV-1/0/2026-01-01/S_a.ts');
    expect(whole!.size).toBe(SIZE);
    const all = await bytesOf(whole!.body);
    expect(all.length).toBe(SIZE);
    expect(all[SIZE - 1]).toBe((SIZE - 1) & 0xff);
    const part = await cs.get('DEV-1/0/2026-01-01/S_a.ts', { start: 1000, end: 1099 });
    expect(part!.size).toBe(SIZE);
    expect(await bytesOf(part!.body)).toEqual(all.subarray(1000, 1100));
    expect(await cs.get('DEV-1/0/none.ts')).toBeUndefined();
    expect(await cs.list('DEV-1/')).toEqual([
      { key: 'DEV-1/0/2026-01-01/S_a.ts', size: SIZE },
      { key: 'DEV-1/0/2026-01-01/S_b.ts', size: SIZE },
      { key: 'DEV-1/1/2026-01-01/S_c.ts', size: 10 },
    ]);
    expect((await cs.list('DEV-1/', 'DEV-1/0/2026-01-01/S_a.ts', 1)).map((o) => o.key)).toEqual(['DEV-1/0/2026-01-01/S_b.ts']);
    expect(await cs.list('DEV-9/')).toEqual([]);
    await cs.remove('DEV-1/0/2026-01-01/S_a.ts');
    await cs.remove('DEV-1/0/2026-01-01/S_a.ts');
    expect(await cs.stat('DEV-1/0/2026-01-01/S_a.ts')).toBeUndefined();
  });

  it('refuses a body of another size than declared and leaves nothing', async () => {
    const cs = make();
    expect(cs.put('DEV-3/0/x.ts', body(SIZE), SIZE - 1)).rejects.toBeInstanceOf(SizeMismatchError);
    expect(cs.put('DEV-3/0/y.ts', body(SIZE - 1), SIZE)).rejects.toBeInstanceOf(SizeMismatchError);
    await Bun.sleep(0);
    expect(await cs.list('DEV-3/')).toEqual([]);
  });

  it(`${kind === 's3' ? 'gives' : 'gives no'} presigned URLs`, async () => {
    const cs = make();
    if (kind !== 's3') return expect(cs.direct).toBeUndefined();
    const data = new Uint8Array(
      await new Response(
        new ReadableStream({
          async start(c) {
            for await (const b of body(SIZE)) c.enqueue(b);
            c.close();
          },
        }),
      ).arrayBuffer(),
    );
    const put = await fetch(cs.direct!.putUrl('DEV-4/0/p.ts', SIZE, 60), { method: 'PUT', body: data });
    expect(put.status).toBe(200);
    expect(await cs.stat('DEV-4/0/p.ts')).toBe(SIZE);
    const get = await fetch(cs.direct!.getUrl!('DEV-4/0/p.ts', 60));
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(data);
  });

  it(`${kind === 's3' ? 'pins' : 'has no'} versions: an object written again under its key keeps the version read and removed`, async () => {
    const cs = make();
    const key = 'DEV-5/0/2026-01-01/S_v.ts';
    const first = new Uint8Array(SIZE).fill(1);
    const second = new Uint8Array(SIZE).fill(2);
    await cs.put(
      key,
      (async function* () {
        yield first;
      })(),
      SIZE,
    );
    const h1 = await cs.head(key);
    if (kind !== 's3') {
      expect(h1).toEqual({ size: SIZE });
      return;
    }
    // The test store's bucket is versioned (scripts/s3-server.ts), as docs/recording.md asks of a production one.
    expect(h1).toEqual({ size: SIZE, version: expect.any(String) });
    // The upload URL written again (an upload URL is valid until it expires): a new version, the pinned one untouched.
    const again = await fetch(cs.direct!.putUrl(key, SIZE, 60), { method: 'PUT', body: second });
    expect(again.status).toBe(200);
    const h2 = await cs.head(key);
    expect(h2!.version).not.toBe(h1!.version);
    expect(await cs.head(key, h1!.version)).toEqual({ size: SIZE, version: h1!.version });
    expect(await bytesOf((await cs.get(key))!.body)).toEqual(second);
    const pinned = await cs.get(key, undefined, h1!.version);
    expect(pinned!.size).toBe(SIZE);
    expect(await bytesOf(pinned!.body)).toEqual(first);
    const part = await cs.get(key, { start: 10, end: 19 }, h1!.version);
    expect(part!.size).toBe(SIZE);
    expect(await bytesOf(part!.body)).toEqual(first.subarray(10, 20));
    const viewer = await fetch(cs.direct!.getUrl!(key, 60, h1!.version));
    expect(new Uint8Array(await viewer.arrayBuffer())).toEqual(first);
    // Removed by version: that version is gone for good, the other stays; then the other one, and the key is empty.
    await cs.remove(key, h1!.version);
    expect(await cs.head(key, h1!.version)).toBeUndefined();
    expect(await cs.get(key, undefined, h1!.version)).toBeUndefined();
    expect(await cs.head(key)).toEqual(h2!);
    expect(await cs.removeMany([{ key, version: h2!.version! }])).toEqual([]);
    expect(await cs.head(key)).toBeUndefined();
    expect(await cs.list('DEV-5/')).toEqual([]);
  });
});
