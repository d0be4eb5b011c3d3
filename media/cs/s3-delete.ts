/**
 * S3's multi-object delete (DeleteObjects: `POST /<bucket>?delete` with an XML list of up to 1,000 keys), which Bun's
 * S3 client does not have: signed with SigV4 query authentication (sigv4.ts), `Content-MD5` signed too (S3 requires it
 * for this request). Quiet mode: the store answers only the keys it could not delete; a missing key counts as deleted.
 */
import { createHash } from 'node:crypto';
import { presignUrl, type SigV4Credentials } from './sigv4.ts';
import { checkKey, type ObjectRef, REMOVE_BATCH_MAX, type RemoveFailure } from './storage.ts';

/** How long the signature of one DeleteObjects request is valid: it is sent at once. */
const DELETE_URL_TTL_S = 60;
/** The S3 XML namespace of the request body. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** Longest answer read: 1,000 keys with their error text fit well within it. */
const ANSWER_MAX_BYTES = 4 * 1024 * 1024;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const XML_ENTITIES: Record<string, string> = Object.fromEntries(Object.entries(XML_ESCAPES).map(([k, v]) => [v, k]));
const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
const unescapeXml = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (e) => XML_ENTITIES[e]!);

/** The request body for `objects` (quiet: only failures come back); a version named is deleted for good. */
export function deleteObjectsBody(refs: readonly ObjectRef[]): string {
  const objects = refs
    .map((r) => `<Object><Key>${escapeXml(checkKey(r.key))}</Key>${r.version ? `<VersionId>${escapeXml(r.version)}</VersionId>` : ''}</Object>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="${S3_XMLNS}"><Quiet>true</Quiet>${objects}</Delete>`;
}

/** The keys a DeleteObjects answer reports as not deleted (its `<Error>` elements). */
export function deleteObjectsFailures(xml: string): RemoveFailure[] {
  const out: RemoveFailure[] = [];
  for (const m of xml.matchAll(/<Error>([\s\S]*?)<\/Error>/g)) {
    const inner = m[1]!;
    const pick = (name: string) => unescapeXml(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(inner)?.[1] ?? '');
    const key = pick('Key');
    const version = pick('VersionId');
    if (key) out.push({ key, ...(version ? { version } : {}), error: `${pick('Code') || 'Error'}: ${pick('Message')}`.trim() });
  }
  return out;
}

/** Delete up to {@link REMOVE_BATCH_MAX} objects (or versions) of the bucket at `bucketUrl` in one request. */
export async function deleteObjects(creds: SigV4Credentials, bucketUrl: string, refs: readonly ObjectRef[]): Promise<RemoveFailure[]> {
  if (refs.length === 0) return [];
  if (refs.length > REMOVE_BATCH_MAX) throw new RangeError(`DeleteObjects takes at most ${REMOVE_BATCH_MAX} keys, not ${refs.length}`);
  const body = deleteObjectsBody(refs);
  const md5 = createHash('md5').update(body).digest('base64');
  const url = presignUrl(creds, {
    method: 'POST',
    bucketUrl,
    key: '',
    expiresInS: DELETE_URL_TTL_S,
    query: [['delete', '']],
    headers: [['content-md5', md5]],
  });
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-md5': md5, 'content-type': 'application/xml' } });
  const text = (await res.text()).slice(0, ANSWER_MAX_BYTES);
  if (!res.ok) throw new Error(`DeleteObjects answered ${res.status}: ${text.slice(0, 300)}`);
  return deleteObjectsFailures(text);
}
