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
});
