/**
 * Which segment storage the recording tests run on (`TEST_CS_BACKEND=s3`: every platform of the run
 * stores in the one throw-away RADOS Gateway tests/setup.ts starts; else the local disk), and what
 * differs between the two as a camera or a viewer sees it: who answers an upload (the platform's
 * `PUT /cs/up/…`, 201 `{size}`; the store's presigned PUT, 200 and no body), where the bytes are
 * (files under `$DATA_DIR/cs`; objects in the bucket, same keys), and who serves playback URLs.
 */
import { expect } from 'bun:test';
import { S3Client } from 'bun';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestPlatform } from '../helpers/platform.ts';
import { csFiles } from './helpers.ts';
import type { S3Storage } from '../../media/cs/index.ts';
import { loseS3Object, storageOf } from '../helpers/s3.ts';

/** The backend of this run. */
export const BACKEND: 'local' | 's3' = process.env.TEST_CS_BACKEND === 's3' ? 's3' : 'local';
/** This run stores in S3. */
export const ON_S3 = BACKEND === 's3';
/** What an accepted upload answers: the platform's upload route 201, an S3 PUT 200. */
export const UPLOADED = ON_S3 ? 200 : 201;

let client: S3Client | undefined;
/** A client of the run's bucket (the S3_* settings tests/setup.ts put into this process's environment). */
export function bucket(): S3Client {
  const e = process.env;
  if (!e.S3_ENDPOINT || !e.S3_BUCKET) throw new Error('TEST_CS_BACKEND=s3 without a store: tests/setup.ts did not start one');
  client ??= new S3Client({
    endpoint: e.S3_ENDPOINT,
    bucket: e.S3_BUCKET,
    region: e.S3_REGION,
    accessKeyId: e.S3_ACCESS_KEY,
    secretAccessKey: e.S3_SECRET_KEY,
  });
  return client;
}

let store: S3Storage | undefined;
/** The run's bucket as the platform's segment storage sees it (a HEAD that reads an object's version, say). */
export function storage(): S3Storage {
  store ??= storageOf(settings());
  return store;
}

/** The run's store settings (tests/setup.ts put them into this process's environment). */
function settings() {
  const e = process.env;
  bucket(); // the same check of the settings
  return { endpoint: e.S3_ENDPOINT!, bucket: e.S3_BUCKET!, region: e.S3_REGION!, accessKey: e.S3_ACCESS_KEY!, secretKey: e.S3_SECRET_KEY! };
}

/** The answer of an upload that the backend accepted, checked: 201 `{size}` from the platform, 200 from the store. */
export function expectUploaded(u: { status: number; body: Record<string, unknown> }, size: number): void {
  expect(u).toEqual(ON_S3 ? { status: 200, body: {} } : { status: 201, body: { size } });
}

/** Every stored key (`<device>/<channel>/<day>/<session>_<name>`, and `.part` files on disk), sorted. */
export async function storedKeys(p: TestPlatform, prefix = ''): Promise<string[]> {
  if (!ON_S3) return csFiles(p.dataDir).filter((f) => f.startsWith(prefix));
  const keys: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await bucket().list({ prefix, ...(startAfter ? { startAfter } : {}) });
    keys.push(...(page.contents ?? []).map((o) => o.key));
    if (!page.isTruncated || !page.contents?.length) return keys.sort();
    startAfter = page.contents.at(-1)!.key;
  }
}

/** The stored keys of one segment name. */
export async function keysOf(p: TestPlatform, name: string): Promise<string[]> {
  return (await storedKeys(p)).filter((k) => k.includes(name));
}

/** Remove a stored object behind the platform's back (a disk, an operator or a tool lost it). */
export async function loseObject(p: TestPlatform, key: string): Promise<void> {
  if (ON_S3) await loseS3Object(settings(), key);
  else rmSync(join(p.dataDir, 'cs', key));
}

/** Store an object behind the platform's back (a stray upload, a tool). */
export async function strayObject(p: TestPlatform, key: string, bytes: string | Uint8Array): Promise<void> {
  if (ON_S3) {
    await bucket().write(key, bytes);
    return;
  }
  await Bun.write(join(p.dataDir, 'cs', key), bytes, { createPath: true });
}

/** Where a listing's segment URLs point: the store's bucket (presigned GET) or the platform's `/cs/seg/`. */
export function segmentUrlPrefix(p: TestPlatform): string {
  return ON_S3 ? `${process.env.S3_ENDPOINT}/${process.env.S3_BUCKET}/` : `${p.url}/cs/seg/`;
}

/** When an upload URL stops working, ms since the epoch: the platform's `e` second, or SigV4's X-Amz-Date + X-Amz-Expires. */
export function uploadExpiresAt(url: string): number {
  const q = new URL(url).searchParams;
  if (!ON_S3) return Number(q.get('e')) * 1000;
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q.get('X-Amz-Date') ?? '');
  if (!d) throw new Error(`not a presigned URL: ${url}`);
  return Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!) + Number(q.get('X-Amz-Expires')) * 1000;
}

/** The answer to an upload after its URL expired: the platform's 410 naming it, or the store's 403 `AccessDenied`. */
export function expectExpiredUpload(u: { status: number; body: Record<string, unknown> }): void {
  if (ON_S3) {
    expect(u.status).toBe(403);
    expect(String(u.body.xml)).toContain('<Code>AccessDenied</Code>');
  } else {
    expect(u.status).toBe(410);
    expect(String(u.body.info)).toContain('expired');
  }
}
