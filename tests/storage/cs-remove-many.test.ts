/**
 * Batched removal (`SegmentStorage.removeMany`) on both backends: local disk (one unlink per file) and S3 (a real RADOS
 * Gateway from scripts/s3-server.ts, one DeleteObjects request per 1,000 keys, signed by media/cs/sigv4.ts). Every key
 * asked for is gone, missing keys count as removed, and keys not asked for stay.
 */
import { afterAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDiskStorage, REMOVE_BATCH_MAX, S3Storage, type SegmentStorage } from '../../media/cs/index.ts';
import { deleteObjectsBody, deleteObjectsFailures } from '../../media/cs/s3-delete.ts';
import { useS3Server } from '../helpers/s3.ts';

/** Putting a thousand objects takes a few seconds, more on a loaded machine. */
setDefaultTimeout(60_000);
/** More keys than one DeleteObjects request takes, so the S3 backend sends two. */
const MANY = REMOVE_BATCH_MAX + 5;
const SIZE = 16;
const root = mkdtempSync(join(tmpdir(), 'h627-cs-remove-many-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const s3 = useS3Server();

async function* body(n: number): AsyncIterable<Uint8Array> {
  yield new Uint8Array(n).fill(7);
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

describe.each(backends)('removeMany on %s', (_kind, make) => {
  it(`removes ${MANY} objects in batches, counts missing keys as removed, and leaves the others`, async () => {
    const cs = make();
    const keys = Array.from({ length: MANY }, (_, i) => `RM-1/0/2026-01-01/S_${String(i).padStart(5, '0')}.ts`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => cs.put(k, body(SIZE), SIZE)));
    await cs.put('RM-1/1/2026-01-01/keep.ts', body(SIZE), SIZE);
    expect((await cs.list('RM-1/', undefined, MANY + 10)).length).toBe(MANY + 1);
    const failures = await cs.removeMany([...keys, 'RM-1/0/2026-01-01/never-there.ts'].map((key) => ({ key })));
    expect(failures).toEqual([]);
    expect(await cs.list('RM-1/', undefined, MANY + 10)).toEqual([{ key: 'RM-1/1/2026-01-01/keep.ts', size: SIZE }]);
    expect(await cs.removeMany([])).toEqual([]);
  });
});

describe('the DeleteObjects request and answer', () => {
  it('lists the keys in a quiet request, and reads the keys an answer says were not deleted', () => {
    expect(deleteObjectsBody([{ key: 'a/b.ts' }, { key: 'a/c.ts', version: 'v&1' }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>' +
        '<Object><Key>a/b.ts</Key></Object><Object><Key>a/c.ts</Key><VersionId>v&amp;1</VersionId></Object></Delete>',
    );
    expect(() => deleteObjectsBody([{ key: '../x' }])).toThrow('bad storage key');
    const answer = `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Error><Key>a/b.ts</Key><Code>AccessDenied</Code><Message>Access &amp; denied</Message></Error>
      <Error><Code>InternalError</Code><Key>c/d.ts</Key><VersionId>v1</VersionId><Message>We encountered an internal error.</Message></Error></DeleteResult>`;
    expect(deleteObjectsFailures(answer)).toEqual([
      { key: 'a/b.ts', error: 'AccessDenied: Access & denied' },
      { key: 'c/d.ts', version: 'v1', error: 'InternalError: We encountered an internal error.' },
    ]);
    expect(deleteObjectsFailures('<DeleteResult/>')).toEqual([]);
  });
});
