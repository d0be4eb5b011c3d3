/**
 * SigV4 presigned URLs (media/cs/sigv4.ts) against AWS's own published example ("Authenticating Requests: Using Query
 * Parameters", GET examplebucket/test.txt, 2013-05-24), and the day's signing key it keeps: the same URL on a second
 * call, on another day after it, and for other credentials on the same day as a key derived afresh would give.
 */
import { describe, expect, it } from 'bun:test';
import { presignUrl } from '../../media/cs/sigv4.ts';

const AWS_EXAMPLE = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
const AWS_EXAMPLE_SIGNATURE = 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
const get = (creds: typeof AWS_EXAMPLE, now: Date) =>
  presignUrl(creds, { method: 'GET', bucketUrl: 'https://examplebucket.s3.amazonaws.com', key: 'test.txt', expiresInS: 86_400, now });
const signatureOf = (url: string) => new URL(url).searchParams.get('X-Amz-Signature');
const DAY_1 = new Date('2013-05-24T00:00:00Z');
const DAY_2 = new Date('2013-05-25T00:00:00Z');

describe('presignUrl', () => {
  it("signs AWS's published example as AWS does, and again the same from the kept signing key", () => {
    const url = get(AWS_EXAMPLE, DAY_1);
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        `&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=${AWS_EXAMPLE_SIGNATURE}`,
    );
    expect(get(AWS_EXAMPLE, DAY_1)).toBe(url);
  });

  it('keeps one signing key per secret, region and day: none is used for another', () => {
    const day2 = signatureOf(get(AWS_EXAMPLE, DAY_2));
    expect(day2).not.toBe(AWS_EXAMPLE_SIGNATURE);
    expect(signatureOf(get(AWS_EXAMPLE, DAY_1))).toBe(AWS_EXAMPLE_SIGNATURE);
    const otherSecret = signatureOf(get({ ...AWS_EXAMPLE, secretKey: `${AWS_EXAMPLE.secretKey}x` }, DAY_1));
    const otherRegion = signatureOf(get({ ...AWS_EXAMPLE, region: 'eu-west-1' }, DAY_1));
    expect(new Set([AWS_EXAMPLE_SIGNATURE, day2, otherSecret, otherRegion]).size).toBe(4);
    // Many days (more than the keys kept) and back: still AWS's signature.
    for (let d = 0; d < 40; d++) get(AWS_EXAMPLE, new Date(DAY_2.getTime() + d * 86_400_000));
    expect(signatureOf(get(AWS_EXAMPLE, DAY_1))).toBe(AWS_EXAMPLE_SIGNATURE);
    expect(signatureOf(get(AWS_EXAMPLE, DAY_2))).toBe(day2);
  });

  it('encodes what RFC 3986 reserves in keys and values, and dates each URL with its own second (both kept between calls)', () => {
    const at = (ms: number, key = 'test.txt', bucketUrl = 'https://examplebucket.s3.amazonaws.com') =>
      new URL(presignUrl(AWS_EXAMPLE, { method: 'PUT', bucketUrl, key, expiresInS: 60, contentLength: 5, now: new Date(ms) }));
    const t = DAY_1.getTime();
    expect(at(t, "a b/!'()*/é~-_.x").pathname).toBe('/a%20b/%21%27%28%29%2A/%C3%A9~-_.x');
    expect(at(t, 'seg/dev-1/0/r_1/1796534999_0001.ts').pathname).toBe('/seg/dev-1/0/r_1/1796534999_0001.ts');
    expect(at(t, 'k', 'http://127.0.0.1:7480/rec/').pathname).toBe('/rec/k');
    expect(at(t + 999).searchParams.get('X-Amz-Date')).toBe('20130524T000000Z');
    expect(at(t + 1000).searchParams.get('X-Amz-Date')).toBe('20130524T000001Z');
    expect(at(t).searchParams.get('X-Amz-Date')).toBe('20130524T000000Z');
    // A credential with a reserved character is encoded in the query as before.
    expect(at(t).search).toContain('X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request');
  });
});
